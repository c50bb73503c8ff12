"""bin/set_production.sh on sample .env files in a temp project dir, with a fake `uv`."""

from __future__ import annotations

import os
import re
import stat
import sys

import pytest

PREFLIGHT = ["run", "python", "manage.py", "preflight"]
KEY_LINE = re.compile(r"(?P<head>(?:export )?DJANGO_SECRET_KEY)=(?P<key>[A-Za-z0-9_-]{64})")
# Obviously fake, and strong by Django's rule (>= 50 characters, >= 5 distinct, no prefix).
STRONG_KEY = "test-only-not-a-real-secret-0123456789-abcdefghijklmnopqrstuvwxyz"
WEAK_KEY = "django-insecure-test-only-key-not-for-production-use-0123456789"

RICH = (
    "# preflight configuration\n"
    "\n"
    "export DJANGO_ENV=dev\n"
    'DJANGO_DEBUG="1"  # on for development\n'
    "UNKNOWN_THING=keep me\n"
    "export OTHER_EXPORT='single quoted # not a comment'\n"
    'MULTI="first line\n'
    "DJANGO_ENV=inside-a-quoted-value\n"
    'last line"\n'
    "   # DJANGO_DEBUG=1 (a comment, left alone)\n"
    f"DJANGO_SECRET_KEY={WEAK_KEY}\n"
    "CELERY_BROKER_URL=redis://localhost:6379/0\n"
    "LAST_LINE=no newline after me"
)


def write_env(scripts, text: str | bytes, mode: int = 0o644):
    path = scripts.root / ".env"
    if isinstance(text, str):
        text = text.encode()
    path.write_bytes(text)
    path.chmod(mode)
    return path


def backups(scripts):
    return sorted(p for p in scripts.root.iterdir() if p.name.startswith(".env.bak."))


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def new_key(text: str) -> str:
    keys = [m.group("key") for m in KEY_LINE.finditer(text)]
    assert len(set(keys)) == 1, keys
    key = keys[0]
    assert len(key) >= 50 and len(set(key)) >= 5 and not key.startswith("django-insecure-")
    return key


def test_rich_env_file_switched_and_nothing_else_changed(scripts):
    env_file = write_env(scripts, RICH)
    result = scripts.run("set_production.sh")
    assert result.returncode == 0, result.stderr
    text = env_file.read_text()
    key = new_key(text)
    assert text == (
        "# preflight configuration\n"
        "\n"
        "export DJANGO_ENV=prod\n"
        "DJANGO_DEBUG=0\n"
        "UNKNOWN_THING=keep me\n"
        "export OTHER_EXPORT='single quoted # not a comment'\n"
        'MULTI="first line\n'
        "DJANGO_ENV=inside-a-quoted-value\n"
        'last line"\n'
        "   # DJANGO_DEBUG=1 (a comment, left alone)\n"
        f"DJANGO_SECRET_KEY={key}\n"
        "CELERY_BROKER_URL=redis://localhost:6379/0\n"
        "LAST_LINE=no newline after me\n"
        "\n"
        "# Production mode, set by bin/set_production.sh\n"
        "CELERY_TASK_ALWAYS_EAGER=0"  # the missing final newline stays missing
    )
    assert mode(env_file) == 0o600
    [backup] = backups(scripts)
    assert backup.read_text() == RICH
    assert mode(backup) == 0o600
    assert re.fullmatch(r"\.env\.bak\.\d{8}-\d{6}", backup.name)
    # What changed is said, the new key never is.
    assert "DJANGO_ENV=prod (was dev)" in result.stdout
    assert "DJANGO_DEBUG=0 (was 1)" in result.stdout
    assert "CELERY_TASK_ALWAYS_EAGER=0 (added)" in result.stdout
    assert "DJANGO_SECRET_KEY=<new 64-character key> (replaced a weak one)" in result.stdout
    assert key not in result.stdout + result.stderr
    assert WEAK_KEY not in result.stdout + result.stderr
    # No temp file left behind.
    assert sorted(p.name for p in scripts.root.iterdir()) == [".env", backup.name]


def test_second_run_changes_nothing_and_makes_no_backup(scripts):
    env_file = write_env(scripts, RICH)
    assert scripts.run("set_production.sh").returncode == 0
    first = env_file.read_bytes()
    result = scripts.run("set_production.sh")
    assert result.returncode == 0
    assert "already in production mode; nothing changed" in result.stdout
    assert env_file.read_bytes() == first
    assert len(backups(scripts)) == 1
    assert mode(env_file) == 0o600
    assert len(scripts.calls()) == 2  # preflight still runs each time


def test_strong_key_is_kept_exactly(scripts):
    original = (
        "DJANGO_ENV=dev\n"
        f"export DJANGO_SECRET_KEY='{STRONG_KEY}'\n"
        "DJANGO_DEBUG=\n"
        "CELERY_TASK_ALWAYS_EAGER=yes\n"
    )
    env_file = write_env(scripts, original)
    result = scripts.run("set_production.sh")
    assert result.returncode == 0
    assert env_file.read_text() == (
        "DJANGO_ENV=prod\n"
        f"export DJANGO_SECRET_KEY='{STRONG_KEY}'\n"
        "DJANGO_DEBUG=0\n"
        "CELERY_TASK_ALWAYS_EAGER=0\n"
    )
    assert "DJANGO_SECRET_KEY" not in result.stdout
    assert "DJANGO_DEBUG=0 (was empty)" in result.stdout


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("DJANGO_SECRET_KEY=", "a missing one"),
        ("DJANGO_SECRET_KEY=short", "a weak one"),
        ("DJANGO_SECRET_KEY=" + "ab" * 30, "a weak one"),  # 60 chars, 2 distinct
        (f'export DJANGO_SECRET_KEY="{WEAK_KEY}"', "a weak one"),  # Django's dev key
    ],
)
def test_weak_or_empty_key_is_replaced_in_place(scripts, line, why):
    env_file = write_env(
        scripts, f"DJANGO_ENV=prod\n{line}\nDJANGO_DEBUG=0\nCELERY_TASK_ALWAYS_EAGER=0\n"
    )
    result = scripts.run("set_production.sh")
    assert result.returncode == 0
    text = env_file.read_text()
    key = new_key(text)
    head = "export DJANGO_SECRET_KEY" if line.startswith("export") else "DJANGO_SECRET_KEY"
    assert text == (f"DJANGO_ENV=prod\n{head}={key}\nDJANGO_DEBUG=0\nCELERY_TASK_ALWAYS_EAGER=0\n")
    assert f"(replaced {why})" in result.stdout
    assert len(backups(scripts)) == 1


def test_missing_keys_are_appended(scripts):
    env_file = write_env(scripts, "# only a comment\nFOO=bar\n")
    result = scripts.run("set_production.sh")
    assert result.returncode == 0
    text = env_file.read_text()
    key = new_key(text)
    assert text == (
        "# only a comment\n"
        "FOO=bar\n"
        "\n"
        "# Production mode, set by bin/set_production.sh\n"
        "DJANGO_ENV=prod\n"
        "DJANGO_DEBUG=0\n"
        "CELERY_TASK_ALWAYS_EAGER=0\n"
        f"DJANGO_SECRET_KEY={key}\n"
    )
    assert "DJANGO_SECRET_KEY=<new 64-character key> (added)" in result.stdout


def test_empty_env_file(scripts):
    env_file = write_env(scripts, "")
    assert scripts.run("set_production.sh").returncode == 0
    text = env_file.read_text()
    assert text.startswith("# Production mode, set by bin/set_production.sh\nDJANGO_ENV=prod\n")
    assert text.endswith("\n")
    new_key(text)
    assert backups(scripts)[0].read_bytes() == b""


def test_values_that_already_mean_production_are_left_alone(scripts):
    original = (
        "DJANGO_ENV=Production\n"
        "DJANGO_DEBUG=off  # already off\n"
        "CELERY_TASK_ALWAYS_EAGER='false'\n"
        f"DJANGO_SECRET_KEY={STRONG_KEY}\n"
    )
    env_file = write_env(scripts, original, mode=0o600)
    result = scripts.run("set_production.sh")
    assert result.returncode == 0
    assert env_file.read_text() == original
    assert backups(scripts) == []
    assert "nothing changed" in result.stdout


def test_unchanged_file_still_gets_mode_600(scripts):
    original = (
        "DJANGO_ENV=prod\nDJANGO_DEBUG=0\nCELERY_TASK_ALWAYS_EAGER=0\n"
        f"DJANGO_SECRET_KEY={STRONG_KEY}\n"
    )
    env_file = write_env(scripts, original, mode=0o644)
    result = scripts.run("set_production.sh")
    assert result.returncode == 0
    assert ".env permissions set to 600" in result.stdout
    assert mode(env_file) == 0o600
    assert env_file.read_text() == original
    assert backups(scripts) == []


def test_every_occurrence_of_a_key_is_switched(scripts):
    env_file = write_env(
        scripts,
        "DJANGO_DEBUG=1\nDJANGO_ENV=prod\nexport DJANGO_DEBUG=true\n"
        "CELERY_TASK_ALWAYS_EAGER=0\n"
        f"DJANGO_SECRET_KEY={STRONG_KEY}\n",
    )
    assert scripts.run("set_production.sh").returncode == 0
    assert env_file.read_text() == (
        "DJANGO_DEBUG=0\nDJANGO_ENV=prod\nexport DJANGO_DEBUG=0\n"
        "CELERY_TASK_ALWAYS_EAGER=0\n"
        f"DJANGO_SECRET_KEY={STRONG_KEY}\n"
    )


def test_the_last_secret_key_is_the_one_that_counts(scripts):
    """python-dotenv keeps the last value: a weak last key is replaced everywhere."""
    env_file = write_env(
        scripts, f"DJANGO_SECRET_KEY={STRONG_KEY}\nDJANGO_ENV=prod\nDJANGO_SECRET_KEY=weak\n"
    )
    assert scripts.run("set_production.sh").returncode == 0
    text = env_file.read_text()
    key = new_key(text)
    assert text.startswith(f"DJANGO_SECRET_KEY={key}\nDJANGO_ENV=prod\nDJANGO_SECRET_KEY={key}\n")


def test_crlf_line_endings_and_bom_are_kept(scripts):
    original = "\ufeffDJANGO_ENV=dev\r\nFOO=bar\r\nDJANGO_DEBUG=1\r\n"
    env_file = write_env(scripts, original.encode("utf-8"))
    assert scripts.run("set_production.sh").returncode == 0
    data = env_file.read_bytes()
    key = new_key(data.decode())
    assert data.decode("utf-8") == (
        "\ufeffDJANGO_ENV=prod\r\nFOO=bar\r\nDJANGO_DEBUG=0\r\n"
        "\r\n# Production mode, set by bin/set_production.sh\r\n"
        f"CELERY_TASK_ALWAYS_EAGER=0\r\nDJANGO_SECRET_KEY={key}\r\n"
    )
    assert scripts.run("set_production.sh").returncode == 0
    assert env_file.read_bytes() == data


def test_symlinked_env_rewrites_its_target(scripts, tmp_path):
    target = tmp_path / "shared.env"
    target.write_text("DJANGO_ENV=dev\n")
    (scripts.root / ".env").symlink_to(target)
    assert scripts.run("set_production.sh").returncode == 0
    assert (scripts.root / ".env").is_symlink()
    assert target.read_text().startswith("DJANGO_ENV=prod\n")
    assert mode(target) == 0o600


def test_backups_never_overwrite_each_other(scripts):
    env_file = write_env(scripts, "DJANGO_ENV=dev\n")
    assert scripts.run("set_production.sh").returncode == 0
    env_file.write_text(env_file.read_text().replace("DJANGO_ENV=prod", "DJANGO_ENV=dev"))
    assert scripts.run("set_production.sh").returncode == 0
    first, second = backups(scripts)  # two, whether within the same second or not
    assert first.read_text() == "DJANGO_ENV=dev\n"
    assert second.read_text().startswith("DJANGO_ENV=dev\n")
    assert second.read_text() != first.read_text()


# Running preflight afterwards -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "report"),
    [
        (0, "✔ preflight passed (exit 0)"),
        (1, "✘ preflight failed (exit 1)"),
    ],
)
def test_runs_preflight_from_the_project_root_and_exits_with_its_status(scripts, status, report):
    write_env(scripts, "DJANGO_ENV=dev\n")
    result = scripts.run("set_production.sh", cwd="/", FAKE_UV_STATUS=str(status))
    assert result.returncode == status
    assert "→ uv run python manage.py preflight\n" in result.stdout
    assert "fake uv: run python manage.py preflight\n" in result.stdout
    assert report in result.stdout
    assert scripts.calls() == [{"argv": PREFLIGHT, "cwd": str(scripts.root)}]


def test_missing_uv_is_reported_after_switching(scripts):
    env_file = write_env(scripts, "DJANGO_ENV=dev\n")
    result = scripts.run("set_production.sh", PATH=scripts.path_without_uv())
    assert result.returncode == 127
    assert "uv is not installed or not on PATH" in result.stdout
    assert env_file.read_text().startswith("DJANGO_ENV=prod\n")


# Refusals ---------------------------------------------------------------------------------------


def test_refuses_without_env_file(scripts):
    result = scripts.run("set_production.sh")
    assert result.returncode == 1
    assert "there is no .env in" in result.stderr
    assert "install -m 600 .env.sample .env" in result.stderr
    assert result.stdout == ""
    assert list(scripts.root.iterdir()) == []
    assert scripts.calls() == []


def test_refuses_when_env_is_not_a_file(scripts):
    (scripts.root / ".env").mkdir()
    result = scripts.run("set_production.sh")
    assert result.returncode == 1
    assert "is not a regular file" in result.stderr
    assert scripts.calls() == []


def test_refuses_env_that_is_not_utf8(scripts):
    env_file = write_env(scripts, b"DJANGO_ENV=dev\nNAME=caf\xe9\n")
    result = scripts.run("set_production.sh")
    assert result.returncode == 1
    assert "is not valid UTF-8 (line 2); nothing switched" in result.stderr
    assert env_file.read_bytes() == b"DJANGO_ENV=dev\nNAME=caf\xe9\n"
    assert backups(scripts) == []
    assert scripts.calls() == []


def test_refuses_unreadable_env(scripts):
    if os.geteuid() == 0:
        pytest.skip("root reads any file")
    write_env(scripts, "DJANGO_ENV=dev\n", mode=0o000)
    result = scripts.run("set_production.sh")
    assert result.returncode == 1
    assert "cannot read" in result.stderr


def test_environment_variables_that_win_over_env_are_pointed_out(scripts):
    write_env(scripts, "DJANGO_ENV=dev\n")
    result = scripts.run("set_production.sh", DJANGO_DEBUG="1")
    assert result.returncode == 0
    assert "Note: DJANGO_DEBUG is also set in the environment" in result.stderr
    assert "DJANGO_ENV is also" not in result.stderr


def test_help_and_bad_arguments(scripts):
    result = scripts.run("set_production.sh", "--help")
    assert result.returncode == 0
    assert result.stdout.startswith("Switch the project's .env to production mode")
    assert "PREFLIGHT_ROOT overrides" in result.stdout
    result = scripts.run("set_production.sh", "--force")
    assert result.returncode == 2
    assert "unexpected argument --force" in result.stderr
    assert scripts.calls() == []


@pytest.mark.parametrize(
    ("summary", "report"),
    [
        (
            "21 checks: 21 passed, 0 warnings, 0 errors",
            "✔ preflight passed (exit 0): this machine is ready for production.",
        ),
        (
            "21 checks: 19 passed, 2 warnings, 0 errors",
            "✔ preflight passed (exit 0) with 2 warnings: review them above before serving "
            "production.",
        ),
        (
            "21 checks: 20 passed, 1 warning, 0 errors",
            "✔ preflight passed (exit 0) with 1 warning: review them above before serving "
            "production.",
        ),
        (
            "no summary line",
            "✔ preflight passed (exit 0): no errors; review its output above before serving "
            "production.",
        ),
    ],
)
def test_warnings_are_not_called_ready_for_production(scripts, summary, report):
    """The verdict comes from preflight's summary line, which is shown as it was printed."""
    fake = scripts.tmp_path / "summary-bin"
    fake.mkdir()
    uv = fake / "uv"
    uv.write_text(f"#!/bin/sh\nprintf 'WARN something\\n     a hint\\n{summary}\\n'\n")
    uv.chmod(0o755)
    write_env(scripts, "DJANGO_ENV=dev\n")
    result = scripts.run("set_production.sh", PATH=f"{fake}{os.pathsep}{scripts.env['PATH']}")
    assert result.returncode == 0
    assert f"WARN something\n     a hint\n{summary}\n{report}\n" in result.stdout
    assert "ready for production" not in result.stdout or "0 warnings" in summary


def test_the_secret_key_never_reaches_a_command_line(scripts):
    """set_env.sh gets the new key on stdin (--ask): the process list never shows it."""
    log = scripts.tmp_path / "python-argv.log"
    spy = scripts.tmp_path / "spy-python"
    spy.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> "{log}"\nexec "{sys.executable}" "$@"\n')
    spy.chmod(0o755)
    env_file = write_env(scripts, "DJANGO_ENV=dev\n")
    result = scripts.run("set_production.sh", PREFLIGHT_PYTHON=str(spy))
    assert result.returncode == 0, result.stderr
    key = new_key(env_file.read_text())
    calls = log.read_text()
    assert "env_file.py" in calls and "--ask DJANGO_SECRET_KEY" in calls
    assert key not in calls


def test_a_failure_of_set_env_stops_before_preflight(scripts):
    broken = scripts.tmp_path / "broken-python"
    broken.write_text(
        "#!/bin/sh\n"
        'case "$*" in *env_file.py*) echo "set_env.sh: cannot write (fake)" >&2; exit 1;; esac\n'
        f'exec "{sys.executable}" "$@"\n'
    )
    broken.chmod(0o755)
    env_file = write_env(scripts, "DJANGO_ENV=dev\n")
    result = scripts.run("set_production.sh", PREFLIGHT_PYTHON=str(broken))
    assert result.returncode == 1
    assert "set_env.sh: cannot write (fake)" in result.stderr
    assert ".env was not switched" in result.stderr
    assert env_file.read_text() == "DJANGO_ENV=dev\n"
    assert "switched to production" not in result.stdout
    assert scripts.calls() == []
