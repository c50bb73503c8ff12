from django.apps import AppConfig


class IntelligenceConfig(AppConfig):
    name = "apps.intelligence"
    verbose_name = "Intelligence"
    default_auto_field = "django.db.models.BigAutoField"
