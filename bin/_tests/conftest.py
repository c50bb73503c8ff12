"""Shared by the shell-script tests: a fake `uv` that records its calls, and a runner with a
timeout so that a menu that loops fails the test instead of hanging it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = REPO / "bin"
TIMEOUT = 30  # seconds; every script run here finishes in well under one

FAKE_UV = f"""#!{sys.executable}
import json, os, sys
with open(os.environ["FAKE_UV_LOG"], "a") as log:
    log.write(json.dumps({{"argv": sys.argv[1:], "cwd": os.getcwd()}}) + "\\n")
print("fake uv:", *sys.argv[1:])
sys.exit(int(os.environ.get("FAKE_UV_STATUS", "0")))
"""


class Scripts:
    """Runs bin/ scripts with a clean environment and the fake uv first on PATH."""

    def __init__(self, tmp_path: Path):
        self.fake_bin = tmp_path / "fake-bin"
        self.fake_bin.mkdir()
        uv = self.fake_bin / "uv"
        uv.write_text(FAKE_UV)
        uv.chmod(0o755)
        self.log = tmp_path / "uv-calls.jsonl"
        self.root = tmp_path / "project"
        self.root.mkdir()
        self.elsewhere = tmp_path / "elsewhere"
        self.elsewhere.mkdir()
        # Only what the scripts need: none of the developer's DJANGO_* or CELERY_* variables.
        self.env = {
            "PATH": f"{self.fake_bin}{os.pathsep}{os.environ.get('PATH', os.defpath)}",
            "HOME": str(tmp_path),
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "PREFLIGHT_ROOT": str(self.root),
            "FAKE_UV_LOG": str(self.log),
            # The Python that runs bin/lib/env_file.py (it needs python-dotenv): this one, so
            # that set_env.sh never reaches the fake uv.
            "PREFLIGHT_PYTHON": sys.executable,
        }
        self.tmp_path = tmp_path

    def run(self, script: str, *args: str, input: str | None = "", cwd=None, **env):
        """Run bin/<script>; input=None closes stdin. Unset PREFLIGHT_ROOT with
        PREFLIGHT_ROOT=None."""
        environ = {**self.env, **env}
        environ = {k: v for k, v in environ.items() if v is not None}
        return subprocess.run(
            [str(BIN / script), *args],
            input=input,
            stdin=subprocess.DEVNULL if input is None else None,
            capture_output=True,
            text=True,
            cwd=cwd or self.elsewhere,
            env=environ,
            timeout=TIMEOUT,
            check=False,
        )

    def calls(self) -> list[dict]:
        """Each call of the fake uv: {"argv": [...], "cwd": "..."}."""
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def path_without_uv(self) -> str:
        """A PATH holding the tools the scripts use, and no uv."""
        tools = self.tmp_path / "tools"
        tools.mkdir(exist_ok=True)
        for name in ("bash", "dirname", "sed"):
            target = shutil.which(name)
            assert target, f"{name} is needed to run these tests"
            link = tools / name
            if not link.exists():
                link.symlink_to(os.path.realpath(target))
        return str(tools)


@pytest.fixture
def scripts(tmp_path):
    return Scripts(tmp_path)
