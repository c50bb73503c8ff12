"""bin/lib/env_file.py: the Python that set_env.sh and set_production.sh run it with, and the
python-dotenv behaviour it relies on."""

from __future__ import annotations

import io
import shutil
import sys
from pathlib import Path

import pytest
from dotenv.parser import parse_stream

REPO = Path(__file__).resolve().parents[2]
BIN = REPO / "bin"

PREFLIGHT = ["run", "python", "manage.py", "preflight"]


def spy_python(path, log):
    """A Python that logs its arguments to `log`, then runs them with this interpreter."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> "{log}"\nexec "{sys.executable}" "$@"\n')
    path.chmod(0o755)
    return path


@pytest.fixture
def repo(scripts, tmp_path):
    """A repository holding only the two scripts and their lib/, without a .venv."""
    repo = tmp_path / "repo"
    (repo / "bin" / "lib").mkdir(parents=True)
    for name in ("set_env.sh", "set_production.sh", "lib/env_file.py", "lib/common.sh"):
        shutil.copy2(BIN / name, repo / "bin" / name)
    (scripts.root / ".env").write_text("DJANGO_ENV=dev\n")
    # PREFLIGHT_ROOT only says where .env is: a .venv there is not the scripts' Python.
    stranger = scripts.root / ".venv" / "bin" / "python"
    stranger.parent.mkdir(parents=True)
    stranger.write_text("#!/bin/sh\necho 'the wrong Python' >&2\nexit 99\n")
    stranger.chmod(0o755)
    return repo


@pytest.mark.parametrize(
    ("script", "args", "uv_calls"),
    [("set_env.sh", ["A=1"], []), ("set_production.sh", [], [PREFLIGHT])],
)
def test_the_repositorys_venv_runs_env_file(scripts, repo, script, args, uv_calls):
    log = scripts.tmp_path / "venv-python.log"
    spy_python(repo / ".venv" / "bin" / "python", log)
    result = scripts.run(str(repo / "bin" / script), *args, PREFLIGHT_PYTHON=None)
    assert result.returncode == 0, result.stderr
    assert "env_file.py" in log.read_text()
    assert [call["argv"] for call in scripts.calls()] == uv_calls


def test_preflight_python_wins_over_the_venv(scripts, repo):
    venv_log = scripts.tmp_path / "venv-python.log"
    spy_python(repo / ".venv" / "bin" / "python", venv_log)
    log = scripts.tmp_path / "chosen-python.log"
    chosen = spy_python(scripts.tmp_path / "chosen" / "python", log)
    result = scripts.run(str(repo / "bin" / "set_env.sh"), "A=1", PREFLIGHT_PYTHON=str(chosen))
    assert result.returncode == 0, result.stderr
    assert f"env_file.py {scripts.root} A=1" in log.read_text()
    assert not venv_log.exists()


def test_without_a_venv_uv_runs_the_scripts_repository(scripts, repo):
    env_file = repo / "bin" / "lib" / "env_file.py"
    result = scripts.run(str(repo / "bin" / "set_env.sh"), "A=1", PREFLIGHT_PYTHON=None)
    assert result.returncode == 0, result.stderr
    assert scripts.calls() == [
        {
            "argv": [
                "run",
                "--project",
                str(repo),
                "python",
                str(env_file),
                str(scripts.root),
                "A=1",
            ],
            "cwd": str(scripts.elsewhere),
        }
    ]


def test_set_production_without_a_venv_uses_uv_too(scripts, repo):
    result = scripts.run(str(repo / "bin" / "set_production.sh"), PREFLIGHT_PYTHON=None)
    assert result.returncode == 0, result.stderr
    reading = ["run", "--project", str(repo), "python", "-", str(scripts.root / ".env")]
    assert [call["argv"][:6] for call in scripts.calls()] == [reading, PREFLIGHT]


@pytest.mark.skipif(
    not (REPO / ".venv" / "bin" / "python").exists(), reason="the repository has no .venv"
)
def test_this_repositorys_venv_is_found(scripts):
    result = scripts.run("set_env.sh", "A=1", PREFLIGHT_PYTHON=None)
    assert result.returncode == 0, result.stderr
    assert (scripts.root / ".env").read_text() == "A=1\n"
    assert scripts.calls() == []


@pytest.mark.parametrize("script", ["set_env.sh", "set_production.sh"])
def test_a_python_without_python_dotenv_is_named(scripts, tmp_path, script):
    bare = tmp_path / "bare-python"
    bare.write_text(f'#!/bin/sh\nexec "{sys.executable}" -S "$@"\n')  # -S: no site-packages
    bare.chmod(0o755)
    env_file = scripts.root / ".env"
    env_file.write_text("DJANGO_ENV=dev\n")
    args = ["A=1"] if script == "set_env.sh" else []
    result = scripts.run(script, *args, PREFLIGHT_PYTHON=str(bare))
    assert result.returncode == 1
    assert "needs python-dotenv" in result.stderr and "PREFLIGHT_PYTHON" in result.stderr
    assert "Traceback" not in result.stderr
    assert env_file.read_text() == "DJANGO_ENV=dev\n"
    assert scripts.calls() == []


# What env_file.py relies on -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n\n  \n",
        "# comment\n\nexport A=1\n  B = 'two words'  # note\r\nC\nD=\n",
        "A=1\r\nB=2\r\n\r\n# c\r\nC=3",  # CRLF, no final newline
        "\ufeffA=1\n",  # python-dotenv drops the byte-order mark, as env_file.py does first
        'M="first\nA=inside\nlast"\nN=1\n',  # a multi-line quoted value
        "A='never closed\r\nB=1\r\n=bad\nexport\n'x\n",  # lines python-dotenv cannot parse
        "A=1\rB=2\r",  # old Mac line endings
        "A=1   \n\t\n   ",  # trailing blanks
    ],
)
def test_python_dotenv_bindings_make_up_the_text(text):
    """Rewriting a key replaces the text of its bindings: every other byte stays only because
    the bindings' texts, joined, are the whole file."""
    bindings = list(parse_stream(io.StringIO(text)))
    assert "".join(binding.original.string for binding in bindings) == text.removeprefix("\ufeff")
