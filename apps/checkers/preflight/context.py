"""What the checks of one run share: settings, paths, and facts worked out once."""

from __future__ import annotations

import os
import sys
import threading
from functools import cached_property
from pathlib import Path

from config.env import EnvFile, read_env_file

from . import NotApplicable
from .database import DatabaseState, bound_queries, pipeline_unavailable, probe
from .runner import Job

WAITER_MARGIN = 0.25  # seconds before the deadline at which a caller stops waiting


class DatabaseUnanswered(NotApplicable):
    """The probe did not finish in time (or crashed): db.connection reports it, the checks
    that need the database are skipped."""

    @property
    def reason(self) -> str:
        return f"database did not answer: {self}"


class Context:
    def __init__(
        self,
        settings=None,
        *,
        base_dir: Path | None = None,
        environ=None,
        timeout: float | None = None,
        python_version: tuple[int, int] | None = None,
        prefix: str | None = None,
        base_prefix: str | None = None,
    ):
        if settings is None:
            from django.conf import settings
        self.settings = settings
        self.base_dir = Path(base_dir or settings.BASE_DIR)
        self.environ = os.environ if environ is None else environ
        self.timeout = float(timeout or settings.PREFLIGHT_TIMEOUT)
        self.python_version = python_version or sys.version_info[:2]
        self.prefix = prefix or sys.prefix
        self.base_prefix = base_prefix or sys.base_prefix
        self._lock = threading.Lock()
        self._databases: dict[str, Job] = {}

    @property
    def is_prod(self) -> bool:
        return self.settings.DJANGO_ENV == "prod"

    @property
    def env_name(self) -> str:
        return self.settings.DJANGO_ENV

    @cached_property
    def env_file(self) -> EnvFile:
        return read_env_file(self.base_dir / ".env")

    @cached_property
    def sample_file(self) -> EnvFile:
        return read_env_file(self.base_dir / ".env.sample")

    def database(self, alias: str) -> DatabaseState:
        """Probe an alias once per run, in a thread of its own that every caller waits for.
        Callers give up a little before their own deadline: DatabaseUnanswered, a skip for
        every check but db.connection, which reports it."""
        with self._lock:
            job = self._databases.get(alias)
            if job is None:
                db = self.settings.DATABASES[alias]
                job = Job(f"probe-{alias}", probe, alias, db, self.base_dir, self.timeout)
                self._databases[alias] = job.start()
        if not job.done.wait(max(0.0, self.timeout - WAITER_MARGIN)):
            raise DatabaseUnanswered(f"timed out after {self.timeout:g}s")
        if job.error is not None:
            raise DatabaseUnanswered(f"probe failed ({type(job.error).__name__})")
        return job.value

    def require_pipeline_tables(self) -> None:
        """Raise NotApplicable unless the default database answers and is migrated; bound
        this thread's queries by the deadline."""
        reason = pipeline_unavailable(self.database("default"))
        if reason:
            raise NotApplicable(reason)
        from django.db import connection

        bound_queries(connection, self.timeout)
