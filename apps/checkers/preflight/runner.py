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


class Job:
    """A function run in a daemon thread of its own (one that never returns must not keep the
    process alive), its database connections closed when it ends."""

    def __init__(self, name: str, function: Callable, *args):
        self.function = function
        self.args = args
        self.value = None
        self.error: BaseException | None = None
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.run, name=name, daemon=True)

    def start(self) -> Job:
        self.thread.start()
        return self

    def run(self) -> None:
        try:
            self.value = self.function(*self.args)
        except Exception as exc:
            self.error = exc
        finally:
            close_thread_connections()
            self.done.set()

    def wait(self, deadline: float) -> bool:
        """Whether it finished by `deadline` (time.monotonic())."""
        return self.done.wait(max(0.0, deadline - time.monotonic()))


def run_one(check: Check, context) -> tuple[list[CheckResult], str | None, int]:
    """A check's results, its skip reason, and its duration; an exception becomes one ERR row."""
    started = time.perf_counter()
    results: list[CheckResult] = []
    skipped = None
    try:
        results = list(check(context))
    except NotApplicable as exc:
        skipped = exc.reason
    except Exception as exc:
        results = [error(f"{check.check_id} failed: {type(exc).__name__}")]
    return results, skipped, round((time.perf_counter() - started) * 1000)


def close_thread_connections() -> None:
    from django.db import connections

    connections.close_all()


def run_checks(checks: Sequence[Check], context, redactor: Redactor) -> Outcome:
    deadline = time.monotonic() + context.timeout
    jobs = [Job(check.check_id, run_one, check, context).start() for check in checks]
    outcome = Outcome()
    for check, job in zip(checks, jobs, strict=True):
        check_id = check.check_id
        if not job.wait(deadline):
            outcome.results.append(
                CheckResult(
                    "error",
                    f"{check_id} timed out after {context.timeout:g}s",
                    id=check_id,
                    duration_ms=round(context.timeout * 1000),
                )
            )
            continue
        results, skipped, duration_ms = job.value
        if skipped is not None:
            outcome.skipped.append(Skipped(check_id, redactor.text(skipped)))
        for result in results:
            outcome.results.append(
                replace(
                    result,
                    id=result.id or check_id,
                    message=redactor.text(result.message),
                    hint=redactor.text(result.hint),
                    duration_ms=duration_ms,
                )
            )
    return outcome
