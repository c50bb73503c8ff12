"""Hostile input: each case gives a clear row and the run goes on (no traceback, a summary)."""

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration


def finished(run):
    assert "Traceback" not in run.stderr, run.stderr
    assert run.returncode in (0, 1)
    document = run.json()
    assert document["summary"]["passed"] >= 1
    return document


def messages(document, check_id):
    return [row["message"] for row in document["checks"] if row["id"] == check_id]


def test_bom_is_reported_and_the_first_variable_still_loads(project_copy):
    project_copy.write_env(b"\xef\xbb\xbfINSTANCE_ID=web-bom\nDEPLOY_METHOD=bare\n")
    document = finished(project_copy.preflight("--json"))
    assert ".env starts with a UTF-8 byte-order mark" in messages(document, "env.dotenv")
    assert document["profile"]["instance_id"] == "web-bom"


def test_crlf_is_reported_and_values_lose_the_carriage_return(project_copy):
    project_copy.write_env(b"DEPLOY_METHOD=bare\r\nINSTANCE_ID=web-crlf\r\nDJANGO_DEBUG=on\r\n")
    run = project_copy.preflight("--json")
    document = finished(run)
    assert ".env has Windows (CRLF) line endings" in messages(document, "env.dotenv")
    assert document["profile"]["instance_id"] == "web-crlf"
    assert not [m for m in messages(document, "django.checks") if "checkers." in m]


def test_export_prefixes_and_quoted_hashes(project_copy):
    project_copy.write_env('export INSTANCE_ID="web # 1"\nexport DJANGO_DEBUG=off\n')
    document = finished(project_copy.preflight("--json"))
    assert document["profile"]["instance_id"] == "web # 1"
    assert document["profile"]["debug"] is False
    assert messages(document, "env.dotenv") == [".env file found"]


def test_a_line_that_does_not_parse_is_named_by_number_not_value(project_copy):
    project_copy.write_env(
        "INSTANCE_ID=ok\nthis is not fake-value-PLANTED an assignment\nDEPLOY_METHOD=bare\n"
    )
    run = project_copy.preflight("--json")
    document = finished(run)
    assert ".env line 2 could not be parsed and was ignored" in messages(document, "env.dotenv")
    assert document["profile"]["instance_id"] == "ok"
    assert "PLANTED" not in run.everything()


def test_non_utf8_bytes_lose_only_their_line(project_copy):
    project_copy.write_env(b"# caf\xe9\nINSTANCE_ID=web-1\nDJANGO_ENV=prod\nDJANGO_DEBUG=1\n")
    run = project_copy.preflight("--json")
    document = finished(run)
    assert messages(document, "env.dotenv") == [".env line 1 is not UTF-8 text and was ignored"]
    assert document["profile"]["environment"] == "prod"  # the rest of the file still counts
    assert run.returncode == 1


def test_nul_byte_and_fifo_and_device(project_copy):
    import os

    project_copy.write_env(b"INSTANCE_ID=a\x00b\n")
    assert messages(finished(project_copy.preflight("--json")), "env.dotenv") == [
        ".env line 1 is not UTF-8 text and was ignored"
    ]
    (project_copy.root / ".env").unlink()
    os.mkfifo(project_copy.root / ".env")
    assert messages(finished(project_copy.preflight("--json")), "env.dotenv") == [
        ".env is not a regular file; none of it was loaded"
    ]
    (project_copy.root / ".env").unlink()
    (project_copy.root / ".env").symlink_to("/dev/zero")
    assert messages(finished(project_copy.preflight("--json")), "env.dotenv") == [
        ".env is not a regular file; none of it was loaded"
    ]


def test_env_that_is_a_directory(project_copy):
    (project_copy.root / ".env").mkdir()
    document = finished(project_copy.preflight("--json"))
    assert messages(document, "env.dotenv") == [
        ".env is a directory, not a file; none of it was loaded"
    ]


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("DJANGO_DEBUG", "maybe", "checkers.E001: DJANGO_DEBUG='maybe' is not a boolean"),
        (
            "PREFLIGHT_TIMEOUT",
            "abc",
            "checkers.E002: PREFLIGHT_TIMEOUT='abc' is not a number of seconds",
        ),
        (
            "DATABASE_URL",
            "nonsense://",
            "checkers.E004: DATABASE_URL (scheme 'nonsense') is not a database URL",
        ),
        (
            "DJANGO_ENV",
            "staging",
            "checkers.E003: DJANGO_ENV='staging' is not one of dev, prod; using prod",
        ),
    ],
)
def test_bad_values_are_error_rows(project_copy, variable, value, expected):
    run = project_copy.preflight("--json", **{variable: value})
    document = finished(run)
    assert run.returncode == 1
    assert any(message.startswith(expected) for message in messages(document, "django.checks"))


def test_logs_dir_that_is_a_file(project_copy):
    (project_copy.root / "logfile").write_text("")
    run = project_copy.preflight("--json", LOGS_DIR="logfile")
    document = finished(run)
    rows = [row for row in document["checks"] if "logfile" in row["message"]]
    assert [(row["id"], row["level"]) for row in rows] == [("install.logs_dir", "error")]
    assert rows[0]["message"] == "Logs directory logfile/ is not a directory"
    assert (project_copy.root / "logfile").read_text() == ""


def test_corrupt_last_line_in_the_log(project_copy):
    logs = project_copy.root / "logs"
    logs.mkdir()
    (logs / "checks.log").write_text('{"passed": 1}\n{"passed": 2, "che')
    run = project_copy.preflight("--json")
    finished(run)
    lines = run.log.splitlines()
    assert lines[:2] == ['{"passed": 1}', '{"passed": 2, "che']
    assert json.loads(lines[2])["passed"] >= 1


def test_twenty_concurrent_runs_leave_twenty_whole_lines(project_copy):
    environ = {**project_copy.env}
    processes = [
        subprocess.Popen(
            [sys.executable, "manage.py", "preflight", "--verbosity", "0"],
            cwd=project_copy.root,
            env=environ,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for _ in range(20)
    ]
    for process in processes:
        _, stderr = process.communicate(timeout=120)
        assert process.returncode in (0, 1) and b"Traceback" not in stderr
    lines = (project_copy.root / "logs" / "checks.log").read_text().splitlines()
    assert len(lines) == 20
    assert all(json.loads(line)["checks"] for line in lines)


def test_empty_env_sample(project_copy):
    (project_copy.root / ".env.sample").write_text("")
    project_copy.write_env("INSTANCE_ID=web-1\n")
    document = finished(project_copy.preflight("--json"))
    drift = [row for row in document["checks"] if row["id"] == "config.env_drift"]
    assert [row["level"] for row in drift] == ["warn"]
    assert "INSTANCE_ID" in drift[0]["message"] and "web-1" not in drift[0]["message"]


def test_invalid_statsd_port_is_one_error_row(project_copy):
    run = project_copy.preflight("--json", STATSD_PORT="99999")
    document = finished(run)
    rows = [row for row in document["checks"] if "STATSD_PORT" in row["message"]]
    assert [(row["id"], row["level"]) for row in rows] == [("config.metrics", "error")]
    assert run.returncode == 1


HANGING = "#!/bin/sh\nexec sleep 60\n"


@pytest.mark.parametrize("deploy", ["docker", "systemd"])
def test_every_external_thing_hung_at_once_costs_one_timeout(
    project_copy, silent_listener, tmp_path, deploy
):
    tools = tmp_path / "hanging-tools"
    tools.mkdir()
    for tool in ("docker", "systemctl", "crontab", "uv"):
        (tools / tool).write_text(HANGING)
        (tools / tool).chmod(0o755)
    port = silent_listener.port
    run = project_copy.preflight(
        "--json",
        PATH=f"{tools}:{project_copy.env['PATH']}",
        PREFLIGHT_TIMEOUT="3",
        DJANGO_ENV="prod",
        DJANGO_SECRET_KEY="fake-hung-test-key-" + "x1y2z3" * 10,
        DEPLOY_METHOD=deploy,
        DATABASE_URL=f"postgres://u:fake-hung-db-pw@127.0.0.1:{port}/app",
        CELERY_BROKER_URL=f"redis://:fake-hung-broker-pw@127.0.0.1:{port}/0",
        CELERY_TASK_ALWAYS_EAGER="0",
    )
    document = finished(run)
    assert run.seconds < 3 + 1.5 + 1  # one timeout, plus start-up
    by_id = {row["id"]: row for row in document["checks"]}
    for check_id in ("db.connection", "config.celery_broker", "install.cron", f"deploy.{deploy}"):
        assert check_id in by_id, check_id
        assert by_id[check_id]["level"] in ("warn", "error"), by_id[check_id]
        assert by_id[check_id]["duration_ms"] <= 4000
    assert "fake-hung" not in run.everything()
