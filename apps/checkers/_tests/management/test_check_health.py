"""manage.py check_health: psutil's numbers are driven at the edge, by monkeypatching psutil."""

from __future__ import annotations

import io
import json
import re
from types import SimpleNamespace

import psutil
import pytest
from django.core.management import CommandError, call_command

from apps.checkers.management.commands import check_health
from apps.checkers.management.commands.check_health import Command

GIB = 1024**3


@pytest.fixture
def machine(monkeypatch, settings, tmp_path):
    """A machine whose CPU, memory, disks and load the test sets; calm by default."""
    state = SimpleNamespace(
        cpu=10.0,
        memory=20.0,
        disks={},  # path -> percent; any other path gets `disk`
        disk=30.0,
        load=(0.4, 0.3, 0.2),
        cpus=4,
        intervals=[],
        disk_paths=[],
    )

    def cpu_percent(interval=None):
        state.intervals.append(interval)
        return state.cpu

    def virtual_memory():
        return SimpleNamespace(percent=state.memory, available=6 * GIB, total=8 * GIB)

    def disk_usage(path):
        state.disk_paths.append(path)
        return SimpleNamespace(percent=state.disks.get(path, state.disk), free=GIB, total=4 * GIB)

    monkeypatch.setattr(psutil, "cpu_percent", cpu_percent)
    monkeypatch.setattr(psutil, "virtual_memory", virtual_memory)
    monkeypatch.setattr(psutil, "disk_usage", disk_usage)
    monkeypatch.setattr(psutil, "getloadavg", lambda: state.load)
    monkeypatch.setattr(psutil, "cpu_count", lambda logical=True: state.cpus)

    # The documented defaults, whatever the developer's own .env says.
    settings.HEALTH_CPU_WARN, settings.HEALTH_CPU_CRIT = 80, 95
    settings.HEALTH_MEMORY_WARN, settings.HEALTH_MEMORY_CRIT = 85, 95
    settings.HEALTH_DISK_WARN, settings.HEALTH_DISK_CRIT = 85, 95
    settings.HEALTH_LOAD_WARN, settings.HEALTH_LOAD_CRIT = 1.5, 3.0
    settings.HEALTH_CPU_INTERVAL = 0.2
    state.root = tmp_path
    settings.HEALTH_DISK_PATHS = [str(tmp_path)]
    return state


def run(*args, **options):
    """(exit status, stdout) of the command, in plain text."""
    out = io.StringIO()
    options.setdefault("no_color", True)
    try:
        call_command("check_health", *args, stdout=out, **options)
    except SystemExit as exc:
        return exc.code, out.getvalue()
    return 0, out.getvalue()


def run_json(*args):
    code, out = run("--json", *args)
    return code, json.loads(out)


def by_name(document, name):
    return next(m for m in document["metrics"] if m["name"] == name)


# Each metric at each level, in both outputs ---------------------------------------------------

CASES = [
    # metric, attribute, value, expected level
    ("cpu", "cpu", 79.9, "ok"),
    ("cpu", "cpu", 80.0, "warn"),
    ("cpu", "cpu", 95.0, "crit"),
    ("memory", "memory", 84.9, "ok"),
    ("memory", "memory", 85.0, "warn"),
    ("memory", "memory", 99.0, "crit"),
    ("disk", "disk", 50.0, "ok"),
    ("disk", "disk", 90.0, "warn"),
    ("disk", "disk", 95.0, "crit"),
    ("load", "load", (5.96, 1.0, 1.0), "ok"),  # 1.49 per core on 4 CPUs
    ("load", "load", (6.0, 1.0, 1.0), "warn"),  # 1.5 per core
    ("load", "load", (12.0, 1.0, 1.0), "crit"),  # 3.0 per core
]
EXIT = {"ok": 0, "warn": 1, "crit": 2}
TAG = {"ok": "OK  ", "warn": "WARN", "crit": "CRIT"}


@pytest.mark.parametrize(("metric", "attribute", "value", "level"), CASES)
def test_each_metric_at_each_level_human(machine, metric, attribute, value, level):
    setattr(machine, attribute, value)
    code, out = run()
    assert code == EXIT[level]
    label = {"cpu": "CPU:", "memory": "Memory:", "disk": "Disk ", "load": "Load:"}[metric]
    row = next(line for line in out.splitlines() if line[5:].startswith(label))
    assert row.startswith(TAG[level] + " ")
    if level == "ok":
        assert "warn at" not in row  # thresholds only on rows that need attention
    else:
        assert "warn at" in row and "crit at" in row
    others = [line for line in out.splitlines() if line[:4] in ("OK  ", "WARN", "CRIT")]
    assert sum(not line.startswith("OK") for line in others) == (level != "ok")


@pytest.mark.parametrize(("metric", "attribute", "value", "level"), CASES)
def test_each_metric_at_each_level_json(machine, metric, attribute, value, level):
    setattr(machine, attribute, value)
    code, document = run_json()
    assert code == EXIT[level]
    assert document["status"] == level
    assert document["exit_code"] == EXIT[level]
    assert by_name(document, metric)["level"] == level
    assert [m["level"] for m in document["metrics"]].count("ok") == (4 if level == "ok" else 3)


def test_human_output_all_ok(machine):
    code, out = run()
    assert code == 0
    assert out.splitlines() == [
        "═══ Health " + "═" * 34,
        "OK   CPU: 10.0% used (sampled over 0.2s)",
        "OK   Memory: 20.0% used (6.0 GiB available of 8.0 GiB)",
        f"OK   Disk {machine.root}: 30.0% used (1.0 GiB free of 4.0 GiB)",
        "OK   Load: 0.10 per core (1 min 0.40 on 4 CPUs; 5 min 0.30, 15 min 0.20)",
        "4 metrics: 4 ok, 0 warnings, 0 critical",
    ]


def test_human_output_summary_counts_and_thresholds(machine):
    machine.cpu, machine.memory, machine.load = 85.0, 97.0, (1.0, 1.0, 1.0)
    machine.cpus = 1
    code, out = run()
    assert code == 2  # critical wins over warning
    assert "WARN CPU: 85.0% used (sampled over 0.2s); warn at 80%, crit at 95%" in out
    assert "CRIT Memory: 97.0% used (6.0 GiB available of 8.0 GiB); warn at 85%, crit at 95%" in out
    assert "Load: 1.00 per core (1 min 1.00 on 1 CPU; 5 min 1.00, 15 min 1.00)" in out
    assert out.splitlines()[-1] == "4 metrics: 2 ok, 1 warning, 1 critical"


def test_json_document_shape(machine):
    code, document = run_json()
    assert code == 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", document["timestamp"])
    assert document["status"] == "ok"
    assert document["summary"] == {"ok": 4, "warn": 0, "crit": 0}
    assert [m["name"] for m in document["metrics"]] == ["cpu", "memory", "disk", "load"]
    assert by_name(document, "cpu") == {
        "name": "cpu",
        "level": "ok",
        "value": 10.0,
        "unit": "%",
        "warn": 80.0,
        "crit": 95.0,
        "message": "CPU: 10.0% used (sampled over 0.2s)",
    }
    memory = by_name(document, "memory")
    assert (memory["available_bytes"], memory["total_bytes"]) == (6 * GIB, 8 * GIB)
    disk = by_name(document, "disk")
    assert disk["path"] == str(machine.root)
    assert (disk["free_bytes"], disk["total_bytes"], disk["value"]) == (GIB, 4 * GIB, 30.0)
    load = by_name(document, "load")
    assert load["unit"] == "per core"
    assert load["value"] == 0.1
    assert (load["load_1m"], load["load_5m"], load["load_15m"], load["cpus"]) == (0.4, 0.3, 0.2, 4)


def test_json_summary_and_exit_with_warnings_and_criticals(machine):
    machine.disk, machine.cpu = 99.0, 90.0
    code, document = run_json()
    assert code == 2
    assert document["status"] == "crit"
    assert document["summary"] == {"ok": 2, "warn": 1, "crit": 1}


# Thresholds: options, settings, defaults, validation ------------------------------------------


@pytest.mark.parametrize(
    ("metric", "attribute", "value"),
    [("cpu", "cpu", 50.0), ("memory", "memory", 50.0), ("disk", "disk", 50.0)],
)
def test_percent_thresholds_by_option(machine, metric, attribute, value):
    setattr(machine, attribute, value)
    assert run(f"--{metric}-warn", "40")[0] == 1
    assert run(f"--{metric}-warn", "40", f"--{metric}-crit", "50")[0] == 2
    assert run(f"--{metric}-warn", "60", f"--{metric}-crit", "70")[0] == 0


def test_load_thresholds_by_option(machine):
    machine.load = (2.0, 0.0, 0.0)  # 0.5 per core
    assert run("--load-warn", "0.5")[0] == 1
    assert run("--load-warn", "0.25", "--load-crit", "0.5")[0] == 2
    _, document = run_json("--load-warn", "0.25", "--load-crit", "0.5")
    assert (by_name(document, "load")["warn"], by_name(document, "load")["crit"]) == (0.25, 0.5)


@pytest.mark.parametrize("metric", ["cpu", "memory", "disk", "load"])
def test_thresholds_by_settings(machine, settings, metric):
    setattr(settings, f"HEALTH_{metric.upper()}_WARN", 0.01)
    _, document = run_json()
    assert by_name(document, metric)["level"] == "warn"
    setattr(settings, f"HEALTH_{metric.upper()}_CRIT", 0.01)
    code, document = run_json()
    assert code == 2
    assert by_name(document, metric)["level"] == "crit"
    assert (by_name(document, metric)["warn"], by_name(document, metric)["crit"]) == (0.01, 0.01)


def test_options_win_over_settings(machine, settings):
    settings.HEALTH_CPU_WARN, settings.HEALTH_CPU_CRIT = 1, 2
    assert run("--cpu-warn", "50", "--cpu-crit", "60")[0] == 0


def test_defaults_without_settings(machine, settings):
    for name in ("CPU", "MEMORY", "DISK", "LOAD"):
        delattr(settings, f"HEALTH_{name}_WARN")
        delattr(settings, f"HEALTH_{name}_CRIT")
    del settings.HEALTH_CPU_INTERVAL
    del settings.HEALTH_DISK_PATHS
    _, document = run_json()
    limits = {m["name"]: (m["warn"], m["crit"]) for m in document["metrics"]}
    assert limits == {
        "cpu": (80.0, 95.0),
        "memory": (85.0, 95.0),
        "disk": (85.0, 95.0),
        "load": (1.5, 3.0),
    }
    assert machine.intervals == [0.2]
    assert by_name(document, "disk")["path"] == str(settings.BASE_DIR)


@pytest.mark.parametrize(
    "args",
    [
        ("--cpu-warn", "90", "--cpu-crit", "80"),
        ("--memory-warn", "-1"),
        ("--disk-crit", "101"),
        ("--cpu-warn", "nan"),
        ("--load-warn", "0"),
        ("--load-warn", "2", "--load-crit", "1"),
    ],
)
def test_invalid_thresholds_are_usage_errors(machine, args):
    with pytest.raises(CommandError, match=r"thresholds .* are not valid") as caught:
        run(*args)
    assert caught.value.returncode == 3


def test_invalid_threshold_settings_are_usage_errors(machine, settings):
    settings.HEALTH_DISK_WARN = 99
    with pytest.raises(CommandError, match=r"disk thresholds warn=99 crit=95 .*0 <= warn <= crit"):
        run()


# CPU sampling interval --------------------------------------------------------------------------


def test_interval_by_option_and_settings(machine, settings):
    run("--interval", "0.05")
    settings.HEALTH_CPU_INTERVAL = 0.5
    _, out = run()
    assert machine.intervals == [0.05, 0.5]
    assert "sampled over 0.5s" in out


@pytest.mark.parametrize("interval", ["0", "-1", "61"])
def test_invalid_interval(machine, interval):
    with pytest.raises(CommandError, match=r"CPU interval .* is not valid") as caught:
        run("--interval", interval)
    assert caught.value.returncode == 3
    assert machine.intervals == []  # refused before measuring anything


# Disk paths -------------------------------------------------------------------------------------


def test_paths_by_option_repeatable_and_deduplicated(machine, tmp_path):
    machine.disks = {"/data": 90.0}
    code, document = run_json("--path", "/", "--path", " /data ", "--path", "/", "--path", " ")
    assert code == 1
    disks = [m for m in document["metrics"] if m["name"] == "disk"]
    assert [(d["path"], d["level"]) for d in disks] == [("/", "ok"), ("/data", "warn")]
    assert machine.disk_paths == ["/", "/data"]


def test_paths_by_settings_relative_to_project(machine, settings):
    settings.HEALTH_DISK_PATHS = ["/srv", " media ", "", "  ", "/srv"]
    _, document = run_json()
    paths = [m["path"] for m in document["metrics"] if m["name"] == "disk"]
    assert paths == ["/srv", str(settings.BASE_DIR / "media")]


def test_no_disk_path_is_a_usage_error(machine, settings):
    settings.HEALTH_DISK_PATHS = [" "]
    with pytest.raises(CommandError, match="no disk path") as caught:
        run()
    assert caught.value.returncode == 3


def test_each_disk_graded_on_its_own(machine, settings, tmp_path):
    settings.HEALTH_DISK_PATHS = ["/a", "/b", "/c"]
    machine.disks = {"/a": 10.0, "/b": 96.0, "/c": 86.0}
    code, out = run()
    assert code == 2
    assert "OK   Disk /a: 10.0% used" in out
    assert "CRIT Disk /b: 96.0% used" in out
    assert "WARN Disk /c: 86.0% used" in out
    assert out.splitlines()[-1] == "6 metrics: 4 ok, 1 warning, 1 critical"


# Measurements that fail -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("function", "exc", "reason"),
    [
        ("cpu_percent", OSError(5, "Input/output error"), "Input/output error"),
        ("virtual_memory", RuntimeError("no /proc/meminfo"), "no /proc/meminfo"),
        ("disk_usage", FileNotFoundError(2, "No such file or directory"), "No such file"),
        ("getloadavg", AttributeError(), "AttributeError"),
    ],
)
def test_a_metric_that_cannot_be_measured_is_a_warning(machine, monkeypatch, function, exc, reason):
    def broken(*args, **kwargs):
        raise exc

    monkeypatch.setattr(psutil, function, broken)
    code, document = run_json()
    assert code == 1
    failed = [m for m in document["metrics"] if m["value"] is None]
    assert len(failed) == 1
    assert failed[0]["level"] == "warn"
    assert "cannot be measured" in failed[0]["message"] and reason in failed[0]["message"]
    code, out = run()
    assert code == 1
    row = next(line for line in out.splitlines() if "cannot be measured" in line)
    assert row.startswith("WARN ") and "warn at" not in row


def test_unknown_cpu_count_counts_as_one(machine):
    machine.cpus = None
    machine.load = (2.0, 1.0, 1.0)
    code, document = run_json()
    assert code == 1
    assert by_name(document, "load")["value"] == 2.0
    assert by_name(document, "load")["cpus"] == 1


# Verbosity and colour ---------------------------------------------------------------------------


def test_verbosity_0_shows_only_problems_and_summary(machine):
    code, out = run(verbosity=0)
    assert out.splitlines() == ["4 metrics: 4 ok, 0 warnings, 0 critical"]
    machine.memory = 90.0
    code, out = run(verbosity=0)
    assert code == 1
    assert out.splitlines() == [
        "WARN Memory: 90.0% used (6.0 GiB available of 8.0 GiB); warn at 85%, crit at 95%",
        "4 metrics: 3 ok, 1 warning, 0 critical",
    ]


def test_verbosity_2_shows_thresholds_on_every_row(machine):
    _, out = run(verbosity=2)
    rows = [line for line in out.splitlines() if line.startswith("OK")]
    assert len(rows) == 4
    assert all("warn at" in row for row in rows)
    assert "warn at 1.5, crit at 3 per core" in rows[-1]


def test_no_color_gives_plain_text_and_force_color_colours_the_tags(machine):
    machine.cpu = 99.0
    _, plain = run()
    assert "\x1b[" not in plain
    _, coloured = run(no_color=False, force_color=True)
    assert "\x1b[" in coloured
    _, document = run("--json", no_color=False, force_color=True)
    assert "\x1b[" not in document


# The command as manage.py runs it ---------------------------------------------------------------


def test_exit_status_from_the_command_line(machine, capsys):
    machine.cpu = 96.0
    with pytest.raises(SystemExit) as caught:
        Command().run_from_argv(["manage.py", "check_health", "--no-color"])
    assert caught.value.code == 2
    assert "CRIT CPU: 96.0% used" in capsys.readouterr().out


def test_bad_option_on_the_command_line_exits_3(machine, capsys):
    with pytest.raises(SystemExit) as caught:
        Command().run_from_argv(["manage.py", "check_health", "--cpu-warn", "lots"])
    assert caught.value.code == 3
    err = capsys.readouterr().err
    assert "usage: manage.py check_health" in err
    assert "argument --cpu-warn: invalid float value: 'lots'" in err
    assert machine.intervals == []


def test_bad_option_from_code_is_a_command_error(machine):
    with pytest.raises(CommandError, match="unrecognized arguments: --bogus") as caught:
        run("--bogus")
    assert caught.value.returncode == 3


def test_bad_thresholds_on_the_command_line_exit_3(machine, capsys):
    with pytest.raises(SystemExit) as caught:
        Command().run_from_argv(["manage.py", "check_health", "--load-crit", "0.1"])
    assert caught.value.code == 3
    assert "load thresholds warn=1.5 crit=0.1 are not valid" in capsys.readouterr().err


def test_runtime_only_no_system_checks_and_psutil_imported_lazily():
    assert Command.requires_system_checks == []
    assert not hasattr(check_health, "psutil")
