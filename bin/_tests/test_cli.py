"""The operator's menus (bin/cli.sh, bin/cli/system.sh, bin/cli/health.sh), driven by scripted
stdin, with a fake `uv` that records what it is asked to run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

PREFLIGHT = ["run", "python", "manage.py", "preflight"]
CHECK_HEALTH = ["run", "python", "manage.py", "check_health"]

MAIN_MENU = "═══ preflight ═══\n1) System & Security\n2) Health\n3) Quit\n"
SYSTEM_MENU = (
    "═══ System & Security ═══\n"
    "1) Run preflight checks\n"
    "2) Set production mode\n"
    "3) Back to main menu\n"
)
HEALTH_MENU = (
    "═══ Health ═══\n1) Run all health checks\n2) Health checks as JSON\n3) Back to main menu\n"
)


# Main menu --------------------------------------------------------------------------------------


def test_main_menu_quit(scripts):
    result = scripts.run("cli.sh", input="3\n")
    assert result.returncode == 0
    assert MAIN_MENU in result.stdout
    assert result.stdout.count(MAIN_MENU) == 1
    assert scripts.calls() == []


@pytest.mark.parametrize("word", ["q", "Q", " quit ", "exit"])
def test_main_menu_quit_words(scripts, word):
    assert scripts.run("cli.sh", input=f"{word}\n").returncode == 0


@pytest.mark.parametrize("stdin", ["", None], ids=["end-of-input", "closed-stdin"])
def test_main_menu_end_of_input_quits_cleanly(scripts, stdin):
    result = scripts.run("cli.sh", input=stdin)
    assert result.returncode == 0
    assert result.stdout.count(MAIN_MENU) == 1
    assert result.stderr == ""


def test_main_menu_invalid_choices_then_end_of_input(scripts):
    result = scripts.run("cli.sh", input="9\nbanana\n\n")
    assert result.returncode == 0
    assert result.stderr.count("Invalid choice") == 3
    assert "Invalid choice: 9 (enter 1, 2 or 3)" in result.stderr
    assert result.stdout.count(MAIN_MENU) == 4  # shown again after each, then end of input
    assert scripts.calls() == []


def test_main_menu_last_line_without_newline_still_counts(scripts):
    result = scripts.run("cli.sh", input="2\n1")
    assert result.returncode == 0
    assert [c["argv"] for c in scripts.calls()] == [CHECK_HEALTH]


def test_main_menu_opens_system_and_comes_back(scripts):
    result = scripts.run("cli.sh", input="1\n1\n3\n3\n")
    assert result.returncode == 0
    assert SYSTEM_MENU in result.stdout
    assert result.stdout.count(MAIN_MENU) == 2  # shown again after "Back to main menu"
    assert scripts.calls() == [{"argv": PREFLIGHT, "cwd": str(scripts.root)}]


def test_main_menu_opens_health_and_end_of_input_leaves_both(scripts):
    result = scripts.run("cli.sh", input="2\n1\n")
    assert result.returncode == 0
    assert HEALTH_MENU in result.stdout
    assert result.stdout.count(MAIN_MENU) == 2
    assert scripts.calls() == [{"argv": CHECK_HEALTH, "cwd": str(scripts.root)}]


@pytest.mark.parametrize(("argument", "menu"), [("system", SYSTEM_MENU), ("health", HEALTH_MENU)])
def test_argument_opens_a_sub_menu_directly(scripts, argument, menu):
    result = scripts.run("cli.sh", argument, input="3\n")
    assert result.returncode == 0
    assert menu in result.stdout
    assert MAIN_MENU not in result.stdout


@pytest.mark.parametrize("args", [("nonsense",), ("system", "health")])
def test_bad_arguments(scripts, args):
    result = scripts.run("cli.sh", *args)
    assert result.returncode == 2
    assert "Usage: bin/cli.sh [system|health]" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("flag", ["-h", "--help", "help"])
def test_help(scripts, flag):
    result = scripts.run("cli.sh", flag)
    assert result.returncode == 0
    assert "Usage: bin/cli.sh [system|health]" in result.stdout


# System & Security ------------------------------------------------------------------------------


def test_system_menu_is_the_designs(scripts):
    result = scripts.run("cli/system.sh", input="3\n")
    assert result.returncode == 0
    assert result.stdout.startswith("\n" + SYSTEM_MENU + "Choice: ")


@pytest.mark.parametrize(
    ("status", "report"), [(0, "✔ Succeeded (exit 0)"), (1, "✘ Failed (exit 1)")]
)
def test_system_menu_runs_preflight_and_reports_its_status(scripts, status, report):
    result = scripts.run("cli/system.sh", input="1\n3\n", FAKE_UV_STATUS=str(status))
    assert result.returncode == 0  # the menu itself ends cleanly either way
    assert "→ uv run python manage.py preflight\n" in result.stdout
    assert "fake uv: run python manage.py preflight\n" in result.stdout
    assert report in result.stdout
    assert scripts.calls() == [{"argv": PREFLIGHT, "cwd": str(scripts.root)}]


def test_system_menu_invalid_choice_and_end_of_input(scripts):
    result = scripts.run("cli/system.sh", input="4\nx\n")
    assert result.returncode == 0
    assert result.stderr.count("Invalid choice") == 2
    assert result.stdout.count(SYSTEM_MENU) == 3
    assert scripts.calls() == []


@pytest.mark.parametrize("stdin", ["", None], ids=["end-of-input", "closed-stdin"])
def test_system_menu_end_of_input_leaves(scripts, stdin):
    result = scripts.run("cli/system.sh", input=stdin)
    assert result.returncode == 0
    assert result.stdout.count(SYSTEM_MENU) == 1


def test_system_menu_sets_production_mode_after_confirmation(scripts):
    env_file = scripts.root / ".env"
    env_file.write_text("# mine\nDJANGO_ENV=dev\n")
    result = scripts.run("cli/system.sh", input="2\ny\n3\n")
    assert result.returncode == 0
    assert "? [y/N] " in result.stdout
    assert "/bin/set_production.sh\n" in result.stdout  # the command it runs is shown
    assert ".env switched to production" in result.stdout
    assert "✔ Succeeded (exit 0)" in result.stdout
    assert env_file.read_text().startswith("# mine\nDJANGO_ENV=prod\n")
    assert scripts.calls() == [{"argv": PREFLIGHT, "cwd": str(scripts.root)}]


def test_system_menu_reports_set_production_failure(scripts):
    result = scripts.run("cli/system.sh", input="2\nyes\n")  # no .env in the project
    assert result.returncode == 0
    assert "✘ Failed (exit 1)" in result.stdout
    assert "there is no .env" in result.stderr


@pytest.mark.parametrize("answer", ["n\n3\n", "\n3\n", "whatever\n3\n", ""])
def test_system_menu_production_mode_cancelled(scripts, answer):
    env_file = scripts.root / ".env"
    env_file.write_text("DJANGO_ENV=dev\n")
    result = scripts.run("cli/system.sh", input="2\n" + answer)
    assert result.returncode == 0
    assert "Cancelled: .env not changed" in result.stdout
    assert env_file.read_text() == "DJANGO_ENV=dev\n"
    assert scripts.calls() == []


# Health -----------------------------------------------------------------------------------------


def test_health_menu_runs_all_checks_and_json(scripts):
    result = scripts.run("cli/health.sh", input="1\n2\nb\n")
    assert result.returncode == 0
    assert result.stdout.startswith("\n" + HEALTH_MENU)
    assert "→ uv run python manage.py check_health\n" in result.stdout
    assert "→ uv run python manage.py check_health --json\n" in result.stdout
    assert scripts.calls() == [
        {"argv": CHECK_HEALTH, "cwd": str(scripts.root)},
        {"argv": [*CHECK_HEALTH, "--json"], "cwd": str(scripts.root)},
    ]


@pytest.mark.parametrize(
    ("status", "report"),
    [
        (0, "✔ Healthy (exit 0)"),
        (1, "⚠ Warning (exit 1)"),
        (2, "✘ Critical (exit 2)"),
        (3, "✘ Failed (exit 3)"),
    ],
)
def test_health_menu_reports_check_health_status(scripts, status, report):
    result = scripts.run("cli/health.sh", input="1\n3\n", FAKE_UV_STATUS=str(status))
    assert result.returncode == 0
    assert report in result.stdout


def test_health_menu_invalid_choice_and_end_of_input(scripts):
    result = scripts.run("cli/health.sh", input="0\n")
    assert result.returncode == 0
    assert "Invalid choice: 0" in result.stderr
    assert result.stdout.count(HEALTH_MENU) == 2
    assert scripts.calls() == []


@pytest.mark.parametrize("stdin", ["", None], ids=["end-of-input", "closed-stdin"])
def test_health_menu_end_of_input_leaves(scripts, stdin):
    result = scripts.run("cli/health.sh", input=stdin)
    assert result.returncode == 0


# Where and how commands run ---------------------------------------------------------------------


def test_commands_run_from_the_project_root_whatever_the_cwd(scripts):
    result = scripts.run("cli.sh", input="1\n1\n3\n2\n2\n", cwd="/")
    assert result.returncode == 0
    assert {c["cwd"] for c in scripts.calls()} == {str(scripts.root)}
    assert len(scripts.calls()) == 2


def test_project_root_defaults_to_this_repository(scripts):
    for script in ("cli.sh", "cli/system.sh", "cli/health.sh"):
        menu = ["1\n"] if script == "cli.sh" else []
        scripts.run(script, input="".join([*menu, "1\n"]), PREFLIGHT_ROOT=None)
    assert [c["cwd"] for c in scripts.calls()] == [str(REPO)] * 3


def test_commands_cannot_eat_the_menus_input(scripts, tmp_path):
    """A command that reads stdin must not swallow the choices typed after it."""
    greedy = scripts.fake_bin / "uv"
    greedy.write_text(
        greedy.read_text().replace("import json", "sys_stdin = open(0).read()\nimport json")
    )
    result = scripts.run("cli/system.sh", input="1\n1\n3\n")
    assert result.returncode == 0
    assert len(scripts.calls()) == 2


@pytest.mark.parametrize(
    ("script", "choices"),
    [("cli/system.sh", "1\n3\n"), ("cli/health.sh", "1\n3\n")],
)
def test_missing_uv_is_reported(scripts, script, choices):
    result = scripts.run(script, input=choices, PATH=scripts.path_without_uv())
    assert result.returncode == 0
    assert "✘ Failed (exit 127)" in result.stdout
    assert "uv is not installed or not on PATH" in result.stdout


def test_scripts_are_executable_bash():
    for script in ("cli.sh", "cli/system.sh", "cli/health.sh", "set_production.sh"):
        path = REPO / "bin" / script
        assert os.access(path, os.X_OK), f"{path} is not executable"
        lines = path.read_text().splitlines()
        assert lines[0] == "#!/usr/bin/env bash"
        assert "set -euo pipefail" in lines
