"""bin/install.sh (aliases, cron, precommit) and bin/aliases.sh, in a temp HOME with a fake
`uv` and a fake `crontab` that keeps its table in a file."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from apps.checkers.preflight import OK, checks

REPO = Path(__file__).resolve().parents[2]
TIMEOUT = 30  # seconds; every script run here finishes in well under one

FAKE_CRONTAB = f"""#!{sys.executable}
import os, sys
table = os.environ["FAKE_CRONTAB_FILE"]
if sys.argv[1:] == ["-l"]:
    if os.environ.get("FAKE_CRONTAB_FAIL"):
        print("crontab: permission denied", file=sys.stderr)
        sys.exit(2)
    if not os.path.exists(table):
        print("no crontab for tester", file=sys.stderr)
        sys.exit(1)
    with open(table) as f:
        sys.stdout.write(f.read())
elif sys.argv[1:] == ["-"]:
    with open(table, "w") as f:
        f.write(sys.stdin.read())
else:
    print("fake crontab: unexpected arguments", sys.argv[1:], file=sys.stderr)
    sys.exit(64)
"""


@pytest.fixture
def cron(scripts):
    """A fake crontab in a directory of its own, first on PATH; its table file."""
    directory = scripts.tmp_path / "cron-bin"
    directory.mkdir()
    crontab = directory / "crontab"
    crontab.write_text(FAKE_CRONTAB)
    crontab.chmod(0o755)
    table = scripts.tmp_path / "crontab.txt"
    scripts.env["PATH"] = f"{directory}{os.pathsep}{scripts.env['PATH']}"
    scripts.env["FAKE_CRONTAB_FILE"] = str(table)
    scripts.cron_bin = directory
    return table


def home(scripts) -> Path:
    return Path(scripts.env["HOME"])


def run_bash(scripts, script: Path, **env) -> subprocess.CompletedProcess:
    """Run a bash script with the scripts' environment (None unsets a variable)."""
    environ = {k: v for k, v in {**scripts.env, **env}.items() if v is not None}
    return subprocess.run(
        ["bash", str(script)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        cwd=scripts.elsewhere,
        env=environ,
        timeout=TIMEOUT,
        check=False,
    )


# Usage ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [(), ("banana",), ("aliases", "cron")])
def test_usage_and_status_2_without_a_known_command(scripts, args):
    result = scripts.run("install.sh", *args)
    assert result.returncode == 2
    assert "Usage: bin/install.sh aliases|cron|precommit" in result.stderr
    assert result.stdout == ""


def test_help(scripts):
    result = scripts.run("install.sh", "--help")
    assert result.returncode == 0
    assert result.stdout.startswith("Usage: bin/install.sh")


# aliases ----------------------------------------------------------------------------------------


def test_aliases_creates_the_rc_with_one_line(scripts):
    result = scripts.run("install.sh", "aliases")
    assert result.returncode == 0, result.stderr
    line = f'source "{scripts.root}/bin/aliases.sh"  # preflight aliases'
    assert (home(scripts) / ".bashrc").read_text() == line + "\n"
    assert line in result.stdout


def test_aliases_is_idempotent_and_keeps_every_line(scripts):
    rc = home(scripts) / ".bashrc"
    existing = "# my bashrc\nexport EDITOR=vi\n\nalias ll='ls -l'\nPS1='$ '"  # no final newline
    rc.write_text(existing)
    assert scripts.run("install.sh", "aliases").returncode == 0
    once = rc.read_text()
    assert once == existing + f'\nsource "{scripts.root}/bin/aliases.sh"  # preflight aliases\n'
    again = scripts.run("install.sh", "aliases")
    assert again.returncode == 0
    assert "already sources" in again.stdout
    assert rc.read_text() == once


def test_aliases_a_commented_line_does_not_count(scripts):
    rc = home(scripts) / ".bashrc"
    rc.write_text(f"# source {scripts.root}/bin/aliases.sh\n")
    scripts.run("install.sh", "aliases")
    assert rc.read_text().splitlines()[1] == (
        f'source "{scripts.root}/bin/aliases.sh"  # preflight aliases'
    )


def test_aliases_an_own_source_line_counts(scripts):
    rc = home(scripts) / ".bashrc"
    rc.write_text(f"[ -f {scripts.root}/bin/aliases.sh ] && . {scripts.root}/bin/aliases.sh\n")
    before = rc.read_text()
    assert "already sources" in scripts.run("install.sh", "aliases").stdout
    assert rc.read_text() == before


def test_aliases_zsh_uses_zshrc(scripts):
    assert scripts.run("install.sh", "aliases", SHELL="/usr/bin/zsh").returncode == 0
    assert (home(scripts) / ".zshrc").exists()
    assert not (home(scripts) / ".bashrc").exists()


def test_aliases_rc_symlink_keeps_pointing_at_its_target(scripts):
    target = scripts.tmp_path / "dotfiles-bashrc"
    target.write_text("export A=1\n")
    (home(scripts) / ".bashrc").symlink_to(target)
    scripts.run("install.sh", "aliases")
    assert (home(scripts) / ".bashrc").is_symlink()
    assert target.read_text().startswith("export A=1\nsource ")


def test_aliases_without_home(scripts):
    result = scripts.run("install.sh", "aliases", HOME=None)
    assert result.returncode == 1
    assert "HOME is not set" in result.stderr


def test_a_project_path_it_will_not_quote(scripts, tmp_path):
    odd = tmp_path / 'say "hi"'
    odd.mkdir()
    result = scripts.run("install.sh", "aliases", PREFLIGHT_ROOT=str(odd))
    assert result.returncode == 1
    assert "will not quote" in result.stderr
    assert not (home(scripts) / ".bashrc").exists()


def preflight_context(settings, scripts, **environ):
    """A preflight Context over the scripts' project (for the checks these lines satisfy)."""
    from apps.checkers.preflight.context import Context

    return Context(settings, base_dir=scripts.root, environ=environ, timeout=5)


def test_aliases_line_satisfies_the_preflight_check(scripts, settings):
    settings.DJANGO_ENV = "dev"
    context = preflight_context(settings, scripts, HOME=str(home(scripts)))
    assert checks.check_aliases(context)[0].level != OK
    scripts.run("install.sh", "aliases")
    assert checks.check_aliases(context)[0].level == OK


def test_installed_aliases_run_the_projects_commands(scripts):
    (scripts.root / "bin").mkdir()
    shutil.copy(REPO / "bin" / "aliases.sh", scripts.root / "bin" / "aliases.sh")
    scripts.run("install.sh", "aliases")
    session = scripts.tmp_path / "session.sh"
    session.write_text(
        "shopt -s expand_aliases\n"
        'source "$HOME/.bashrc"\n'
        "preflight --json\n"
        "preflight-health -v 0\n"
        "preflight-check\n"
        "preflight-manage migrate\n"
        "alias preflight-cli\n"
        "set | grep -c __preflight || true\n"
    )
    result = run_bash(scripts, session)
    assert result.returncode == 0, result.stderr
    root = str(scripts.root)
    manage = ["run", "--directory", root, "python", "manage.py"]
    assert [call["argv"] for call in scripts.calls()] == [
        [*manage, "preflight", "--json"],
        [*manage, "check_health", "-v", "0"],
        [*manage, "check"],
        [*manage, "migrate"],
    ]
    assert f"alias preflight-cli='{root}/bin/cli.sh'" in result.stdout
    assert result.stdout.strip().endswith("0")  # no helper variables left behind


def test_aliases_sh_finds_its_project_from_anywhere(scripts):
    session = scripts.tmp_path / "session.sh"
    session.write_text(f'source "{REPO}/bin/aliases.sh"\nalias preflight\n')
    result = run_bash(scripts, session, PREFLIGHT_ROOT=None)
    assert result.stdout.strip() == (
        f"alias preflight='uv run --directory {REPO} python manage.py preflight'"
    )


# cron -------------------------------------------------------------------------------------------


def cron_line(scripts) -> str:
    uv = scripts.fake_bin / "uv"
    return (
        f'17 * * * * cd "{scripts.root}" && "{uv}" run python manage.py preflight '
        "--verbosity 0  # preflight"
    )


def test_cron_without_a_crontab_yet(scripts, cron):
    result = scripts.run("install.sh", "cron")
    assert result.returncode == 0, result.stderr
    assert cron.read_text() == cron_line(scripts) + "\n"
    assert cron_line(scripts) in result.stdout


def test_cron_is_idempotent_and_keeps_every_line(scripts, cron):
    existing = (
        "MAILTO=ops@example.com\n"
        "# m h dom mon dow command\n"
        "\n"
        "0 3 * * * /usr/local/bin/backup --quiet\n"
        "*/5 * * * * echo 'last line without newline'"
    )
    cron.write_text(existing)
    assert scripts.run("install.sh", "cron").returncode == 0
    once = cron.read_text()
    assert once == existing + "\n" + cron_line(scripts) + "\n"
    again = scripts.run("install.sh", "cron")
    assert again.returncode == 0
    assert "already runs" in again.stdout
    assert cron.read_text() == once


def test_cron_a_line_for_another_project_does_not_count(scripts, cron):
    cron.write_text(f"17 * * * * cd {scripts.root}-old && true\n# cd {scripts.root}\n")
    scripts.run("install.sh", "cron")
    assert cron.read_text().splitlines()[-1] == cron_line(scripts)


def test_cron_line_satisfies_the_preflight_check(scripts, cron, settings):
    settings.DJANGO_ENV = "prod"
    context = preflight_context(
        settings, scripts, PATH=scripts.env["PATH"], FAKE_CRONTAB_FILE=str(cron)
    )
    assert checks.check_cron(context)[0].message.startswith("No crontab for this user")
    scripts.run("install.sh", "cron")
    assert checks.check_cron(context)[0].level == OK


def test_cron_crontab_fails(scripts, cron):
    cron.write_text("0 3 * * * backup\n")
    result = scripts.run("install.sh", "cron", FAKE_CRONTAB_FAIL="1")
    assert result.returncode == 1
    assert "crontab: permission denied" in result.stderr
    assert "crontab -l failed (exit 2)" in result.stderr
    assert cron.read_text() == "0 3 * * * backup\n"


def test_cron_without_crontab(scripts):
    result = scripts.run("install.sh", "cron", PATH=scripts.path_without_uv())
    assert result.returncode == 1
    assert "crontab is not installed" in result.stderr


def test_cron_without_uv(scripts, cron):
    path = f"{scripts.cron_bin}{os.pathsep}{scripts.path_without_uv()}"
    result = scripts.run("install.sh", "cron", PATH=path)
    assert result.returncode == 1
    assert "uv is not on PATH" in result.stderr
    assert not cron.exists()


# precommit --------------------------------------------------------------------------------------


def test_precommit_runs_pre_commit_install_in_the_project(scripts):
    result = scripts.run("install.sh", "precommit")
    assert result.returncode == 0
    assert scripts.calls() == [{"argv": ["run", "pre-commit", "install"], "cwd": str(scripts.root)}]


def test_precommit_failure_is_its_exit_status(scripts):
    assert scripts.run("install.sh", "precommit", FAKE_UV_STATUS="1").returncode == 1
