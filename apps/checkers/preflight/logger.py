"""The run log: one JSON line per preflight run in LOGS_DIR/checks.log.

Appends hold an exclusive lock (on a lock file beside the log, so that rotation, which renames
the log, is covered too): lines of concurrent runs never interleave and none is lost.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

LOG_NAME = "checks.log"
MAX_BYTES = 10 * 1024 * 1024
BACKUPS = 5


def rotate(log_path: Path, backups: int) -> None:
    """checks.log -> checks.log.1 -> ... -> checks.log.N (the oldest is dropped)."""
    for number in range(backups - 1, 0, -1):
        older = log_path.with_name(f"{log_path.name}.{number}")
        if older.exists():
            os.replace(older, log_path.with_name(f"{log_path.name}.{number + 1}"))
    os.replace(log_path, log_path.with_name(f"{log_path.name}.1"))


def append_run(
    logs_dir: Path, record: dict, max_bytes: int = MAX_BYTES, backups: int = BACKUPS
) -> str:
    """Append one line. Returns "" on success, else why the line could not be written."""
    line = json.dumps(record, ensure_ascii=False, separators=(", ", ": ")) + "\n"
    log_path = Path(logs_dir) / LOG_NAME
    if log_path.parent.exists() and not log_path.parent.is_dir():
        return f"{log_path.parent} is not a directory"
    try:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(log_path.with_name(f".{LOG_NAME}.lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                size = log_path.stat().st_size if log_path.exists() else 0
                if size and size + len(line) > max_bytes:
                    rotate(log_path, backups)
                    size = 0
                with open(log_path, "ab+") as log:
                    if size and not last_byte_is_newline(log):
                        line = "\n" + line  # a crashed writer left a partial line: keep ours whole
                    log.write(line.encode("utf-8"))
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
    except OSError as exc:
        return f"{log_path}: {exc.strerror or type(exc).__name__}"
    return ""


def last_byte_is_newline(log) -> bool:
    log.seek(-1, os.SEEK_END)
    return log.read(1) == b"\n"
