"""The preflight command in-process: human output, JSON, verbosity, colour, exit status, log."""

import json
import re
from io import StringIO

import pytest
from django.core.management import call_command

from apps.checkers.management.commands.preflight import summarize, summary_line
from apps.checkers.preflight import CheckResult, NotApplicable, checks, error, info, ok, warn


def as_check(check_id, *results, skip=None):
    def function(context):
        if skip:
            raise NotApplicable(skip)
        return list(results)

    function.check_id = check_id
    return function


@pytest.fixture
def isolated(settings, project, db):
    """Settings pointing at a temp project and logs dir; the (migrated) test database."""
    settings.BASE_DIR = project
    settings.LOGS_DIR = project / "logs"
    settings.DJANGO_ENV, settings.DEBUG = "dev", True
    settings.HUB_URL, settings.CLUSTER_ENABLED, settings.INSTANCE_ID = "", False, ""
    settings.CELERY_BROKER_URL, settings.CELERY_TASK_ALWAYS_EAGER = "redis://localhost:6379/0", True
    settings.DEPLOY_METHOD, settings.METRICS_BACKEND = "bare", "logging"
    return project


@pytest.fixture
def inventory(monkeypatch):
    """Replace the inventory with planted checks: the command, not the checks, is under test."""

    def plant(*planted):
        monkeypatch.setattr(checks, "INVENTORY", list(planted))

    return plant


def run(*args, **options):
    out, err = StringIO(), StringIO()
    try:
        call_command("preflight", *args, stdout=out, stderr=err, **options)
        status = 0
    except SystemExit as exit_:
        status = exit_.code
    return status, out.getvalue(), err.getvalue()


def probes_the_database(context):
    context.database("default")
    return [ok("Python 3.11 (.venv)")]


probes_the_database.check_id = "env.python"

SAMPLE = (
    probes_the_database,
    as_check("env.dotenv", warn(".env has keys not in .env.sample: EXTRA_VAR", "Add them")),
    as_check(
        "config.metrics", info("STATSD_HOST is set but unused"), ok("ok with hint", "verbose hint")
    ),
    as_check("deploy.docker", skip="DEPLOY_METHOD=bare"),
)


def test_human_output_has_the_designs_shape(isolated, inventory):
    inventory(*SAMPLE)
    status, out, err = run(no_color=True)
    assert status == 0 and err == ""
    assert out.splitlines() == [
        "═══ System ══════════════════════════════════",
        "Role: standalone",
        "Environment: dev (DEBUG=on)",
        "Deploy: bare",
        "Database: SQLite @ file:memorydb_default?mode=memory&cache=shared",
        "Celery: redis://localhost:6379/0 (eager)",
        "Metrics: logging",
        "Logs: logs/",
        "═══ Checks ══════════════════════════════════",
        "OK   Python 3.11 (.venv)",
        "WARN .env has keys not in .env.sample: EXTRA_VAR",
        "     Add them",
        "INFO STATSD_HOST is set but unused",
        "OK   ok with hint",
        "4 checks: 3 passed, 1 warning, 0 errors",
    ]


def test_verbosity_0_shows_only_problems_and_the_summary(isolated, inventory):
    inventory(*SAMPLE, as_check("x.bad", error("broken", "fix it")))
    status, out, _ = run(verbosity=0, no_color=True)
    assert status == 1
    assert out.splitlines() == [
        "WARN .env has keys not in .env.sample: EXTRA_VAR",
        "     Add them",
        "ERR  broken",
        "     fix it",
        "5 checks: 3 passed, 1 warning, 1 error",
    ]


def test_verbosity_2_adds_ids_durations_skips_and_ok_hints(isolated, inventory):
    inventory(*SAMPLE)
    _, out, _ = run(verbosity=2, no_color=True)
    lines = out.splitlines()
    assert any(
        re.fullmatch(r"OK   Python 3\.11 \(\.venv\)  \[env\.python, \d+ ms\]", line)
        for line in lines
    )
    assert "     verbose hint" in lines
    assert "SKIP deploy.docker: DEPLOY_METHOD=bare" in lines


def test_instance_id_row_only_when_set(isolated, inventory, settings):
    inventory(*SAMPLE)
    settings.INSTANCE_ID = "web-1"
    _, out, _ = run(no_color=True)
    assert "Instance ID: web-1" in out.splitlines()


def test_colour_only_through_style_and_never_with_no_color(isolated, inventory):
    inventory(*SAMPLE)
    _, coloured, _ = run(force_color=True)
    _, plain, _ = run(no_color=True)
    _, piped, _ = run()  # StringIO is not a terminal
    assert "\x1b[" in coloured
    assert "\x1b[" not in plain and "\x1b[" not in piped


def test_json_is_one_document_with_the_designs_fields(isolated, inventory):
    inventory(*SAMPLE)
    status, out, err = run("--json")
    assert status == 0 and err == ""
    document = json.loads(out)
    assert set(document) == {"timestamp", "profile", "definitions", "checks", "skipped", "summary"}
    assert document["timestamp"].endswith("Z")
    assert document["profile"]["environment"] == "dev"
    assert document["checks"][1] == {
        "id": "env.dotenv",
        "level": "warn",
        "message": ".env has keys not in .env.sample: EXTRA_VAR",
        "hint": "Add them",
        "duration_ms": document["checks"][1]["duration_ms"],
    }
    assert document["skipped"] == [{"id": "deploy.docker", "reason": "DEPLOY_METHOD=bare"}]
    assert document["summary"] == {"passed": 3, "info": 1, "warnings": 1, "errors": 0}


def test_errors_exit_1_in_both_modes(isolated, inventory):
    inventory(as_check("security.debug", error("DEBUG is on in production")))
    assert run(no_color=True)[0] == 1
    status, out, _ = run("--json")
    assert status == 1 and json.loads(out)["summary"]["errors"] == 1


def test_every_run_appends_one_log_line(isolated, inventory):
    inventory(*SAMPLE)
    run(no_color=True)
    run("--json")
    log_lines = (isolated / "logs" / "checks.log").read_text().splitlines()
    assert len(log_lines) == 2
    record = json.loads(log_lines[-1])
    assert record["passed"] == 3 and record["info"] == 1 and record["warnings"] == 1
    assert record["errors"] == 0
    assert (record["environment"], record["role"], record["instance_id"]) == (
        "dev",
        "standalone",
        "",
    )
    assert [check["id"] for check in record["checks"]] == [
        "env.python",
        "env.dotenv",
        "config.metrics",
        "config.metrics",
    ]
    assert record["timestamp"].endswith("Z")


def test_an_unwritable_log_is_one_warning_not_a_failure(isolated, inventory, settings):
    inventory(as_check("env.python", ok("fine")))
    blocker = isolated / "not-a-dir"
    blocker.write_text("")
    settings.LOGS_DIR = blocker
    status, out, _ = run(no_color=True)
    assert status == 0
    assert f"WARN Run log not written: {blocker} is not a directory" in out
    assert "     bin/set_env.sh LOGS_DIR=logs" in out  # LOGS_DIR is not the project's logs/
    assert out.splitlines()[-1] == "2 checks: 1 passed, 1 warning, 0 errors"


def test_an_unwritable_default_log_shows_who_owns_it(isolated, inventory, settings):
    inventory(as_check("env.python", ok("fine")))
    settings.BASE_DIR = isolated
    (isolated / "logs").write_text("")
    settings.LOGS_DIR = isolated / "logs"
    status, out, _ = run(no_color=True)
    assert status == 0
    assert f"WARN Run log not written: {isolated / 'logs'} is not a directory" in out
    assert "     ls -ld logs" in out


def test_profile_is_redacted(isolated, inventory, settings):
    inventory(as_check("env.python", ok("fine")))
    settings.CELERY_BROKER_URL = "redis://:fake-broker-pw-77@127.0.0.1:6379/0"
    _, out, _ = run("--json")
    assert "fake-broker-pw-77" not in out
    assert json.loads(out)["profile"]["celery_broker"] == "redis://:***@127.0.0.1:6379/0"


@pytest.mark.parametrize(
    ("levels", "line"),
    [
        ([], "0 checks: 0 passed, 0 warnings, 0 errors"),
        (["ok"], "1 check: 1 passed, 0 warnings, 0 errors"),
        (["warn", "error"], "2 checks: 0 passed, 1 warning, 1 error"),
        (["info", "warn", "warn", "error", "error"], "5 checks: 1 passed, 2 warnings, 2 errors"),
    ],
)
def test_summary_line_counts_and_plurals(levels, line):
    results = [CheckResult(level, "m") for level in levels]
    assert summary_line(len(results), summarize(results)) == line


@pytest.mark.django_db(transaction=True)  # the dashboard reads from a thread of its own
def test_pipeline_definitions_in_both_outputs(isolated, inventory):
    from apps.orchestration.models import PipelineDefinition

    PipelineDefinition.objects.create(name="nightly", priority=5)
    inventory(*SAMPLE)
    _, out, _ = run(no_color=True)
    assert out.splitlines()[8] == "Pipeline: nightly (priority 5) → no channel (routes nowhere)"
    _, out, _ = run("--json")
    assert json.loads(out)["definitions"] == [
        {"name": "nightly", "active": True, "priority": 5, "channel": None, "routes": False}
    ]


def test_a_hung_dashboard_query_costs_no_more_than_the_deadline(
    isolated, inventory, settings, monkeypatch
):
    import threading
    import time

    from apps.checkers.preflight import dashboard

    release = threading.Event()
    monkeypatch.setattr(dashboard, "pipeline_definitions", lambda context: release.wait(30))
    settings.PREFLIGHT_TIMEOUT = 0.5
    inventory(as_check("env.python", ok("fine")))
    started = time.monotonic()
    _, out, _ = run(no_color=True)
    release.set()
    assert time.monotonic() - started < 1.5
    assert "Pipelines: not shown, not read within 0.5s" in out.splitlines()


def test_real_inventory_runs_end_to_end(isolated):
    status, out, _ = run("--json")
    document = json.loads(out)
    ids = [check["id"] for check in document["checks"]]
    assert ids[0] == "env.python"
    assert "db.connection" in ids and "django.checks" in ids
    assert status in (0, 1)


def test_a_broken_logs_dir_is_one_row_not_two(isolated, inventory, settings):
    """install.logs_dir already says the logs directory is broken: the run log failing to be
    written is the same fact, so no second row (one fact, one row)."""
    blocker = isolated / "not-a-dir"
    blocker.write_text("")
    settings.LOGS_DIR = blocker
    inventory(as_check("env.python", ok("fine")), checks.check_logs_dir)
    status, out, _ = run(no_color=True)
    assert status == 1
    assert "ERR  Logs directory not-a-dir/ is not a directory" in out
    assert "Run log not written" not in out
    assert out.splitlines()[-1] == "2 checks: 1 passed, 0 warnings, 1 error"
    _, out, _ = run("--json")
    assert [row["id"] for row in json.loads(out)["checks"]] == ["env.python", "install.logs_dir"]


def test_an_unwritable_log_is_still_reported_when_the_logs_dir_check_passed(
    isolated, inventory, settings
):
    blocker = isolated / "not-a-dir"
    blocker.write_text("")
    settings.LOGS_DIR = blocker
    inventory(as_check("install.logs_dir", ok("Logs directory writable (logs/)")))
    _, out, _ = run(no_color=True)
    assert f"WARN Run log not written: {blocker} is not a directory" in out


def test_a_terminal_that_cannot_show_the_rules_or_the_text(isolated, inventory, settings):
    import io

    settings.INSTANCE_ID = "café-1"
    inventory(as_check("env.python", ok("naïve → fine")))
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="ascii")
    call_command("preflight", stdout=stream, no_color=True)
    stream.flush()
    text = raw.getvalue().decode("ascii")
    assert text.splitlines()[0] == "=== System =================================="
    assert "Instance ID: caf\\xe9-1" in text
    assert "OK   na\\xefve \\u2192 fine" in text


def test_json_is_ascii_whatever_the_text(isolated, inventory, settings):
    settings.INSTANCE_ID = "café-1"
    inventory(as_check("env.python", ok("fine")))
    _, out, _ = run("--json")
    assert out.isascii() and json.loads(out)["profile"]["instance_id"] == "café-1"


def test_a_reader_that_goes_away_is_not_a_traceback(isolated, inventory, monkeypatch):
    import os
    import sys

    inventory(as_check("x.bad", error("broken")))
    read_end, write_end = os.pipe()
    os.close(read_end)
    stream = os.fdopen(write_end, "w")
    monkeypatch.setattr(sys, "stdout", stream)
    with pytest.raises(SystemExit) as exit_:
        call_command("preflight", "--json", stdout=stream)
    assert exit_.value.code == 1
    stream.write("more")  # the descriptor now points at /dev/null
    stream.flush()
    stream.close()
