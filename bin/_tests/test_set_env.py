"""bin/set_env.sh on .env files in a temp project dir (PREFLIGHT_ROOT)."""

from __future__ import annotations

import os
import re
import stat

import pytest

from config.env import read_env_file

SAMPLE = "# sample\nDJANGO_ENV=dev\nDJANGO_DEBUG=\n# LOGS_DIR=logs\n"
FAKE_SECRET = "fake-secret-value-0123456789-NOT-REAL"


def write_env(scripts, text: str | bytes, mode: int = 0o600, name: str = ".env"):
    path = scripts.root / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    path.chmod(mode)
    return path


def backups(scripts):
    return sorted(p for p in scripts.root.iterdir() if p.name.startswith(".env.bak."))


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def read_values(scripts) -> dict:
    env_file = read_env_file(scripts.root / ".env")
    assert env_file.bad_lines == [] and env_file.error == ""
    return env_file.values


def test_sets_in_place_and_appends_keeping_every_other_byte(scripts):
    original = (
        "# a comment\n"
        "\n"
        "export DJANGO_ENV=dev\n"
        'DJANGO_DEBUG="1"  # on for development\n'
        "UNKNOWN_THING=keep me  # and my comment\n"
        "   # DJANGO_DEBUG=1 (a comment, left alone)\n"
        'MULTI="first\n'
        "DJANGO_ENV=inside-a-quoted-value\n"
        'last"\n'
        "  LOGS_DIR = 'old logs'\n"
        "QUOTED='single # not a comment'\n"
    )
    env_file = write_env(scripts, original, mode=0o644)
    result = scripts.run(
        "set_env.sh", "DJANGO_ENV=prod", "DJANGO_DEBUG=0", "LOGS_DIR=logs", "NEW=1"
    )
    assert result.returncode == 0, result.stderr
    assert env_file.read_text() == (
        "# a comment\n"
        "\n"
        "export DJANGO_ENV=prod\n"
        "DJANGO_DEBUG=0\n"  # the inline comment described the old value: it goes with it
        "UNKNOWN_THING=keep me  # and my comment\n"
        "   # DJANGO_DEBUG=1 (a comment, left alone)\n"
        'MULTI="first\n'
        "DJANGO_ENV=inside-a-quoted-value\n"
        'last"\n'
        "  LOGS_DIR=logs\n"  # indentation kept
        "QUOTED='single # not a comment'\n"
        "NEW=1\n"
    )
    assert mode(env_file) == 0o600
    [backup] = backups(scripts)
    assert backup.read_text() == original
    assert mode(backup) == 0o600
    assert re.fullmatch(r"\.env\.bak\.\d{8}-\d{6}", backup.name)
    assert result.stdout == (
        f"Backed up .env to {backup.name}\n"
        ".env updated (mode 600):\n"
        "  DJANGO_ENV=prod (was dev)\n"
        "  DJANGO_DEBUG=0 (was 1)\n"
        "  LOGS_DIR=logs (was 'old logs')\n"
        "  NEW=1 (added)\n"
    )
    # No temp file left behind.
    assert sorted(p.name for p in scripts.root.iterdir()) == [".env", backup.name]


def test_every_occurrence_of_a_duplicated_key_is_replaced(scripts):
    env_file = write_env(scripts, "A=1\nB=2\nexport A=3\nA=new\n")
    result = scripts.run("set_env.sh", "A=new")
    assert result.returncode == 0
    # The line that already has the value is left as it is.
    assert env_file.read_text() == "A=new\nB=2\nexport A=new\nA=new\n"
    assert "  A=new (was 1, 3)" in result.stdout


def test_a_line_that_already_has_the_value_keeps_its_quotes_and_comment(scripts):
    original = "DJANGO_DEBUG='0'  # off\n"
    env_file = write_env(scripts, original)
    result = scripts.run("set_env.sh", "DJANGO_DEBUG=0")
    assert result.returncode == 0
    assert env_file.read_text() == original
    assert result.stdout == ".env already has these values; nothing changed.\n"
    assert backups(scripts) == []


def test_a_key_without_a_value_is_given_one(scripts):
    env_file = write_env(scripts, "FLAG\nOTHER=1\n")
    assert scripts.run("set_env.sh", "FLAG=on").returncode == 0
    assert env_file.read_text() == "FLAG=on\nOTHER=1\n"


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        ("A=1", "A=1\nB=2"),  # the missing final newline stays missing
        ("A=1\n", "A=1\nB=2\n"),
        ("", "B=2\n"),
        ("# only a comment", "# only a comment\nB=2"),
    ],
)
def test_appending_with_and_without_a_final_newline(scripts, original, expected):
    env_file = write_env(scripts, original)
    assert scripts.run("set_env.sh", "B=2").returncode == 0
    assert env_file.read_text() == expected
    assert read_values(scripts)["B"] == "2"


def test_crlf_file_keeps_crlf_on_the_lines_touched_and_appended(scripts):
    env_file = write_env(scripts, "\ufeffA=1\r\nB='x'  # c\r\nC=3\r\n")
    assert scripts.run("set_env.sh", "B=y z", "D=4").returncode == 0
    assert env_file.read_bytes().decode() == "\ufeffA=1\r\nB='y z'\r\nC=3\r\nD=4\r\n"
    assert read_values(scripts) == {"A": "1", "B": "y z", "C": "3", "D": "4"}


def test_only_the_bindings_of_the_keys_set_change(scripts):
    """Each binding is replaced by python-dotenv's own text for it: whatever surrounds the keys
    set stays byte for byte, here in a CRLF file with a byte-order mark and no final newline."""
    before = (
        "\ufeff# comment\r\n"
        "\r\n"
        "export DJANGO_DEBUG=1\r\n"
        "KEEP='it''s' # odd but valid\r\n"
        'MULTI="first\r\n'
        "DJANGO_DEBUG=inside-a-quoted-value\r\n"
        'last"\r\n'
        "\r\n"
        "\r\n"
        '\t DJANGO_DEBUG = "1"  # again\r\n'
        "AFTER=1"
    )
    after = before.replace("export DJANGO_DEBUG=1\r\n", "export DJANGO_DEBUG=0\r\n").replace(
        '\t DJANGO_DEBUG = "1"  # again\r\n', "\t DJANGO_DEBUG=0\r\n"
    )
    env_file = write_env(scripts, before.encode())
    result = scripts.run("set_env.sh", "DJANGO_DEBUG=0")
    assert result.returncode == 0, result.stderr
    assert env_file.read_bytes() == after.encode()
    assert "  DJANGO_DEBUG=0 (was 1)\n" in result.stdout


def test_comment_option_heads_the_appended_block(scripts):
    env_file = write_env(scripts, "A=1\n")
    result = scripts.run("set_env.sh", "--comment", "# Added by a script", "A=1", "B=2", "C=3")
    assert result.returncode == 0
    assert env_file.read_text() == "A=1\n\n# Added by a script\nB=2\nC=3\n"
    assert "  A=1 (unchanged)" in result.stdout


def test_quiet_prints_only_the_backup(scripts):
    write_env(scripts, "A=1\n")
    result = scripts.run("set_env.sh", "--quiet", "A=2")
    assert result.returncode == 0
    assert re.fullmatch(r"Backed up \.env to \.env\.bak\.\d{8}-\d{6}\n", result.stdout)
    result = scripts.run("set_env.sh", "-q", "A=2")
    assert (result.returncode, result.stdout) == (0, "")


def test_second_run_changes_nothing_and_makes_no_backup(scripts):
    env_file = write_env(scripts, "A=1\n", mode=0o644)
    args = ("A=two words", "B=$HOME #x", "C=plain")
    assert scripts.run("set_env.sh", *args).returncode == 0
    first = env_file.read_bytes()
    assert len(backups(scripts)) == 1
    env_file.chmod(0o640)
    result = scripts.run("set_env.sh", *args)
    assert result.returncode == 0
    assert env_file.read_bytes() == first
    assert len(backups(scripts)) == 1
    assert mode(env_file) == 0o600
    assert result.stdout == (
        ".env permissions set to 600.\n.env already has these values; nothing changed.\n"
    )


def test_backups_never_overwrite_each_other(scripts):
    write_env(scripts, "A=1\n")
    assert scripts.run("set_env.sh", "A=2").returncode == 0
    assert scripts.run("set_env.sh", "A=3").returncode == 0
    first, second = backups(scripts)  # two, whether within the same second or not
    assert (first.read_text(), second.read_text()) in [("A=1\n", "A=2\n"), ("A=2\n", "A=1\n")]


@pytest.mark.parametrize(
    "value",
    [
        "two words",
        "hash # inside",
        "#leading-hash",
        "dollar $HOME and ${HOME}",
        "it's",
        'say "hi"',
        "back\\slash",
        "ends with a backslash\\",
        "\\'",
        "  padded  ",
        "",
        "café ünïcode",
        "a=b=c",
        "tab\there",
        "redis://:pa$$@host:6379/0",
        "plain-value_1.2:3/4,5@6%7+8=9~^",
    ],
)
def test_values_round_trip_through_python_dotenv(scripts, value):
    write_env(scripts, "KEY=old value\n")
    assert scripts.run("set_env.sh", f"KEY={value}", f"NEW={value}").returncode == 0
    values = read_values(scripts)
    assert values["KEY"] == value
    assert values["NEW"] == value
    # Idempotent for every kind of value.
    result = scripts.run("set_env.sh", f"KEY={value}", f"NEW={value}")
    assert "nothing changed" in result.stdout
    assert len(backups(scripts)) == 1


def test_values_that_need_no_quotes_are_written_plain(scripts):
    env_file = write_env(scripts, "")
    key = "Ab0_-" * 13
    assert (
        scripts.run(
            "set_env.sh", f"DJANGO_SECRET_KEY={key}", "HOSTS=a.example,b.example"
        ).returncode
        == 0
    )
    assert env_file.read_text() == f"DJANGO_SECRET_KEY={key}\nHOSTS=a.example,b.example\n"


def test_missing_env_is_created_from_the_sample(scripts):
    write_env(scripts, SAMPLE, mode=0o644, name=".env.sample")
    result = scripts.run("set_env.sh", "DJANGO_DEBUG=0", "LOGS_DIR=logs")
    assert result.returncode == 0, result.stderr
    env_file = scripts.root / ".env"
    assert (
        env_file.read_text()
        == "# sample\nDJANGO_ENV=dev\nDJANGO_DEBUG=0\n# LOGS_DIR=logs\nLOGS_DIR=logs\n"
    )
    assert mode(env_file) == 0o600
    assert backups(scripts) == []  # there was nothing to back up
    assert result.stdout.startswith("Created .env from .env.sample (mode 600)\n")
    assert (scripts.root / ".env.sample").read_text() == SAMPLE


def test_missing_env_and_sample_gives_a_new_env(scripts):
    result = scripts.run("set_env.sh", "A=1")
    assert result.returncode == 0
    assert (scripts.root / ".env").read_text() == "A=1\n"
    assert mode(scripts.root / ".env") == 0o600
    assert "there is no .env.sample" in result.stdout


def test_symlinked_env_rewrites_its_target(scripts, tmp_path):
    target = tmp_path / "shared.env"
    target.write_text("A=1\n")
    (scripts.root / ".env").symlink_to(target)
    assert scripts.run("set_env.sh", "A=2").returncode == 0
    assert (scripts.root / ".env").is_symlink()
    assert target.read_text() == "A=2\n"
    assert mode(target) == 0o600
    assert len(backups(scripts)) == 1


def test_dangling_symlink_is_refused(scripts, tmp_path):
    (scripts.root / ".env").symlink_to(tmp_path / "nowhere.env")
    result = scripts.run("set_env.sh", "A=2")
    assert result.returncode == 1
    assert "which does not exist; nothing changed." in result.stderr
    assert not (tmp_path / "nowhere.env").exists()


def test_secret_values_are_never_printed(scripts):
    write_env(scripts, f"DJANGO_SECRET_KEY={FAKE_SECRET}-OLD\nDATABASE_URL=sqlite:///x\n")
    result = scripts.run(
        "set_env.sh",
        f"DJANGO_SECRET_KEY={FAKE_SECRET}",
        f"HUB_API_KEY={FAKE_SECRET}",
        f"DB_PASSWORD={FAKE_SECRET}",
        f"SOME_TOKEN={FAKE_SECRET}",
        "DATABASE_URL=postgres://app:fake-db-pw-NOT-REAL@db/app",
    )
    assert result.returncode == 0
    assert "NOT-REAL" not in result.stdout + result.stderr
    assert "  DJANGO_SECRET_KEY set (replaced)\n" in result.stdout
    assert "  HUB_API_KEY set (added)\n" in result.stdout
    assert "  DATABASE_URL=postgres://app:***@db/app (was sqlite:///x)\n" in result.stdout
    result = scripts.run("set_env.sh", "CELERY_BROKER_URL=redis://:fake@pw-NOT-REAL@cache:6379/0")
    assert "  CELERY_BROKER_URL=redis://:***@cache:6379/0 (added)\n" in result.stdout
    assert "NOT-REAL" not in result.stdout + result.stderr
    assert read_values(scripts)["DB_PASSWORD"] == FAKE_SECRET
    result = scripts.run("set_env.sh", f"DJANGO_SECRET_KEY={FAKE_SECRET}", "A=1")
    assert "  DJANGO_SECRET_KEY unchanged\n" in result.stdout
    assert "NOT-REAL" not in result.stdout + result.stderr


def test_ask_reads_the_value_from_stdin(scripts):
    env_file = write_env(scripts, "A=1\n")
    result = scripts.run("set_env.sh", "--ask", "HUB_API_KEY", "B=2", input=f"{FAKE_SECRET}\n")
    assert result.returncode == 0, result.stderr
    assert env_file.read_text() == f"A=1\nHUB_API_KEY={FAKE_SECRET}\nB=2\n"
    assert FAKE_SECRET not in result.stdout + result.stderr
    result = scripts.run("set_env.sh", "--ask", "HUB_API_KEY", input="")
    assert result.returncode == 1
    assert "no value given for HUB_API_KEY; nothing changed." in result.stderr


def test_a_variable_set_in_the_environment_is_pointed_out(scripts):
    write_env(scripts, "A=1\n")
    result = scripts.run("set_env.sh", "DJANGO_DEBUG=0", DJANGO_DEBUG="1")
    assert result.returncode == 0
    assert "Note: DJANGO_DEBUG is also set in the environment" in result.stderr


# Refusals ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["9LIVES=1"], "'9LIVES' is not a variable name"),
        (["BAD-KEY=1"], "'BAD-KEY' is not a variable name"),
        (["=1"], "'' is not a variable name"),
        (["--ask", "bad key"], "'bad key' is not a variable name"),
        ([f"{FAKE_SECRET}"], "argument 1 is not KEY=VALUE"),
        (["A=1", "--bogus"], "unknown option --bogus"),
        (["--ask"], "--ask needs an argument"),
        (["--comment", "no hash", "A=1"], "--comment must be one line starting with #"),
        ([], "nothing to set"),
        (["-q"], "nothing to set"),
        (["A=two\nlines"], "the value of A spans lines"),
    ],
)
def test_bad_arguments_exit_2_and_change_nothing(scripts, args, message):
    env_file = write_env(scripts, "A=1\n")
    result = scripts.run("set_env.sh", *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert FAKE_SECRET not in result.stderr
    assert env_file.read_text() == "A=1\n"
    assert backups(scripts) == []


def test_arguments_after_double_dash_are_assignments(scripts):
    env_file = write_env(scripts, "")
    assert scripts.run("set_env.sh", "--", "A=-q").returncode == 0
    assert env_file.read_text() == "A=-q\n"


def test_refuses_env_that_is_not_utf8(scripts):
    env_file = write_env(scripts, b"A=1\nNAME=caf\xe9\n")
    result = scripts.run("set_env.sh", "A=2")
    assert result.returncode == 1
    assert "set_env.sh: .env is not valid UTF-8 (line 2); nothing changed." in result.stderr
    assert env_file.read_bytes() == b"A=1\nNAME=caf\xe9\n"
    assert backups(scripts) == []


def test_refuses_env_that_is_a_directory(scripts):
    (scripts.root / ".env").mkdir()
    result = scripts.run("set_env.sh", "A=2")
    assert result.returncode == 1
    assert "is not a regular file; nothing changed." in result.stderr


@pytest.mark.parametrize(
    ("original", "line"),
    [
        ("A='never closed\nB=1\n", "1"),
        ("A=1\n\n\nB='never closed\nC=1\n", "4"),  # the blank lines before it are counted
        ("A='x\r\nB=1\r\nC='y\r\nD=1\r\nE='z\r\n", "1, 5"),  # CRLF: python-dotenv says 6
    ],
)
def test_refuses_when_a_broken_line_would_swallow_the_change(scripts, original, line):
    env_file = write_env(scripts, original)
    result = scripts.run("set_env.sh", "C=it's")
    assert result.returncode == 1
    assert f"cannot set C safely: .env has lines that python-dotenv cannot parse (line {line})" in (
        result.stderr
    )
    assert env_file.read_bytes() == original.encode()
    assert backups(scripts) == []


def test_unwritable_directory_is_reported(scripts):
    if os.geteuid() == 0:
        pytest.skip("root writes anywhere")
    write_env(scripts, "A=1\n")
    scripts.root.chmod(0o500)
    try:
        result = scripts.run("set_env.sh", "A=2")
    finally:
        scripts.root.chmod(0o700)
    assert result.returncode == 1
    assert "cannot write" in result.stderr and "Permission denied" in result.stderr


def test_help(scripts):
    result = scripts.run("set_env.sh", "--help")
    assert result.returncode == 0
    assert result.stdout.startswith("Set variables in the project's .env")
    assert "PREFLIGHT_ROOT overrides" in result.stdout
    assert scripts.run("set_env.sh", "-h").stdout == result.stdout
