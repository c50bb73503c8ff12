"""The database checks against a real PostgreSQL server, through `manage.py preflight`."""

import pytest

from .conftest import closed_port

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


def test_migrated_database_is_ok(project_copy, fresh_postgres_db):
    migrate = project_copy.manage("migrate", "--noinput", DATABASE_URL=fresh_postgres_db)
    assert migrate.returncode == 0, migrate.stderr
    run = project_copy.preflight("--json", DATABASE_URL=fresh_postgres_db)
    name = fresh_postgres_db.rsplit("/", 1)[1]
    assert run.rows("db.connection") == [
        {
            **run.rows("db.connection")[0],
            "level": "ok",
            "message": f"Database connection works (PostgreSQL @ 127.0.0.1:5432/{name})",
        }
    ]
    assert [row["level"] for row in run.rows("db.migrations")] == ["ok"]
    assert run.rows("pipeline.channels")[0]["level"] == "warn"  # migrated: pipeline checks run
    assert run.json()["profile"]["database"] == f"127.0.0.1:5432/{name}"


def test_pending_migrations_are_found_without_applying_them(project_copy, fresh_postgres_db):
    run = project_copy.preflight("--json", DATABASE_URL=fresh_postgres_db)
    [row] = run.rows("db.migrations")
    assert (
        row["level"] == "warn" and "pending migrations: contenttypes.0001_initial" in row["message"]
    )
    again = project_copy.preflight("--json", DATABASE_URL=fresh_postgres_db)
    assert again.rows("db.migrations")[0]["message"] == row["message"]  # nothing was applied
    skipped = {item["id"]: item["reason"] for item in run.json()["skipped"]}
    assert skipped["pipeline.channels"].startswith("database default not migrated")


def test_prod_pending_migrations_are_an_error(project_copy, fresh_postgres_db):
    run = project_copy.preflight("--json", DATABASE_URL=fresh_postgres_db, DJANGO_ENV="prod")
    assert run.rows("db.migrations")[0]["level"] == "error"
    assert run.returncode == 1


def test_wrong_password_is_classified_and_never_shown(project_copy, password_postgres):
    port, _ = password_postgres
    wrong = "fake-wrong-pw-PLANTED"
    url = f"postgres://postgres:{wrong}@127.0.0.1:{port}/postgres"
    for args in (("--json",), ("--no-color", "--verbosity", "2")):
        run = project_copy.preflight(*args, DATABASE_URL=url)
        assert wrong not in run.everything()
        assert "authentication failed" in run.stdout
    [row] = project_copy.preflight("--json", DATABASE_URL=url).rows("db.connection")
    assert row["level"] == "error"
    assert (
        row["message"]
        == f"Database connection failed: authentication failed (PostgreSQL @ 127.0.0.1:{port}/postgres)"
    )


def test_right_password_but_missing_database(project_copy, password_postgres):
    port, password = password_postgres
    url = f"postgres://postgres:{password}@127.0.0.1:{port}/no_such_db"
    run = project_copy.preflight("--json", DATABASE_URL=url)
    assert run.rows("db.connection")[0]["message"].startswith(
        "Database connection failed: database missing"
    )
    assert password not in run.everything()
    ok = project_copy.preflight(
        "--json", DATABASE_URL=f"postgres://postgres:{password}@127.0.0.1:{port}/postgres"
    )
    assert ok.rows("db.connection")[0]["level"] == "ok"
    assert password not in ok.everything()


def test_closed_port_is_unreachable_in_well_under_the_timeout(project_copy):
    url = f"postgres://postgres:fake-pw-closed@127.0.0.1:{closed_port()}/app"
    run = project_copy.preflight("--json", DATABASE_URL=url, PREFLIGHT_TIMEOUT="5")
    [row] = run.rows("db.connection")
    assert row["level"] == "error" and "connection failed: unreachable" in row["message"]
    assert row["duration_ms"] < 1000


@pytest.mark.parametrize("timeout", ["2", "4"])
def test_silent_server_times_out_within_the_deadline(project_copy, silent_listener, timeout):
    url = f"postgres://postgres:fake-pw-silent@127.0.0.1:{silent_listener.port}/app"
    run = project_copy.preflight("--json", DATABASE_URL=url, PREFLIGHT_TIMEOUT=timeout)
    [row] = run.rows("db.connection")
    assert row["level"] == "error" and "timed out" in row["message"]
    assert row["duration_ms"] <= (int(timeout) + 1) * 1000
    assert run.seconds < int(timeout) + 2.5
    assert {"db.migrations", "pipeline.channels"} <= {item["id"] for item in run.json()["skipped"]}
    assert "fake-pw-silent" not in run.everything()
