"""Fixtures shared by every test: temp project dirs, contexts, fake executables, services."""

from __future__ import annotations

import os
import socket
import stat
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent


def port_answers(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def pytest_collection_modifyitems(config, items):
    """Service tests skip cleanly where the server is absent (a laptop); CI starts them."""
    answers = {}
    for item in items:
        for marker, port in (("postgres", 5432), ("redis", 6379)):
            if item.get_closest_marker(marker):
                if marker not in answers:
                    answers[marker] = port_answers(port)
                if not answers[marker]:
                    if os.environ.get("CI"):
                        pytest.fail(f"CI needs {marker} on 127.0.0.1:{port}", pytrace=False)
                    item.add_marker(pytest.mark.skip(reason=f"no {marker} on 127.0.0.1:{port}"))


@pytest.fixture
def project(tmp_path):
    """An empty project directory."""
    path = tmp_path / "project"
    path.mkdir()
    return path


@pytest.fixture
def make_context(settings, project):
    """A Context over the `settings` fixture and a temp project dir."""
    from apps.checkers.preflight.context import Context

    def make(**overrides):
        overrides.setdefault("base_dir", project)
        overrides.setdefault("environ", {"PATH": os.environ.get("PATH", "")})
        overrides.setdefault("timeout", 5)
        return Context(settings, **overrides)

    return make


@pytest.fixture
def fake_bin(tmp_path):
    """Write fake executables into a directory; put it first on a PATH you pass along."""
    directory = tmp_path / "fake-bin"
    directory.mkdir()

    def write(name: str, script: str) -> Path:
        path = directory / name
        path.write_text(f"#!{sys.executable}\n" + script if not script.startswith("#!") else script)
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        return path

    write.directory = directory
    write.path = f"{directory}{os.pathsep}{os.environ.get('PATH', '')}"
    return write


@pytest.fixture
def unblocked_db(django_db_blocker):
    """Allow the checks' own private connections (to temp SQLite files, closed ports...)."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def sqlite_db(project):
    """A DATABASES entry for an empty SQLite file in the temp project."""

    def make(name="db.sqlite3"):
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": str(project / name)}

    return make
