"""The run log: one JSON line per preflight run in LOGS_DIR/checks.log.

Appends hold an exclusive lock (on a lock file beside the log, so that rotation, which renames
the log, is covered too): lines of concurrent runs never interleave and none is lost.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from pathlib import Path

LOG_NAME = "checks.log"
MAX_BYTES = 10 * 1024 * 1024
BACKUPS = 5
LOCK_TIMEOUT = 2.0  # seconds; an append takes microseconds


def rotate(log_path: Path, backups: int) -> None:
    """checks.log -> checks.log.1 -> ... -> checks.log.N (the oldest is dropped)."""
    for number in range(backups - 1, 0, -1):
        older = log_path.with_name(f"{log_path.name}.{number}")
        if older.exists():
            os.replace(older, log_path.with_name(f"{log_path.name}.{number + 1}"))
    os.replace(log_path, log_path.with_name(f"{log_path.name}.1"))


def append_run(
    logs_dir: Path,
    record: dict,
    max_bytes: int = MAX_BYTES,
    backups: int = BACKUPS,
    lock_timeout: float = LOCK_TIMEOUT,
) -> str:
    """Append one line. Returns "" on success, else why the line could not be written."""
    # ASCII only: the line is valid whatever the bytes in the environment (\u escapes).
    line = json.dumps(record, separators=(", ", ": ")) + "\n"
    log_path = Path(logs_dir) / LOG_NAME
    lock_path = log_path.with_name(f".{LOG_NAME}.lock")
    try:
        if log_path.parent.exists() and not log_path.parent.is_dir():
            return f"{log_path.parent} is not a directory"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        # O_NONBLOCK: a FIFO planted as the lock file must not block the run.
        lock_fd = os.open(lock_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NONBLOCK, 0o644)
    except OSError as exc:
        return f"{exc.filename or log_path}: {exc.strerror or type(exc).__name__}"
    try:
        if not wait_for_lock(lock_fd, lock_timeout):
            return f"{log_path} stayed locked by another process for {lock_timeout:g}s"
        size = log_path.stat().st_size if log_path.exists() else 0
        if size and size + len(line) > max_bytes:
            rotate(log_path, backups)
            size = 0
        with open(log_path, "ab+") as log:
            if size and not last_byte_is_newline(log):
                line = "\n" + line  # a crashed writer left a partial line: keep ours whole
            log.write(line.encode("ascii"))
    except OSError as exc:
        return f"{exc.filename or log_path}: {exc.strerror or type(exc).__name__}"
    finally:
        os.close(lock_fd)  # closing releases the lock
    return ""


def wait_for_lock(fd: int, timeout: float) -> bool:
    """Take the exclusive lock, waiting at most `timeout` seconds (a stuck holder must not hang
    the run)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)


def last_byte_is_newline(log) -> bool:
    log.seek(-1, os.SEEK_END)
    return log.read(1) == b"\n"
