"""Hint builders, and the hints of the database rows (one command per classified failure)."""

import socket
import sqlite3

import pytest

from apps.checkers.preflight import ERROR, checks, hints


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class TestBuilders:
    def test_set_env_quotes_each_assignment_for_the_shell(self):
        assert hints.set_env("A=1", "B=two words", "C=$HOME") == (
            "bin/set_env.sh A=1 'B=two words' 'C=$HOME'"
        )

    def test_ask_env(self):
        assert hints.ask_env("HUB_API_KEY") == "bin/set_env.sh --ask HUB_API_KEY"

    def test_command_quotes_each_word(self):
        assert hints.command("ls", "-ld", "my dir") == "ls -ld 'my dir'"

    def test_manage_names_a_database_other_than_the_default(self):
        assert hints.manage("migrate") == "uv run python manage.py migrate"
        assert hints.manage("migrate", database="archive") == (
            "uv run python manage.py migrate --database archive"
        )


@pytest.mark.parametrize(
    ("host", "local"),
    [
        ("", True),
        ("/var/run/postgresql", True),
        ("localhost", True),
        ("LOCALHOST.", True),
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", True),
        ("box-7", True),  # this machine's name
        ("db.internal", False),
        ("10.0.0.5", False),
    ],
)
def test_is_local_host(monkeypatch, host, local):
    monkeypatch.setattr(socket, "gethostname", lambda: "Box-7")
    assert checks.is_local_host(host) is local


POSTGRES = {
    "ENGINE": "django.db.backends.postgresql",
    "NAME": "app",
    "USER": "app_user",
    "PASSWORD": "fake-db-pw",
    "HOST": "db.internal",
    "PORT": "5433",
}


class TestDatabaseConnectionHints:
    def hint(self, make_context, settings, failure, alias="default", **database):
        settings.DATABASES = {"default": {**POSTGRES, **database}, "archive": dict(POSTGRES)}
        return checks.db_connection_hint(make_context(), alias, failure)

    @pytest.mark.parametrize(
        ("failure", "database", "hint"),
        [
            ("unreachable", {}, "pg_isready -h db.internal -p 5433"),
            ("unreachable", {"HOST": "", "PORT": ""}, "sudo systemctl start postgresql"),
            ("unreachable", {"HOST": "/var/run/postgresql"}, "sudo systemctl start postgresql"),
            ("timed out", {"HOST": "127.0.0.1"}, "pg_isready -h 127.0.0.1 -p 5433"),
            ("database missing", {}, "createdb -h db.internal -p 5433 -U app_user app"),
            ("database missing", {"USER": ""}, "createdb -h db.internal -p 5433 app"),
            # The URL with the right password, asked for: never in the hint itself.
            ("authentication failed", {}, "bin/set_env.sh --ask DATABASE_URL"),
            (
                "failed (OperationalError)",
                {"NAME": "my app"},
                "psql -h db.internal -p 5433 -U app_user -d 'my app' -c 'select 1'",
            ),
        ],
    )
    def test_postgres(self, make_context, settings, failure, database, hint):
        assert self.hint(make_context, settings, failure, **database) == hint
        assert "fake-db-pw" not in hint

    def test_postgres_credentials_of_another_alias_are_tested_with_psql(
        self, make_context, settings
    ):
        hint = self.hint(make_context, settings, "authentication failed", alias="archive")
        assert hint == "psql -h db.internal -p 5433 -U app_user -d app -c 'select 1'"

    def test_other_vendors_open_the_database_shell(self, make_context, settings):
        settings.DATABASES = {
            "default": {"ENGINE": "django.db.backends.mysql", "NAME": "app"},
            "legacy": {"ENGINE": "django.db.backends.mysql", "NAME": "old"},
        }
        context = make_context()
        assert checks.db_connection_hint(context, "default", "unreachable") == (
            "uv run python manage.py dbshell"
        )
        assert checks.db_connection_hint(context, "legacy", "unreachable") == (
            "uv run python manage.py dbshell --database legacy"
        )

    def test_sqlite(self, make_context, settings, project):
        settings.DATABASES = {
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(project / "var" / "db"),
            },
            "memory": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"},
        }
        context = make_context()
        cannot_open = "cannot open the database file"
        assert checks.db_connection_hint(context, "default", cannot_open) == "mkdir -p var"
        (project / "var").mkdir()
        assert checks.db_connection_hint(context, "default", cannot_open) == "ls -ld var"
        assert checks.db_connection_hint(context, "default", "failed (DatabaseError)") == (
            "uv run python manage.py dbshell"
        )
        assert checks.db_connection_hint(context, "memory", cannot_open) == (
            "uv run python manage.py dbshell --database memory"
        )


@pytest.mark.usefixtures("unblocked_db")
class TestDatabaseRows:
    def test_missing_sqlite_directory(self, make_context, settings, project):
        settings.DATABASES = {
            "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(project / "x" / "d.db")}
        }
        [result] = checks.check_db_connection(make_context())
        assert (result.level, result.message, result.hint) == (
            ERROR,
            "Database connection failed: cannot open the database file (SQLite @ x/d.db)",
            "mkdir -p x",
        )

    def test_closed_local_postgres_port(self, make_context, settings):
        port = closed_port()
        settings.DATABASES = {"default": {**POSTGRES, "HOST": "127.0.0.1", "PORT": str(port)}}
        [result] = checks.check_db_connection(make_context(timeout=2))
        assert result.message == (
            f"Database connection failed: unreachable (PostgreSQL @ 127.0.0.1:{port}/app)"
        )
        assert result.hint == "sudo systemctl start postgresql"

    def test_migrations_unknown_shows_them(self, make_context, settings, sqlite_db):
        db = sqlite_db()
        with sqlite3.connect(db["NAME"]) as raw:
            raw.execute("CREATE TABLE django_migrations (id integer)")
        settings.DATABASES = {"default": db}
        [result] = checks.check_db_migrations(make_context())
        assert result.message == "Database: pending migrations unknown: failed (OperationalError)"
        assert result.hint == "uv run python manage.py showmigrations"
