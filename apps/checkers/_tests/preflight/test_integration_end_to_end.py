"""preflight as a user runs it: a subprocess in a copy of the project."""

import json

import pytest

pytestmark = pytest.mark.integration

FAKE_SECRETS = {
    "DJANGO_SECRET_KEY": "fake-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz-PLANTED",
    "HUB_API_KEY": "fake-hub-api-key-PLANTED",
    "CLUSTER_API_KEY": "fake-cluster-key-PLANTED",
    "SOME_SERVICE_TOKEN": "fake-service-token-PLANTED",
}


def test_fresh_clone_runs_and_shows_the_unmigrated_database(project_copy):
    run = project_copy.preflight("--no-color")
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].startswith("═══ System ")
    assert "Database: SQLite @ db.sqlite3" in lines
    assert any(
        line.startswith("WARN Database: ") and "pending migrations" in line for line in lines
    )
    assert any(line.startswith("WARN .env file is missing") for line in lines)
    assert len(run.log.splitlines()) == 1


def test_json_parses_and_the_log_gains_a_line_per_run(project_copy):
    first = project_copy.preflight("--json")
    second = project_copy.preflight("--json")
    document = second.json()
    assert set(document) == {"timestamp", "profile", "definitions", "checks", "skipped", "summary"}
    assert first.stderr == ""
    records = [json.loads(line) for line in second.log.splitlines()]
    assert len(records) == 2
    assert records[-1]["errors"] == document["summary"]["errors"]


def test_debug_in_prod_is_an_error_and_exit_1(project_copy):
    run = project_copy.preflight("--no-color", DJANGO_ENV="prod", DJANGO_DEBUG="1", **FAKE_SECRETS)
    assert run.returncode == 1
    assert "ERR  DEBUG is on in production" in run.stdout.splitlines()


@pytest.mark.parametrize(
    ("variable", "value", "code"),
    [("DEPLOY_METHOD", "banana", "checkers.E003"), ("DJANGO_DEBUG", "maybe", "checkers.E001")],
)
def test_bad_values_stop_manage_check_but_preflight_runs_and_shows_them(
    project_copy, variable, value, code
):
    check = project_copy.manage("check", **{variable: value})
    assert check.returncode == 1
    assert code in check.stderr and variable in check.stderr
    run = project_copy.preflight("--json", **{variable: value})
    assert run.returncode == 1
    [row] = [row for row in run.json()["checks"] if code in row["message"]]
    assert row["level"] == "error" and row["id"] == "django.checks" and variable in row["message"]


def test_prod_without_a_secret_key_loads_and_reports_it(project_copy):
    run = project_copy.preflight("--json", DJANGO_ENV="prod")
    assert run.returncode == 1
    [row] = run.rows("security.secret_key")
    assert row["level"] == "error" and row["message"] == "SECRET_KEY is not set (DJANGO_SECRET_KEY)"
    assert not [row for row in run.json()["checks"] if "checkers.E005" in row["message"]]


def test_planted_secrets_appear_in_no_output(project_copy):
    env_lines = [f"{name}={value}" for name, value in FAKE_SECRETS.items()]
    project_copy.write_env(
        "\n".join(env_lines) + "\nHUB_URL=https://agent:fake-hub-pw-PLANTED@hub.example\n",
        mode=0o644,
    )
    broker = "redis://:fake-broker-pw-PLANTED@127.0.0.1:1/0"
    database = "postgres://app:fake-db-pw-PLANTED@127.0.0.1:1/app"
    for args in (("--json",), ("--no-color", "--verbosity", "2"), ("--verbosity", "0")):
        run = project_copy.preflight(
            *args,
            DATABASE_URL=database,
            CELERY_BROKER_URL=broker,
            CELERY_TASK_ALWAYS_EAGER="0",
            DJANGO_ENV="prod",
        )
        assert "PLANTED" not in run.everything(), args
        if args == ("--json",):
            profile = run.json()["profile"]
            assert profile["celery_broker"] == "redis://:***@127.0.0.1:1/0"
            assert profile["database"] == "127.0.0.1:1/app"
