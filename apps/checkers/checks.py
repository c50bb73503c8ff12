"""Django system checks of this project (run by `manage.py check`, migrate, runserver...)."""

from django.conf import settings
from django.core.checks import Error, register

from apps.checkers.preflight.hints import NEW_SECRET_KEY, set_env

SECRET_KEY_VARIABLE = "DJANGO_SECRET_KEY"


def fix_command(problem) -> str:
    """Set the variable to the safe value settings fell back to (which is what runs now); a
    missing secret key gets a new one. An empty fallback means "unset": the default applies."""
    if problem.variable == SECRET_KEY_VARIABLE and not problem.fallback:
        return NEW_SECRET_KEY
    return set_env(f"{problem.variable}={problem.fallback}")


@register("config")
def check_configuration(app_configs=None, **kwargs):
    """Each configuration problem that settings recorded instead of refusing to load."""
    return [
        Error(problem.message, hint=fix_command(problem), id=f"checkers.{problem.code}")
        for problem in settings.CONFIG_PROBLEMS
    ]
