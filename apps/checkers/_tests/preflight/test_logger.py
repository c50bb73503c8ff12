import json
import multiprocessing
import os

import pytest

from apps.checkers.preflight.logger import LOG_NAME, append_run


def lines(path):
    return path.read_text().splitlines()


def test_appends_one_json_line_and_creates_the_directory(tmp_path):
    logs = tmp_path / "deep" / "logs"
    assert append_run(logs, {"timestamp": "2026-04-05T14:30:00Z", "passed": 1}) == ""
    assert append_run(logs, {"timestamp": "2026-04-05T14:31:00Z", "passed": 2}) == ""
    records = [json.loads(line) for line in lines(logs / LOG_NAME)]
    assert records == [
        {"timestamp": "2026-04-05T14:30:00Z", "passed": 1},
        {"timestamp": "2026-04-05T14:31:00Z", "passed": 2},
    ]


def test_a_corrupt_last_line_does_not_swallow_the_next_one(tmp_path):
    (tmp_path / LOG_NAME).write_text('{"passed": 1}\n{"passed": 2, "chec')
    assert append_run(tmp_path, {"passed": 3}) == ""
    assert lines(tmp_path / LOG_NAME)[-1] == '{"passed": 3}'


def test_rotation_keeps_backups_and_drops_the_oldest(tmp_path):
    record = {"pad": "x" * 100}
    for _ in range(12):
        append_run(tmp_path, record, max_bytes=250, backups=3)
    names = sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("."))
    assert names == [LOG_NAME, f"{LOG_NAME}.1", f"{LOG_NAME}.2", f"{LOG_NAME}.3"]
    for path in tmp_path.glob(f"{LOG_NAME}*"):
        assert all(json.loads(line) == record for line in lines(path))
        assert path.stat().st_size <= 250


def test_logs_dir_that_is_a_file(tmp_path):
    blocker = tmp_path / "logs"
    blocker.write_text("not a directory")
    assert append_run(blocker, {"passed": 1}) == f"{blocker} is not a directory"
    assert append_run(blocker / "sub", {"passed": 1}) == f"{blocker / 'sub'}: Not a directory"


def test_unwritable_log_file(tmp_path):
    (tmp_path / LOG_NAME).mkdir()
    assert append_run(tmp_path, {"passed": 1}) == f"{tmp_path / LOG_NAME}: Is a directory"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through permissions")
def test_read_only_directory(tmp_path):
    tmp_path.chmod(0o500)
    try:
        assert "Permission denied" in append_run(tmp_path / "logs", {"passed": 1})
    finally:
        tmp_path.chmod(0o700)


def write_many(directory, writer, count, max_bytes):
    for number in range(count):
        append_run(
            directory,
            {"writer": writer, "n": number, "pad": "y" * 200},
            max_bytes=max_bytes,
            backups=50,
        )


@pytest.mark.parametrize("max_bytes", [10 * 1024 * 1024, 4000])
def test_concurrent_writers_never_interleave_or_lose_a_line(tmp_path, max_bytes):
    context = multiprocessing.get_context("fork")
    writers = [
        context.Process(target=write_many, args=(tmp_path, w, 50, max_bytes)) for w in range(4)
    ]
    for process in writers:
        process.start()
    for process in writers:
        process.join(30)
    seen = set()
    for path in tmp_path.glob(f"{LOG_NAME}*"):
        for line in lines(path):
            record = json.loads(line)
            seen.add((record["writer"], record["n"]))
    assert seen == {(w, n) for w in range(4) for n in range(50)}


def test_a_lock_held_elsewhere_is_waited_for_only_so_long(tmp_path):
    import fcntl
    import time

    with open(tmp_path / f".{LOG_NAME}.lock", "a") as holder:
        fcntl.flock(holder, fcntl.LOCK_EX)
        started = time.monotonic()
        reason = append_run(tmp_path, {"passed": 1}, lock_timeout=0.2)
        assert time.monotonic() - started < 1
    assert reason == f"{tmp_path / LOG_NAME} stayed locked by another process for 0.2s"
    assert append_run(tmp_path, {"passed": 1}) == ""


def test_a_fifo_as_the_lock_file_does_not_block(tmp_path):
    os.mkfifo(tmp_path / f".{LOG_NAME}.lock")
    reason = append_run(tmp_path, {"passed": 1})
    assert reason == f"{tmp_path / f'.{LOG_NAME}.lock'}: No such device or address"


def test_a_name_too_long(tmp_path):
    reason = append_run(tmp_path / ("x" * 300), {"passed": 1})
    assert reason.endswith(": File name too long")


def test_undecodable_text_is_escaped_not_fatal(tmp_path):
    assert append_run(tmp_path, {"instance_id": "ab\udcffcd é"}) == ""
    line = (tmp_path / LOG_NAME).read_bytes()
    assert line.isascii()
    assert json.loads(line)["instance_id"] == "ab\udcffcd é"
