"""Preflight: the result type shared by every check. Kept light: imported at start-up."""

from __future__ import annotations

from dataclasses import dataclass, field

OK = "ok"
INFO = "info"
WARN = "warn"
ERROR = "error"
LEVELS = (OK, INFO, WARN, ERROR)


@dataclass(frozen=True)
class CheckResult:
    level: str
    message: str
    hint: str = ""
    id: str = ""
    duration_ms: int = field(default=0, compare=False)


class NotApplicable(Exception):
    """Raised by a check that does not apply here; its reason is listed under `skipped`."""

    @property
    def reason(self) -> str:
        return str(self)


def ok(message: str, hint: str = "") -> CheckResult:
    return CheckResult(OK, message, hint)


def info(message: str, hint: str = "") -> CheckResult:
    return CheckResult(INFO, message, hint)


def warn(message: str, hint: str = "") -> CheckResult:
    return CheckResult(WARN, message, hint)


def error(message: str, hint: str = "") -> CheckResult:
    return CheckResult(ERROR, message, hint)
