"""What the checks of one run share: settings, paths, and facts worked out once."""

from __future__ import annotations

import os
import sys
import threading
from functools import cached_property
from pathlib import Path

from config.env import EnvFile, read_env_file

from . import NotApplicable
from .database import DatabaseState, pipeline_unavailable, probe


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
        self._databases: dict[str, tuple[threading.Event, list]] = {}

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
        """Probe an alias once per run. The first caller probes; the others wait for it, and
        give up a little before their own deadline so that only the prober times out."""
        with self._lock:
            first = alias not in self._databases
            if first:
                self._databases[alias] = (threading.Event(), [])
            done, holder = self._databases[alias]
        if first:
            try:
                holder.append(
                    probe(alias, self.settings.DATABASES[alias], self.base_dir, self.timeout)
                )
            finally:
                done.set()
        elif not done.wait(max(0.0, self.timeout - 0.25)):
            raise NotApplicable(f"database {alias} did not answer within {self.timeout:g}s")
        if not holder:
            raise NotApplicable(f"database {alias} could not be probed")
        return holder[0]

    def probed_database(self, alias: str) -> DatabaseState | None:
        """The probe's result if it has finished, without waiting for it."""
        with self._lock:
            _done, holder = self._databases.get(alias, (None, []))
        return holder[0] if holder else None

    def require_pipeline_tables(self) -> None:
        """Raise NotApplicable unless the default database answers and is migrated."""
        reason = pipeline_unavailable(self.database("default"))
        if reason:
            raise NotApplicable(reason)
