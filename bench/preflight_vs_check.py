"""What preflight costs: `manage.py preflight` against `manage.py check` on the same project.

    uv run python bench/preflight_vs_check.py [--runs 7] [--timeout 5]

Runs both commands several times each, interleaved, and prints the median wall time and the
peak RSS of each with their ratios; then times the all-hung scenario (docker or systemctl,
crontab, the database and the broker all silent) against PREFLIGHT_TIMEOUT. Targets: wall time
<= 1.5x, peak RSS <= 1.3x, all-hung <= PREFLIGHT_TIMEOUT + 1.5 s. Exit status 1 when one is missed.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
WALL_TARGET = 1.5
RSS_TARGET = 1.3
HUNG_MARGIN = 1.5
HANGING_TOOL = "#!/bin/sh\nexec sleep 60\n"


def measure(args: list[str], env: dict) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one run of `python manage.py ARGS`."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, _, usage = os.wait4(process.pid, 0)
    process.returncode = 0  # reaped by wait4 already: keep Popen from waiting again
    return time.perf_counter() - started, usage.ru_maxrss


class Silent:
    """Loopback listeners that accept and never answer: a hung database and broker."""

    def __init__(self, count: int):
        self.servers = []
        self.held: list[socket.socket] = []
        self.threads = []
        for _ in range(count):
            server = socket.socket()
            server.bind(("127.0.0.1", 0))
            server.listen(64)
            self.servers.append(server)
            thread = threading.Thread(target=self.hold, args=(server,), daemon=True)
            thread.start()
            self.threads.append(thread)

    @property
    def ports(self) -> list[int]:
        return [server.getsockname()[1] for server in self.servers]

    def hold(self, server: socket.socket) -> None:
        while True:
            try:
                self.held.append(server.accept()[0])
            except OSError:
                return

    def close(self) -> None:
        for server in self.servers:
            server.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        for thread in self.threads:
            thread.join(5)
        for sock in self.servers + self.held:
            sock.close()


def hung_environment(base: dict, timeout: float, deploy: str, tools: Path, ports) -> dict:
    database_port, broker_port = ports
    return {
        **base,
        "PATH": f"{tools}{os.pathsep}{base.get('PATH', '')}",
        "PREFLIGHT_TIMEOUT": f"{timeout:g}",
        "DJANGO_ENV": "prod",
        "DJANGO_SECRET_KEY": "bench-only-" + "k" * 60,
        "DEPLOY_METHOD": deploy,
        "DATABASE_URL": f"postgres://bench:bench@127.0.0.1:{database_port}/bench",
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{broker_port}/0",
        "CELERY_TASK_ALWAYS_EAGER": "0",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs of each command (default 7)")
    parser.add_argument(
        "--timeout", type=float, default=5.0, help="PREFLIGHT_TIMEOUT for the all-hung runs"
    )
    options = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="preflight-bench-") as scratch:
        env = {**os.environ, "LOGS_DIR": str(Path(scratch) / "logs")}
        # As operators run it: with bytecode caches (some sandboxes turn them off, which
        # would time the compiler instead).
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        walls: dict[str, list[float]] = {"preflight": [], "check": []}
        peaks: dict[str, list[int]] = {"preflight": [], "check": []}
        commands = {"preflight": ["preflight", "--verbosity", "0"], "check": ["check"]}
        for args in commands.values():  # warm the file cache and write the bytecode first
            measure(args, env)
        for _ in range(options.runs):
            for name, args in commands.items():
                wall, peak = measure(args, env)
                walls[name].append(wall)
                peaks[name].append(peak)
        wall_ratio = statistics.median(walls["preflight"]) / statistics.median(walls["check"])
        rss_ratio = max(peaks["preflight"]) / max(peaks["check"])
        print(f"runs of each: {options.runs}, interleaved")
        for name in commands:
            print(
                f"{name:<10} median {statistics.median(walls[name]) * 1000:7.0f} ms"
                f"   peak RSS {max(peaks[name]) / 1024:6.1f} MiB"
            )
        print(
            f"ratio      wall {wall_ratio:.2f}x (target <= {WALL_TARGET}x)"
            f"   RSS {rss_ratio:.2f}x (target <= {RSS_TARGET}x)"
        )

        tools = Path(scratch) / "hanging-tools"
        tools.mkdir()
        for tool in ("docker", "systemctl", "crontab"):
            (tools / tool).write_text(HANGING_TOOL)
            (tools / tool).chmod(0o755)
        silent = Silent(2)
        limit = options.timeout + HUNG_MARGIN
        hung_ok = True
        try:
            for deploy in ("docker", "systemd"):
                environ = hung_environment(env, options.timeout, deploy, tools, silent.ports)
                wall, _ = measure(commands["preflight"], environ)
                hung_ok = hung_ok and wall <= limit
                print(
                    f"all hung ({deploy}, crontab, database, broker): {wall:.2f} s "
                    f"(PREFLIGHT_TIMEOUT={options.timeout:g}s, target <= {limit:g} s)"
                )
        finally:
            silent.close()
    met = wall_ratio <= WALL_TARGET and rss_ratio <= RSS_TARGET and hung_ok
    print("targets met" if met else "TARGETS MISSED")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
