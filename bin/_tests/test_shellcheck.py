"""Every shell script under bin/ passes shellcheck (skipped where shellcheck is not installed:
`apt-get install shellcheck`)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

BIN = Path(__file__).resolve().parents[1]
SCRIPTS = sorted(BIN.rglob("*.sh"))


def test_there_are_scripts_to_check():
    names = {str(p.relative_to(BIN)) for p in SCRIPTS}
    assert {"cli.sh", "cli/system.sh", "cli/health.sh", "set_production.sh"} <= names


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is not installed")
@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: str(p.relative_to(BIN)))
def test_shellcheck(script):
    result = subprocess.run(
        ["shellcheck", "--external-sources", str(script)],
        capture_output=True,
        text=True,
        cwd=script.parent,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
