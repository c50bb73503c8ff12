"""Hints work as printed: in a copy of the project, each failing scenario's hint that only
touches the project is run with `bash -c` from the project directory, exactly as preflight
printed it, and preflight is run again: the row is fixed."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
from dataclasses import dataclass, field

import pytest

pytestmark = pytest.mark.integration

# The hints that change nothing but the project: these can be run here. (Others start
# services, install packages or open an editor.)
PROJECT_ONLY = re.compile(
    r"bin/set_env\.sh (?!--ask)\S"
    r"|install -m 600 \.env\.sample \.env\Z"
    r"|sed -i '[^']*' \.env\Z"
    r"|chmod 600 \.env\Z"
    r"|(echo >> \.env\.sample && )?printf '# %s=\\n' [A-Z0-9_ ]+ >> \.env\.sample\Z"
    r"|mkdir -p \S+\Z"
)
NOT_FIXED = ("warn", "error")


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def hostname_f_works() -> bool:
    completed = subprocess.run(["hostname", "-f"], capture_output=True, text=True, check=False)
    return completed.returncode == 0 and bool(completed.stdout.strip())


@dataclass
class Scenario:
    name: str
    check_id: str
    env: str | bytes | None = (
        ""  # appended to the sample's text; bytes: the whole file; None: no .env
    )
    mode: int = 0o600
    levels: tuple = NOT_FIXED  # the levels of the rows to fix
    after: tuple = ("ok",)  # the levels the check's rows may have once fixed (none: skipped)
    setup: object = None  # setup(project) before the first run
    hints: int = 1  # how many rows (and hints) the scenario has
    extra_ok: list = field(default_factory=list)  # other checks that must be OK afterwards


def sample(project) -> str:
    return (project.root / ".env.sample").read_text()


def write_reader(project):
    (project.root / "config" / "extra_reader.py").write_text(
        'import os\n\nVALUE = os.environ.get("PREFLIGHT_TEST_UNDOCUMENTED")\n'
    )


def unterminated_sample(project):
    path = project.root / ".env.sample"
    path.write_text(path.read_text().rstrip("\n"))


def migrate(project):
    completed = project.manage("migrate", "--noinput")
    assert completed.returncode == 0, completed.stderr


def blocker(project):
    (project.root / "blocker").write_text("")


PROD = "DJANGO_ENV=prod\nDJANGO_ALLOWED_HOSTS=app.example.com\n"

SCENARIOS = [
    Scenario(
        "missing .env",
        "env.dotenv",
        env=None,
        extra_ok=["security.env_permissions", "config.env_drift"],
    ),
    Scenario("world-readable .env", "security.env_permissions", mode=0o644),
    Scenario("byte-order mark", "env.dotenv", env=b"\xef\xbb\xbfDJANGO_ENV=dev\n"),
    Scenario("CRLF line endings", "env.dotenv", env=b"DJANGO_ENV=dev\r\nLOGS_DIR=logs\r\n"),
    Scenario("both BOM and CRLF", "env.dotenv", env=b"\xef\xbb\xbfA=1\r\nB=2\r\n", hints=2),
    Scenario(
        "keys missing from .env and keys the sample lacks",
        "config.env_drift",
        env=b"DJANGO_ENV=dev\nEXTRA_ONE=1\nEXTRA_TWO='two words'",  # no final newline
        hints=2,
    ),
    Scenario(
        "undocumented key, sample without a final newline",
        "config.env_drift",
        env="EXTRA_THREE=3\n",
        setup=unterminated_sample,
    ),
    Scenario("code reads an undocumented variable", "config.settings_refs", setup=write_reader),
    Scenario("DEBUG on in prod", "security.debug", env=PROD + "DJANGO_DEBUG=1\n"),
    Scenario("no secret key in prod", "security.secret_key", env=PROD),
    Scenario("weak secret key in dev", "security.secret_key", env="DJANGO_SECRET_KEY=short\n"),
    Scenario(
        "wildcard and padded hosts in prod",
        "security.allowed_hosts",
        env="DJANGO_ENV=prod\nDJANGO_ALLOWED_HOSTS=*, app.example.com,\n",
        hints=2,
    ),
    Scenario("hub without a key", "config.cluster", env="CLUSTER_ENABLED=on\n"),
    Scenario(
        "agent without an instance id",
        "config.cluster",
        env="HUB_URL=https://hub.example.com\nHUB_API_KEY=fake-hub-key-1234\n",
    ),
    Scenario("eager in prod", "config.celery_eager", env=PROD + "CELERY_TASK_ALWAYS_EAGER=1\n"),
    Scenario(
        "broker down in dev",
        "config.celery_broker",
        env=f"CELERY_TASK_ALWAYS_EAGER=0\nCELERY_BROKER_URL=redis://127.0.0.1:{closed_port()}/0\n",
        after=(),  # eager now: the check does not apply
    ),
    Scenario("unknown metrics backend", "config.metrics", env="METRICS_BACKEND=datadog\n"),
    Scenario(
        "bad StatsD port",
        "config.metrics",
        env="METRICS_BACKEND=statsd\nSTATSD_HOST=127.0.0.1\nSTATSD_PORT=99999\n",
    ),
    Scenario("statsd without a host", "config.metrics", env="METRICS_BACKEND=statsd\n"),
    Scenario(
        "StatsD host set but unused",
        "config.metrics",
        env="STATSD_HOST=127.0.0.1\n",
        levels=("info",),
    ),
    Scenario(
        "logs directory that cannot be created",
        "install.logs_dir",
        env="LOGS_DIR=blocker/logs\n",
        setup=blocker,
    ),
    Scenario(
        "SQLite directory missing",
        "db.connection",
        env="DATABASE_URL=sqlite:///var/app.db\n",
        extra_ok=["install.sqlite_writable"],
    ),
    Scenario(
        "a value settings cannot use (checkers.E003)",
        "django.checks",
        env="DEPLOY_METHOD=banana\n",
    ),
    Scenario(
        "a boolean that is not one (checkers.E001)", "django.checks", env="DJANGO_DEBUG=maybe\n"
    ),
    Scenario(
        "no AI provider and no fallback",
        "pipeline.intelligence",
        env="INTELLIGENCE_FALLBACK_ENABLED=off\n",
        after=("info",),  # local rules only: worth knowing, not a problem
        setup=migrate,
    ),
]


def problems(run, scenario):
    return [row for row in run.rows(scenario.check_id) if row["level"] in scenario.levels]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda scenario: scenario.name)
def test_the_hint_fixes_the_row(project_copy, scenario):
    project = project_copy
    if scenario.setup:
        scenario.setup(project)
    if isinstance(scenario.env, bytes):
        project.write_env(scenario.env, mode=scenario.mode)
    elif scenario.env is not None:
        project.write_env(f"{sample(project).rstrip()}\n{scenario.env}", mode=scenario.mode)

    before = project.preflight("--json")
    rows = problems(before, scenario)
    assert len(rows) == scenario.hints, before.json()["checks"]
    for row in rows:
        hint = row["hint"]
        assert PROJECT_ONLY.match(hint), f"not a project-only command: {hint!r}"
        run_hint(project, hint)

    after = project.preflight("--json")
    fixed = after.rows(scenario.check_id)
    assert [row["level"] for row in fixed] == list(scenario.after), fixed
    assert not {row["message"] for row in rows} & {row["message"] for row in fixed}
    for check_id in scenario.extra_ok:
        assert [row["level"] for row in after.rows(check_id)] == ["ok"], after.rows(check_id)
    if (project.root / ".env").exists():
        assert (project.root / ".env").stat().st_mode & 0o777 == 0o600


def run_hint(project, hint: str, input: str = "", **env) -> subprocess.CompletedProcess:
    completed = subprocess.run(
        ["bash", "-c", hint],
        cwd=project.root,
        env={**project.env, **env},
        input=input,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 0, (hint, completed.stdout, completed.stderr)
    return completed


def test_asked_for_secrets_are_set_and_never_shown(project_copy):
    """`bin/set_env.sh --ask KEY` prompts without echo on a terminal; here it reads stdin."""
    secret = "fake-hub-key-from-the-hub-PLANTED"
    project_copy.write_env(f"{sample(project_copy).rstrip()}\nHUB_URL=https://hub.example.com\n")
    [row, _instance_id] = project_copy.preflight("--json").rows("config.cluster")
    assert row["hint"] == "bin/set_env.sh --ask HUB_API_KEY"
    completed = run_hint(project_copy, row["hint"], input=secret + "\n")
    assert "HUB_API_KEY set (added)" in completed.stdout
    assert "PLANTED" not in completed.stdout + completed.stderr
    after = project_copy.preflight("--json")
    assert [r["message"] for r in after.rows("config.cluster")] == [
        "Agent without INSTANCE_ID: the hub cannot tell this instance from others"
    ]
    assert "PLANTED" not in after.everything()


def test_the_editor_hint_opens_the_first_bad_line(project_copy, tmp_path):
    """`${EDITOR:-vi} +N .env`, with an "editor" that deletes the line it is opened at."""
    editor = tmp_path / "fake-editor"
    editor.write_text('#!/bin/sh\nsed -i "${1#+}d" "$2"\n')
    editor.chmod(0o755)
    project_copy.write_env(f"{sample(project_copy).rstrip()}\nnot an assignment\nA B=1\n")
    [row] = project_copy.preflight("--json").rows("env.dotenv")
    assert row["message"].startswith(".env lines ") and row["hint"].endswith(" .env")
    run_hint(project_copy, row["hint"], EDITOR=str(editor))
    [row] = project_copy.preflight("--json").rows("env.dotenv")
    run_hint(project_copy, row["hint"], EDITOR=str(editor))
    assert project_copy.preflight("--json").rows("env.dotenv")[0]["level"] == "ok"


@pytest.mark.skipif(not hostname_f_works(), reason="`hostname -f` does not answer here")
def test_empty_allowed_hosts_in_prod_get_this_hosts_name(project_copy):
    project_copy.write_env(sample(project_copy) + "DJANGO_ENV=prod\n")
    [row] = project_copy.preflight("--json").rows("security.allowed_hosts")
    assert (row["level"], row["hint"]) == (
        "error",
        "bin/set_env.sh DJANGO_ALLOWED_HOSTS=$(hostname -f)",
    )
    run_hint(project_copy, row["hint"])
    [row] = project_copy.preflight("--json").rows("security.allowed_hosts")
    assert row["level"] == "ok"


def test_every_hint_of_a_broken_setup_is_a_command_of_this_project_or_the_system(project_copy):
    """A setup with something wrong nearly everywhere: no hint is prose."""
    shutil.copy(project_copy.root / ".env.sample", project_copy.root / ".env.sample.orig")
    project_copy.write_env(
        "\ufeffDJANGO_ENV=prod\r\nDJANGO_DEBUG=1\r\nDEPLOY_METHOD=systemd\r\n"
        "GUNICORN_SOCKET=/nonexistent/gunicorn.sock\r\nCELERY_TASK_ALWAYS_EAGER=0\r\n"
        f"CELERY_BROKER_URL=redis://127.0.0.1:{closed_port()}/0\r\nMETRICS_BACKEND=statsd\r\n"
        "HUB_URL=ftp://hub\r\nCLUSTER_ENABLED=on\r\nLOGS_DIR=/proc/no/logs\r\n"
        "DATABASE_URL=sqlite:///missing/dir/db.sqlite3\r\nwhat is this\r\n",
        mode=0o644,
    )
    run = project_copy.preflight("--json")
    hints = [row["hint"] for row in run.json()["checks"] if row["level"] != "ok" and row["hint"]]
    assert len(hints) >= 12
    command = re.compile(
        r"(bin/|uv |sudo |sed |chmod |install |printf |mkdir |ls |namei |"
        r"systemctl |\$\{EDITOR|pg_isready |curl |git |df |crontab |docker )"
    )
    for hint in hints:
        assert command.match(hint), hint
        assert "Set " not in hint and " in .env" not in hint, hint
