"""Probing a database alias once per run: connect, trivial query, pending migrations."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

VENDOR_NAMES = {
    "sqlite": "SQLite",
    "postgresql": "PostgreSQL",
    "mysql": "MySQL",
    "oracle": "Oracle",
}


@dataclass
class DatabaseState:
    alias: str
    description: str  # "SQLite @ db.sqlite3", never with credentials
    failure: str = ""  # classified reason the connection failed; empty when it worked
    pending: list[str] = field(default_factory=list)
    migrations_failure: str = ""  # why pending migrations could not be listed
    file_missing: bool = False  # a SQLite file not created yet (migrate creates it)

    @property
    def connected(self) -> bool:
        return not self.failure


PIPELINE_APPS = ("notify", "orchestration", "intelligence")


def pipeline_unavailable(state: DatabaseState) -> str:
    """Why the pipeline tables cannot be read from this database, or "" when they can."""
    if not state.connected:
        return f"database default connection failed ({state.failure})"
    if state.migrations_failure:
        return f"database default: pending migrations unknown ({state.migrations_failure})"
    if any(name.split(".", 1)[0] in PIPELINE_APPS for name in state.pending):
        return "database default not migrated (run: uv run python manage.py migrate)"
    return ""


def vendor_name(engine: str) -> str:
    for key, name in VENDOR_NAMES.items():
        if key in engine:
            return name
    return engine.rsplit(".", 1)[-1]


def display_file(path: Path, base_dir: Path) -> str:
    """A path as the operator types it from the project directory."""
    try:
        return str(Path(path).relative_to(base_dir))
    except ValueError:
        return str(path)


def describe(db: dict, base_dir: Path) -> tuple[str, str]:
    """(vendor, location) of a DATABASES entry, without user or password."""
    vendor = vendor_name(db.get("ENGINE", ""))
    name = str(db.get("NAME") or "")
    if vendor == "SQLite":
        return vendor, display_file(Path(name), base_dir)
    host = db.get("HOST") or "localhost"
    port = db.get("PORT") or ""
    return vendor, f"{host}:{port}/{name}" if port else f"{host}/{name}"


def classify(exc: BaseException) -> str:
    """A short reason for a connection failure, never the driver's raw text."""
    text = str(exc).lower()
    if (
        "authentication failed" in text
        or "access denied" in text
        or ("role" in text and "does not exist" in text)
        or "no password supplied" in text
    ):
        return "authentication failed"
    if "does not exist" in text and "database" in text:
        return "database missing"
    if "timeout" in text or "timed out" in text:
        return "timed out"
    if "unable to open database file" in text:
        return "cannot open the database file"
    if "database is locked" in text:
        return "database is locked"
    if "file is not a database" in text:
        return "not a SQLite database file"
    if any(
        sign in text
        for sign in (
            "connection refused",
            "could not connect",
            "could not translate host name",
            "name or service not known",
            "no route to host",
            "network is unreachable",
        )
    ):
        return "unreachable"
    return f"failed ({type(exc).__name__})"


def timeout_options(engine: str, timeout: float) -> dict:
    """Driver options that bound one connection attempt below the check's deadline."""
    seconds = max(1, math.ceil(timeout) - 1)
    if "postgresql" in engine:
        return {"connect_timeout": seconds}
    if "sqlite" in engine:
        return {"timeout": seconds}
    return {}


def probe(alias: str, db: dict, base_dir: Path, timeout: float) -> DatabaseState:
    """Connect with a bounded timeout on a private connection, then list pending migrations."""
    from django.db import DEFAULT_DB_ALIAS, connections
    from django.db.utils import load_backend

    vendor, location = describe(db, base_dir)
    state = DatabaseState(alias, f"{vendor} @ {location}")
    if sqlite_not_a_file(db):
        state.failure = "not a regular file"
        return state
    if sqlite_file_missing(db):
        # Connecting would create an empty file: say what migrate will do instead.
        state.file_missing = True
        state.pending = pending_migrations(None)
        return state
    options = {**db.get("OPTIONS", {}), **timeout_options(db["ENGINE"], timeout)}
    # A private connection, so that the timeout options touch no one else. It is registered
    # (in this thread only) under its own alias: the migration recorder looks it up by alias.
    complete = connections.configure_settings({DEFAULT_DB_ALIAS: {**db, "OPTIONS": options}})
    private_alias = f"preflight-probe-{alias}"
    wrapper = load_backend(db["ENGINE"]).DatabaseWrapper(complete[DEFAULT_DB_ALIAS], private_alias)
    connections[private_alias] = wrapper
    try:
        try:
            with wrapper.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
        except Exception as exc:
            state.failure = classify(exc)
            return state
        try:
            state.pending = pending_migrations(wrapper)
        except Exception as exc:
            state.migrations_failure = classify(exc)
        return state
    finally:
        wrapper.close()
        del connections[private_alias]


def exists_quietly(path: Path) -> bool:
    """Path.exists(), but False for a path the OS refuses to look at (a name too long)."""
    try:
        return path.exists()
    except OSError:
        return False


def sqlite_path(db: dict) -> Path | None:
    """The file of a SQLite database; None for another vendor or an in-memory database."""
    name = str(db.get("NAME") or "")
    if "sqlite" not in db.get("ENGINE", "") or name in ("", ":memory:") or name.startswith("file:"):
        return None
    return Path(name)


def sqlite_not_a_file(db: dict) -> bool:
    """A SQLite path that names something other than a regular file (/dev/zero, a FIFO):
    SQLite would open it and every query would fail or hang."""
    path = sqlite_path(db)
    return path is not None and exists_quietly(path) and not path.is_file()


def sqlite_file_missing(db: dict) -> bool:
    """A SQLite file that does not exist yet in a directory that does: migrate will create it.
    (A missing directory is left to the connection, which fails and says so.)"""
    path = sqlite_path(db)
    if path is None:
        return False
    try:
        path.stat()
    except FileNotFoundError:
        return path.parent.is_dir()
    except OSError:  # a name too long, a loop: the connection will fail and say so
        return False
    return False


def pending_migrations(connection) -> list[str]:
    """Migrations not applied on this connection (all of them without one), in the order
    migrate would apply them."""
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


def bound_queries(connection, timeout: float) -> None:
    """Have the server cancel this connection's queries after `timeout`: a check that gives up
    on a locked table must not leave its query queued behind the lock after the run."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = %s", [max(1, round(timeout * 1000))])
