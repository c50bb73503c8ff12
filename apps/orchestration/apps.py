from django.apps import AppConfig


class OrchestrationConfig(AppConfig):
    name = "apps.orchestration"
    verbose_name = "Orchestration"
    default_auto_field = "django.db.models.BigAutoField"
