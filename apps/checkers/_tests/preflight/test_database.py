import sqlite3
import threading
import time

import pytest

from apps.checkers.preflight import (
    ERROR,
    OK,
    WARN,
    NotApplicable,
    checks,
)
from apps.checkers.preflight import (
    context as context_module,
)
from apps.checkers.preflight.context import DatabaseUnanswered
from apps.checkers.preflight.database import (
    DatabaseState,
    classify,
    describe,
    probe,
    timeout_options,
    vendor_name,
)

pytestmark = pytest.mark.usefixtures("unblocked_db")


class TestDescribe:
    def test_sqlite_in_project(self, project):
        db = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(project / "db.sqlite3")}
        assert describe(db, project) == ("SQLite", "db.sqlite3")

    def test_sqlite_elsewhere(self, project):
        db = {"ENGINE": "django.db.backends.sqlite3", "NAME": "/srv/app.db"}
        assert describe(db, project) == ("SQLite", "/srv/app.db")

    def test_postgres_without_credentials(self, project):
        db = {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": "app",
            "USER": "app",
            "PASSWORD": "fake-pw-123",
            "HOST": "db.internal",
            "PORT": 5432,
        }
        assert describe(db, project) == ("PostgreSQL", "db.internal:5432/app")

    def test_postgres_defaults(self, project):
        db = {"ENGINE": "django.db.backends.postgresql", "NAME": "app", "HOST": "", "PORT": ""}
        assert describe(db, project) == ("PostgreSQL", "localhost/app")

    def test_vendor_names(self):
        assert vendor_name("django.db.backends.mysql") == "MySQL"
        assert vendor_name("custom.backend.thing") == "thing"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('FATAL:  password authentication failed for user "app"', "authentication failed"),
        ("Access denied for user", "authentication failed"),
        ('FATAL:  role "nobodyx" does not exist', "authentication failed"),
        ("fe_sendauth: no password supplied", "authentication failed"),
        ('FATAL:  database "nope" does not exist', "database missing"),
        ("timeout expired", "timed out"),
        ("unable to open database file", "cannot open the database file"),
        ("database is locked", "database is locked"),
        ("file is not a database", "not a SQLite database file"),
        ("connection refused", "unreachable"),
        ('could not translate host name "x" to address', "unreachable"),
        ("Name or service not known", "unreachable"),
        ("No route to host", "unreachable"),
        ("Network is unreachable", "unreachable"),
        ("could not connect to server", "unreachable"),
        ("something else entirely", "failed (RuntimeError)"),
    ],
)
def test_classify(text, reason):
    assert classify(RuntimeError(text)) == reason


def test_timeout_options():
    assert timeout_options("django.db.backends.postgresql", 5) == {"connect_timeout": 4}
    assert timeout_options("django.db.backends.postgresql", 0.5) == {"connect_timeout": 1}
    assert timeout_options("django.db.backends.sqlite3", 2.5) == {"timeout": 2}
    assert timeout_options("django.db.backends.mysql", 5) == {}


class TestProbe:
    def test_missing_sqlite_file_is_not_created(self, project, sqlite_db):
        state = probe("default", sqlite_db(), project, 5)
        assert state.connected and state.file_missing
        assert state.pending[0] == "contenttypes.0001_initial" and len(state.pending) > 10
        assert not (project / "db.sqlite3").exists()

    def test_empty_sqlite_lists_every_migration(self, project, sqlite_db):
        sqlite3.connect(sqlite_db()["NAME"]).close()
        state = probe("default", sqlite_db(), project, 5)
        assert not state.file_missing
        assert state.connected and state.description == "SQLite @ db.sqlite3"
        assert state.pending[0] == "contenttypes.0001_initial"
        assert "auth.0001_initial" in state.pending
        assert not state.migrations_failure

    def test_unopenable_sqlite(self, project):
        db = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(project / "no" / "such.db")}
        state = probe("default", db, project, 5)
        assert not state.connected and state.failure == "cannot open the database file"

    @pytest.mark.parametrize("target", ["directory", "/dev/zero"])
    def test_sqlite_path_that_is_not_a_file(self, project, target):
        path = project / "such.db"
        if target == "directory":
            path.mkdir()
        else:
            path.symlink_to(target)
        db = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path)}
        state = probe("default", db, project, 5)
        assert not state.connected and state.failure == "not a regular file"

    def test_sqlite_name_too_long(self, project):
        db = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(project / ("x" * 300))}
        state = probe("default", db, project, 5)
        assert not state.connected and state.failure == "cannot open the database file"

    def test_broken_migration_table(self, project, sqlite_db):
        db = sqlite_db()
        with sqlite3.connect(db["NAME"]) as raw:
            raw.execute("CREATE TABLE django_migrations (id integer)")
        state = probe("default", db, project, 5)
        assert state.connected
        assert state.migrations_failure == "failed (OperationalError)"

    def test_closed_postgres_port_is_unreachable_fast(self, project):
        db = {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": "app",
            "USER": "app",
            "PASSWORD": "fake-pw-closed",
            "HOST": "127.0.0.1",
            "PORT": 1,
        }
        started = time.monotonic()
        state = probe("default", db, project, 5)
        assert state.failure == "unreachable"
        assert time.monotonic() - started < 2


@pytest.mark.django_db
def test_probe_of_the_migrated_test_database(settings):
    state = probe("default", settings.DATABASES["default"], settings.BASE_DIR, 5)
    assert state.connected and state.pending == []


class TestConnectionCheck:
    def test_file_not_created_yet(self, make_context, settings, sqlite_db):
        settings.DATABASES = {"default": sqlite_db()}
        assert [(r.level, r.message) for r in checks.check_db_connection(make_context())] == [
            (OK, "Database file not created yet (SQLite @ db.sqlite3): migrate creates it")
        ]

    def test_works(self, make_context, settings, sqlite_db):
        sqlite3.connect(sqlite_db()["NAME"]).close()
        settings.DATABASES = {"default": sqlite_db()}
        assert [(r.level, r.message, r.id) for r in checks.check_db_connection(make_context())] == [
            (OK, "Database connection works (SQLite @ db.sqlite3)", "db.connection")
        ]

    def test_every_alias_gets_a_row(self, make_context, settings, sqlite_db, project):
        sqlite3.connect(sqlite_db()["NAME"]).close()
        settings.DATABASES = {
            "default": sqlite_db(),
            "archive": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(project / "x" / "a.db"),
            },
        }
        results = checks.check_db_connection(make_context())
        assert [(r.level, r.message) for r in results] == [
            (OK, "Database default connection works (SQLite @ db.sqlite3)"),
            (
                ERROR,
                "Database archive connection failed: cannot open the database file (SQLite @ x/a.db)",
            ),
        ]


class TestMigrationsCheck:
    def test_pending_in_dev(self, make_context, settings, sqlite_db):
        settings.DATABASES = {"default": sqlite_db()}
        [result] = checks.check_db_migrations(make_context())
        assert (result.level, result.id) == (WARN, "db.migrations")
        assert result.message.startswith("Database: ")
        assert " pending migrations: contenttypes.0001_initial, auth.0001_initial" in result.message
        assert result.message.endswith(" more)")
        assert result.hint == "uv run python manage.py migrate"

    def test_pending_in_prod_is_an_error(self, make_context, settings, sqlite_db):
        settings.DATABASES = {"default": sqlite_db()}
        settings.DJANGO_ENV = "prod"
        assert checks.check_db_migrations(make_context())[0].level == ERROR

    def test_a_single_pending_migration(self, make_context, settings, sqlite_db):
        settings.DATABASES = {"default": sqlite_db()}
        state = DatabaseState("default", "SQLite @ db.sqlite3", pending=["notify.0002_extra"])
        context = make_context()
        context.database = lambda alias: state
        [result] = checks.check_db_migrations(context)
        assert result.message == "Database: 1 pending migration: notify.0002_extra"

    def test_other_alias_names_itself_in_the_hint(self, make_context, settings, sqlite_db):
        settings.DATABASES = {"default": sqlite_db(), "archive": sqlite_db("archive.db")}
        results = checks.check_db_migrations(make_context())
        assert [r.hint for r in results] == [
            "uv run python manage.py migrate",
            "uv run python manage.py migrate --database archive",
        ]
        assert results[1].message.startswith("Database archive: ")

    @pytest.mark.django_db
    def test_none_pending(self, make_context):
        assert [(r.level, r.message) for r in checks.check_db_migrations(make_context())] == [
            (OK, "Database: no pending migrations")
        ]

    def test_unknown(self, make_context, settings, sqlite_db):
        db = sqlite_db()
        with sqlite3.connect(db["NAME"]) as raw:
            raw.execute("CREATE TABLE django_migrations (id integer)")
        settings.DATABASES = {"default": db}
        [result] = checks.check_db_migrations(make_context())
        assert result.level == ERROR
        assert result.message == "Database: pending migrations unknown: failed (OperationalError)"

    def test_skipped_when_unreachable(self, make_context, settings, project):
        settings.DATABASES = {
            "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(project / "x" / "d.db")}
        }
        with pytest.raises(NotApplicable, match="database default unreachable"):
            checks.check_db_migrations(make_context())

    def test_unreachable_alias_is_left_to_the_connection_row(
        self, make_context, settings, sqlite_db, project
    ):
        settings.DATABASES = {
            "default": sqlite_db(),
            "archive": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(project / "x" / "a.db"),
            },
        }
        results = checks.check_db_migrations(make_context())
        assert len(results) == 1 and results[0].message.startswith("Database default: ")


class TestContextProbesOnce:
    def test_concurrent_callers_share_one_probe(self, make_context, monkeypatch):
        calls = []

        def slow_probe(alias, db, base_dir, timeout):
            calls.append(alias)
            time.sleep(0.2)
            return DatabaseState(alias, "SQLite @ x")

        monkeypatch.setattr(context_module, "probe", slow_probe)
        context = make_context()
        states = []
        threads = [
            threading.Thread(target=lambda: states.append(context.database("default")))
            for _ in range(3)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert calls == ["default"]
        assert len(states) == 3 and states[0] is states[1] is states[2]

    def test_callers_give_up_before_their_deadline(self, make_context, monkeypatch):
        release = threading.Event()

        def hung_probe(alias, db, base_dir, timeout):
            release.wait(5)
            return DatabaseState(alias, "x")

        monkeypatch.setattr(context_module, "probe", hung_probe)
        context = make_context(timeout=0.5)
        started = time.monotonic()
        with pytest.raises(DatabaseUnanswered, match="timed out after 0.5s") as caught:
            context.database("default")
        assert time.monotonic() - started < 0.5
        assert caught.value.reason == "database did not answer: timed out after 0.5s"
        release.set()

    def test_a_crashed_probe(self, make_context, monkeypatch):
        def crashing_probe(alias, db, base_dir, timeout):
            raise RuntimeError("boom")

        monkeypatch.setattr(context_module, "probe", crashing_probe)
        context = make_context()
        for _ in range(2):
            with pytest.raises(DatabaseUnanswered, match=r"probe failed \(RuntimeError\)"):
                context.database("default")

    def test_connection_row_when_the_database_does_not_answer(
        self, make_context, monkeypatch, settings
    ):
        def crashing_probe(alias, db, base_dir, timeout):
            raise RuntimeError("boom")

        monkeypatch.setattr(context_module, "probe", crashing_probe)
        [result] = checks.check_db_connection(make_context())
        assert (result.level, result.id) == (ERROR, "db.connection")
        assert result.message == "Database connection probe failed (RuntimeError)"
        with pytest.raises(NotApplicable, match="probe failed") as caught:
            checks.check_db_migrations(make_context())
        assert caught.value.reason == "database did not answer: probe failed (RuntimeError)"


@pytest.mark.postgres
def test_queries_are_bounded_on_postgresql():
    from django.db import DEFAULT_DB_ALIAS, connections
    from django.db.utils import load_backend

    from apps.checkers.preflight.database import bound_queries

    db = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "test",
        "USER": "postgres",
        "HOST": "127.0.0.1",
        "PORT": 5432,
    }
    settings_dict = connections.configure_settings({DEFAULT_DB_ALIAS: db})[DEFAULT_DB_ALIAS]
    connection = load_backend(db["ENGINE"]).DatabaseWrapper(settings_dict, "bounded")
    try:
        bound_queries(connection, 2.5)
        with connection.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            assert cursor.fetchone()[0] == "2500ms"
    finally:
        connection.close()


def test_queries_on_sqlite_need_no_bound(settings):
    from django.db import connection

    from apps.checkers.preflight.database import bound_queries

    assert connection.vendor == "sqlite"
    bound_queries(connection, 1)  # nothing to set: SQLite's busy timeout is an OPTION
