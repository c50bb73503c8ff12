import pytest
from django.core import checks as django_checks

from apps.checkers.checks import check_configuration
from config.env import (
    BAD_BOOLEAN,
    BAD_CHOICE,
    BAD_DATABASE_URL,
    BAD_NUMBER,
    MISSING_SECRET_KEY,
    ConfigProblem,
)

NEW_KEY = (
    "bin/set_env.sh DJANGO_SECRET_KEY="
    "$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')"
)


def test_no_problems(settings):
    settings.CONFIG_PROBLEMS = []
    assert check_configuration() == []


def test_each_problem_is_an_error_naming_the_variable(settings):
    problem = ConfigProblem(
        BAD_CHOICE, "DEPLOY_METHOD", "DEPLOY_METHOD='banana' is not one of bare", "bare"
    )
    settings.CONFIG_PROBLEMS = [problem]
    [message] = check_configuration()
    assert message.level == django_checks.ERROR
    assert message.id == "checkers.E003"
    assert message.msg == problem.message
    assert message.hint == "bin/set_env.sh DEPLOY_METHOD=bare"


@pytest.mark.parametrize(
    ("problem", "hint"),
    [
        # The hint sets the safe value settings fell back to, quoted for the shell when need be.
        (ConfigProblem(BAD_BOOLEAN, "DJANGO_DEBUG", "m", "off"), "bin/set_env.sh DJANGO_DEBUG=off"),
        (
            ConfigProblem(BAD_NUMBER, "PREFLIGHT_TIMEOUT", "m", "5"),
            "bin/set_env.sh PREFLIGHT_TIMEOUT=5",
        ),
        (
            ConfigProblem(BAD_DATABASE_URL, "DATABASE_URL", "m", "sqlite:///db.sqlite3"),
            "bin/set_env.sh DATABASE_URL=sqlite:///db.sqlite3",
        ),
        (ConfigProblem(BAD_CHOICE, "X", "m", "a b"), "bin/set_env.sh 'X=a b'"),
        # No fallback: the variable is unset, so its default applies...
        (ConfigProblem(BAD_NUMBER, "SOME_SETTING", "m"), "bin/set_env.sh SOME_SETTING="),
        # ...except the secret key, which gets a new one.
        (ConfigProblem(MISSING_SECRET_KEY, "DJANGO_SECRET_KEY", "m"), NEW_KEY),
    ],
)
def test_the_hint_is_a_command_that_sets_a_safe_value(settings, problem, hint):
    settings.CONFIG_PROBLEMS = [problem]
    [message] = check_configuration()
    assert message.hint == hint


def test_registered_with_django(settings):
    settings.CONFIG_PROBLEMS = [ConfigProblem(BAD_CHOICE, "DEPLOY_METHOD", "bad", "bare")]
    ids = [message.id for message in django_checks.run_checks(tags=["config"])]
    assert ids == ["checkers.E003"]
