"""Runs the checks: concurrently, each bounded by the timeout, results in inventory order.

This is the one boundary for exceptions, timing and redaction: a check that raises becomes an
ERR row, a check still running at its deadline becomes an ERR row, and every message and hint
leaves here redacted.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from . import CheckResult, NotApplicable, error
from .redact import Redactor

Check = Callable[..., list[CheckResult]]


@dataclass
class Skipped:
    id: str
    reason: str


@dataclass
class Outcome:
    results: list[CheckResult] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


class _Slot:
    """One check's thread and what it left behind."""

    def __init__(self, check: Check, context):
        self.check = check
        self.context = context
        self.results: list[CheckResult] = []
        self.skipped: str | None = None
        self.duration_ms = 0
        self.done = threading.Event()
        # Daemon: a check that never returns must not keep the process alive.
        self.thread = threading.Thread(target=self.run, name=check.check_id, daemon=True)

    def run(self) -> None:
        started = time.perf_counter()
        try:
            self.results = list(self.check(self.context))
        except NotApplicable as exc:
            self.skipped = exc.reason
        except Exception as exc:
            self.results = [error(f"{self.check.check_id} failed: {type(exc).__name__}")]
        finally:
            self.duration_ms = round((time.perf_counter() - started) * 1000)
            close_thread_connections()
            self.done.set()


def close_thread_connections() -> None:
    from django.db import connections

    connections.close_all()


def run_checks(checks: Sequence[Check], context, redactor: Redactor) -> Outcome:
    slots = [_Slot(check, context) for check in checks]
    deadline = time.monotonic() + context.timeout
    for slot in slots:
        slot.thread.start()
    outcome = Outcome()
    for slot in slots:
        check_id = slot.check.check_id
        if not slot.done.wait(max(0.0, deadline - time.monotonic())):
            outcome.results.append(
                CheckResult(
                    "error",
                    f"{check_id} timed out after {context.timeout:g}s",
                    id=check_id,
                    duration_ms=round(context.timeout * 1000),
                )
            )
            continue
        if slot.skipped is not None:
            outcome.skipped.append(Skipped(check_id, redactor.text(slot.skipped)))
        for result in slot.results:
            outcome.results.append(
                replace(
                    result,
                    id=result.id or check_id,
                    message=redactor.text(result.message),
                    hint=redactor.text(result.hint),
                    duration_ms=slot.duration_ms,
                )
            )
    return outcome
