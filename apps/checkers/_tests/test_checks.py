from django.core import checks as django_checks

from apps.checkers.checks import check_configuration
from config.env import BAD_CHOICE, ConfigProblem


def test_no_problems(settings):
    settings.CONFIG_PROBLEMS = []
    assert check_configuration() == []


def test_each_problem_is_an_error_naming_the_variable(settings):
    problem = ConfigProblem(
        BAD_CHOICE, "DEPLOY_METHOD", "DEPLOY_METHOD='banana' is not one of bare"
    )
    settings.CONFIG_PROBLEMS = [problem]
    [message] = check_configuration()
    assert message.level == django_checks.ERROR
    assert message.id == "checkers.E003"
    assert message.msg == problem.message
    assert "DEPLOY_METHOD" in message.hint


def test_registered_with_django(settings):
    settings.CONFIG_PROBLEMS = [ConfigProblem(BAD_CHOICE, "DEPLOY_METHOD", "bad")]
    ids = [message.id for message in django_checks.run_checks(tags=["config"])]
    assert ids == ["checkers.E003"]
