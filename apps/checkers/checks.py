"""Django system checks of this project (run by `manage.py check`, migrate, runserver...)."""

from django.conf import settings
from django.core.checks import Error, register


@register("config")
def check_configuration(app_configs=None, **kwargs):
    """Each configuration problem that settings recorded instead of refusing to load."""
    return [
        Error(
            problem.message,
            hint=f"Fix {problem.variable} in .env or the environment; see .env.sample",
            id=f"checkers.{problem.code}",
        )
        for problem in settings.CONFIG_PROBLEMS
    ]
