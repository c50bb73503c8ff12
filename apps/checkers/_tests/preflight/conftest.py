"""End-to-end helpers: run `manage.py preflight` as a user would, in a temp copy of the project,
and look at everything it wrote (stdout, stderr, JSON, the run log)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[4]
COPIED = ("manage.py", "config", "apps", ".env.sample", "pyproject.toml", "bin")
IGNORED = shutil.ignore_patterns("__pycache__", "_tests", "*.pyc", ".env", "db.sqlite3", "logs")


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    log: str
    seconds: float

    def json(self) -> dict:
        return json.loads(self.stdout)

    def everything(self) -> str:
        return self.stdout + self.stderr + self.log

    def rows(self, check_id: str) -> list[dict]:
        return [row for row in self.json()["checks"] if row["id"] == check_id]


class Project:
    """A copy of the project in a temp dir, run with a clean environment."""

    def __init__(self, root: Path, home: Path):
        self.root = root
        self.home = home
        self.env = {
            "PATH": os.environ.get("PATH", os.defpath),
            "HOME": str(home),
            "LANG": "C.UTF-8",
            "PREFLIGHT_TIMEOUT": "5",
            # bin/set_env.sh (in hints) runs with this interpreter: the copy has no .venv.
            "PREFLIGHT_PYTHON": sys.executable,
        }

    def write_env(self, content: str | bytes, mode: int = 0o600) -> Path:
        path = self.root / ".env"
        if isinstance(content, str):
            content = content.encode()
        path.write_bytes(content)
        path.chmod(mode)
        return path

    def manage(self, *args: str, timeout: float = 120, **env) -> subprocess.CompletedProcess:
        environ = {k: v for k, v in {**self.env, **env}.items() if v is not None}
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=self.root,
            env=environ,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def preflight(self, *args: str, **env) -> Run:
        started = time.monotonic()
        completed = self.manage("preflight", *args, **env)
        seconds = time.monotonic() - started
        log_path = self.root / (env.get("LOGS_DIR") or "logs") / "checks.log"
        log = log_path.read_text() if log_path.is_file() else ""
        return Run(completed.returncode, completed.stdout, completed.stderr, log, seconds)


@pytest.fixture(scope="session")
def project_template(tmp_path_factory):
    template = tmp_path_factory.mktemp("template")
    for name in COPIED:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, template / name, ignore=IGNORED)
        else:
            shutil.copy2(source, template / name)
    return template


@pytest.fixture
def project_copy(project_template, tmp_path):
    root = tmp_path / "copy"
    shutil.copytree(project_template, root)
    home = tmp_path / "home"
    home.mkdir()
    return Project(root, home)


class SilentListener:
    """A loopback server that accepts connections and never says a word."""

    def __init__(self):
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(16)
        self.port = self.server.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self.thread = threading.Thread(target=self.accept, daemon=True)
        self.thread.start()

    def accept(self):
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def close(self):
        self.server.close()
        for conn in self.accepted:
            conn.close()


@pytest.fixture
def silent_listener():
    listener = SilentListener()
    yield listener
    listener.close()


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"


@pytest.fixture
def fresh_postgres_db():
    """A new, empty database on the loopback server (trust auth); dropped afterwards."""
    import uuid

    import psycopg

    name = f"preflight_it_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield f"postgres://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def postgres_binary(name: str) -> str | None:
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    return str(found[-1]) if found else shutil.which(name)


@pytest.fixture(scope="session")
def password_postgres():
    """A PostgreSQL cluster of our own that demands a password (scram-sha-256), run as an
    unprivileged user in a temp dir. Yields (port, password)."""
    initdb, pg_ctl = postgres_binary("initdb"), postgres_binary("pg_ctl")
    if not initdb or not pg_ctl:
        pytest.skip("PostgreSQL server binaries are not installed")
    password = "fake-cluster-pw-0451"
    import tempfile

    # Not under pytest's tmp dir: that is private to root, and the server runs as postgres.
    base = Path(tempfile.mkdtemp(prefix="preflight-pg-"))
    data, pwfile = base / "data", base / "pwfile"
    pwfile.write_text(password + "\n")
    run_as: list[str] = []
    if os.geteuid() == 0:  # postgres refuses to run as root
        import pwd

        user = pwd.getpwnam("postgres")
        for path in (base, pwfile):
            os.chown(path, user.pw_uid, user.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    port = closed_port()
    subprocess.run(
        [
            *run_as,
            initdb,
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth=scram-sha-256",
            f"--pwfile={pwfile}",
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        [*run_as, pg_ctl, "-D", str(data), "-o", options, "-l", str(base / "log"), "-w", "start"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    try:
        yield port, password
    finally:
        subprocess.run(
            [*run_as, pg_ctl, "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(base, ignore_errors=True)
