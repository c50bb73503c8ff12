"""Runtime health right now: CPU, memory, disk and load, graded against WARN/CRIT thresholds.

A separate concern from preflight. Preflight asks "is this machine configured fit to run the
service?" (and checks that the project has at least 1 GiB free); check_health asks "how loaded
is it at this moment?" and reports percentages used. It reads no configuration beyond its
own thresholds.

    uv run python manage.py check_health                 # one line per metric
    uv run python manage.py check_health --json          # one JSON document, for monitoring
    uv run python manage.py check_health --cpu-warn 70 --path /var/lib/postgresql

Exit status: 0 all OK, 1 any WARN, 2 any CRIT, 3 bad options or thresholds (like the UNKNOWN
of monitoring plugins: a usage error is not a measurement).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

OK = "ok"
WARN = "warn"
CRIT = "crit"
EXIT_CODES = {OK: 0, WARN: 1, CRIT: 2}
USAGE_ERROR = 3
TAGS = {OK: "OK  ", WARN: "WARN", CRIT: "CRIT"}

# metric -> (warn, crit) when neither an option nor a HEALTH_<METRIC>_WARN/_CRIT setting says.
DEFAULT_THRESHOLDS = {"cpu": (80.0, 95.0), "memory": (85.0, 95.0), "disk": (85.0, 95.0)}
DEFAULT_LOAD_THRESHOLDS = (1.5, 3.0)  # load average per logical CPU
DEFAULT_CPU_INTERVAL = 0.2  # seconds psutil samples the CPU for
MAX_CPU_INTERVAL = 60.0
RULE_WIDTH = 45
GIB = 1024**3


@dataclass
class Metric:
    name: str  # cpu, memory, disk or load
    label: str  # what the human output calls it
    unit: str  # "%" or "per core"
    warn: float
    crit: float
    value: float | None = None  # None: it could not be measured
    level: str = OK
    detail: str = ""  # human-readable context after the value
    error: str = ""  # why it could not be measured
    extra: dict = field(default_factory=dict)  # extra numbers for the JSON document

    def grade(self, value: float) -> None:
        self.value = value
        if value >= self.crit:
            self.level = CRIT
        elif value >= self.warn:
            self.level = WARN
        else:
            self.level = OK

    def fail(self, exc: Exception) -> None:
        """A metric that cannot be read is a WARN: nobody can say it is fine."""
        self.level = WARN
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        self.error = f"cannot be measured ({reason})"

    @property
    def shown_value(self) -> str:
        if self.unit == "%":
            return f"{self.value:.1f}% used"
        return f"{self.value:.2f} per core"

    @property
    def thresholds(self) -> str:
        if self.unit == "%":
            return f"warn at {self.warn:g}%, crit at {self.crit:g}%"
        return f"warn at {self.warn:g}, crit at {self.crit:g} per core"

    @property
    def message(self) -> str:
        if self.value is None:
            return f"{self.label}: {self.error}"
        detail = f" ({self.detail})" if self.detail else ""
        return f"{self.label}: {self.shown_value}{detail}"

    def as_dict(self) -> dict:
        value = None if self.value is None else round(self.value, 2)
        data = {
            "name": self.name,
            "level": self.level,
            "value": value,
            "unit": self.unit,
            "warn": self.warn,
            "crit": self.crit,
            "message": self.message,
        }
        data.update(self.extra)
        return data


def gib(size: int) -> str:
    return f"{size / GIB:.1f} GiB"


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


class Command(BaseCommand):
    help = (
        "Runtime health right now: CPU, memory, disk usage and load per core against WARN/CRIT "
        "thresholds. Exit status 0 ok, 1 warning, 2 critical, 3 bad options."
    )
    # Runtime load only: configuration problems are preflight's and `manage.py check`'s to
    # report, and must not turn a health probe into a failure (nor slow it down).
    requires_system_checks = []

    def create_parser(self, prog_name, subcommand, **kwargs):
        """Usage errors exit 3, not argparse's 2, which here would read as 'critical'."""
        parser = super().create_parser(prog_name, subcommand, **kwargs)

        def error(message):
            if parser.called_from_command_line:
                parser.print_usage(sys.stderr)
                parser.exit(USAGE_ERROR, f"{parser.prog}: error: {message}\n")
            raise CommandError(f"Error: {message}", returncode=USAGE_ERROR)

        parser.error = error
        return parser

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print one JSON document.")
        for name, unit in (("cpu", "%"), ("memory", "%"), ("disk", "%"), ("load", "per core")):
            setting = f"HEALTH_{name.upper()}"
            parser.add_argument(
                f"--{name}-warn",
                type=float,
                metavar="N",
                help=f"WARN at or above N {unit} (default: settings.{setting}_WARN).",
            )
            parser.add_argument(
                f"--{name}-crit",
                type=float,
                metavar="N",
                help=f"CRIT at or above N {unit} (default: settings.{setting}_CRIT).",
            )
        parser.add_argument(
            "--path",
            action="append",
            dest="paths",
            metavar="PATH",
            help="A path whose filesystem usage to report; repeatable "
            "(default: settings.HEALTH_DISK_PATHS, the project directory).",
        )
        parser.add_argument(
            "--interval",
            type=float,
            metavar="SECONDS",
            help="How long to sample the CPU for "
            f"(default: settings.HEALTH_CPU_INTERVAL, {DEFAULT_CPU_INTERVAL}).",
        )

    # Options and settings -------------------------------------------------------------------

    def thresholds(self, name: str, options: dict, defaults: tuple[float, float]):
        warn = options[f"{name}_warn"]
        crit = options[f"{name}_crit"]
        if warn is None:
            warn = float(getattr(settings, f"HEALTH_{name.upper()}_WARN", defaults[0]))
        if crit is None:
            crit = float(getattr(settings, f"HEALTH_{name.upper()}_CRIT", defaults[1]))
        if name == "load":
            valid, bounds = 0 < warn <= crit, "0 < warn <= crit"
        else:
            valid, bounds = 0 <= warn <= crit <= 100, "0 <= warn <= crit <= 100"
        if not valid:
            raise CommandError(
                f"{name} thresholds warn={warn:g} crit={crit:g} are not valid (need {bounds})",
                returncode=USAGE_ERROR,
            )
        return warn, crit

    def cpu_interval(self, options: dict) -> float:
        interval = options["interval"]
        if interval is None:
            interval = float(getattr(settings, "HEALTH_CPU_INTERVAL", DEFAULT_CPU_INTERVAL))
        if not 0 < interval <= MAX_CPU_INTERVAL:
            raise CommandError(
                f"CPU interval {interval:g}s is not valid (need 0 < seconds <= "
                f"{MAX_CPU_INTERVAL:g})",
                returncode=USAGE_ERROR,
            )
        return interval

    def disk_paths(self, options: dict) -> list[str]:
        """Paths given on the command line as they are; relative settings paths are taken from
        the project directory. Blank entries are dropped, duplicates reported once."""
        if options["paths"]:
            paths = [p.strip() for p in options["paths"]]
        else:
            base = Path(settings.BASE_DIR)
            configured = getattr(settings, "HEALTH_DISK_PATHS", [base])
            paths = [str(base / str(p).strip()) for p in configured if str(p).strip()]
        paths = list(dict.fromkeys(p for p in paths if p))
        if not paths:
            raise CommandError("no disk path to check", returncode=USAGE_ERROR)
        return paths

    # Measurements ---------------------------------------------------------------------------

    def measure(self, options: dict) -> list[Metric]:
        import psutil  # imported here: only this command needs it

        cpu = Metric("cpu", "CPU", "%", *self.thresholds("cpu", options, DEFAULT_THRESHOLDS["cpu"]))
        memory = Metric(
            "memory",
            "Memory",
            "%",
            *self.thresholds("memory", options, DEFAULT_THRESHOLDS["memory"]),
        )
        disk_limits = self.thresholds("disk", options, DEFAULT_THRESHOLDS["disk"])
        disks = [
            Metric("disk", f"Disk {path}", "%", *disk_limits, extra={"path": path})
            for path in self.disk_paths(options)
        ]
        load = Metric(
            "load", "Load", "per core", *self.thresholds("load", options, DEFAULT_LOAD_THRESHOLDS)
        )
        interval = self.cpu_interval(options)

        try:
            cpu.grade(psutil.cpu_percent(interval=interval))
            cpu.detail = f"sampled over {interval:g}s"
        except Exception as exc:
            cpu.fail(exc)

        try:
            vm = psutil.virtual_memory()
            memory.grade(vm.percent)
            memory.detail = f"{gib(vm.available)} available of {gib(vm.total)}"
            memory.extra = {"available_bytes": vm.available, "total_bytes": vm.total}
        except Exception as exc:
            memory.fail(exc)

        for disk in disks:
            try:
                usage = psutil.disk_usage(disk.extra["path"])
                disk.grade(usage.percent)
                disk.detail = f"{gib(usage.free)} free of {gib(usage.total)}"
                disk.extra.update(free_bytes=usage.free, total_bytes=usage.total)
            except Exception as exc:
                disk.fail(exc)

        try:
            one, five, fifteen = psutil.getloadavg()
            cpus = psutil.cpu_count() or 1  # None when the count cannot be determined
            load.grade(one / cpus)
            load.detail = (
                f"1 min {one:.2f} on {plural(cpus, 'CPU')}; 5 min {five:.2f}, 15 min {fifteen:.2f}"
            )
            load.extra = {
                "load_1m": round(one, 2),
                "load_5m": round(five, 2),
                "load_15m": round(fifteen, 2),
                "cpus": cpus,
            }
        except Exception as exc:
            load.fail(exc)

        return [cpu, memory, *disks, load]

    # Output ---------------------------------------------------------------------------------

    def handle(self, *args, **options):
        metrics = self.measure(options)
        counts = {level: sum(m.level == level for m in metrics) for level in EXIT_CODES}
        status = CRIT if counts[CRIT] else WARN if counts[WARN] else OK
        code = EXIT_CODES[status]
        if options["json"]:
            document = {
                "timestamp": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "status": status,
                "exit_code": code,
                "metrics": [m.as_dict() for m in metrics],
                "summary": counts,
            }
            self.stdout.write(json.dumps(document, indent=2))
        else:
            self.write_human(metrics, counts, options["verbosity"])
        if code:
            raise SystemExit(code)

    def write_human(self, metrics: list[Metric], counts: dict, verbosity: int) -> None:
        styles = {OK: self.style.SUCCESS, WARN: self.style.WARNING, CRIT: self.style.ERROR}
        if verbosity >= 1:
            title = "═══ Health "
            self.stdout.write(title + "═" * (RULE_WIDTH - len(title)))
        for metric in metrics:
            if metric.level == OK and verbosity < 1:
                continue
            line = f"{styles[metric.level](TAGS[metric.level])} {metric.message}"
            if metric.value is not None and (metric.level != OK or verbosity >= 2):
                line += f"; {metric.thresholds}"
            self.stdout.write(line)
        self.stdout.write(
            f"{plural(len(metrics), 'metric')}: {counts[OK]} ok, "
            f"{plural(counts[WARN], 'warning')}, {counts[CRIT]} critical"
        )
