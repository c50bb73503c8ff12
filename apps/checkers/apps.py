from django.apps import AppConfig


class CheckersConfig(AppConfig):
    name = "apps.checkers"
    verbose_name = "Checkers"

    def ready(self):
        from apps.checkers import checks  # noqa: F401  registers the system checks
