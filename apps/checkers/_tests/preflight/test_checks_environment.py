import os
import sys
from pathlib import Path

from apps.checkers.preflight import ERROR, OK, WARN, CheckResult, checks


def test_inventory_is_the_designs_30_checks_in_order():
    ids = [check.check_id for check in checks.INVENTORY]
    assert ids == [
        "env.python",
        "env.uv",
        "env.venv",
        "env.dotenv",
        "env.project_writable",
        "env.disk",
        "db.connection",
        "db.migrations",
        "security.debug",
        "security.secret_key",
        "security.allowed_hosts",
        "security.env_permissions",
        "config.env_drift",
        "config.settings_refs",
        "config.cluster",
        "config.celery_eager",
        "config.celery_broker",
        "config.metrics",
        "pipeline.channels",
        "pipeline.definitions",
        "pipeline.intelligence",
        "install.aliases",
        "install.precommit",
        "install.cron",
        "install.logs_dir",
        "install.sqlite_writable",
        "deploy.docker",
        "deploy.systemd",
        "deploy.gunicorn_socket",
        "django.checks",
    ]


class TestPython:
    def test_too_old(self, make_context):
        [result] = checks.check_python(make_context(python_version=(3, 9)))
        assert result == CheckResult(
            ERROR,
            "Python 3.9 (need >= 3.10)",
            "uv run python manage.py preflight",
            "env.python",
        )

    def test_outside_any_virtualenv(self, make_context):
        context = make_context(python_version=(3, 11), prefix="/usr", base_prefix="/usr")
        [result] = checks.check_python(context)
        assert (result.level, result.id) == (WARN, "env.python")
        assert result.message == "Python 3.11: running outside a virtualenv"
        assert result.hint == "uv run python manage.py preflight"

    def test_another_virtualenv(self, make_context, project, tmp_path):
        other = tmp_path / "elsewhere" / ".venv"
        context = make_context(python_version=(3, 12), prefix=str(other), base_prefix="/usr")
        [result] = checks.check_python(context)
        assert result.level == WARN
        assert result.message == f"Python 3.12: not using the project .venv ({other})"
        assert result.hint == "uv run python manage.py preflight"

    def test_a_venv_whose_path_merely_contains_dot_venv_is_not_the_project(
        self, make_context, project, tmp_path
    ):
        impostor = tmp_path / "other.venv-project" / ".venv"
        context = make_context(prefix=str(impostor), base_prefix="/usr")
        assert checks.check_python(context)[0].level == WARN

    def test_project_venv(self, make_context, project):
        (project / ".venv").mkdir()
        context = make_context(
            python_version=(3, 11), prefix=str(project / ".venv"), base_prefix="/usr"
        )
        assert checks.check_python(context) == [
            CheckResult(OK, "Python 3.11 (.venv)", "", "env.python")
        ]

    def test_defaults_come_from_this_interpreter(self, make_context):
        context = make_context()
        assert context.python_version == sys.version_info[:2]
        assert context.prefix == sys.prefix


class TestUv:
    def test_missing(self, make_context, tmp_path):
        [result] = checks.check_uv(make_context(environ={"PATH": str(tmp_path)}))
        assert (result.level, result.id) == (WARN, "env.uv")
        assert result.message == "uv is not installed"
        assert result.hint == "curl -LsSf https://astral.sh/uv/install.sh | sh"

    def test_installed(self, make_context, fake_bin):
        fake_bin("uv", "print('uv 9.9.9 (fake)')\n")
        [result] = checks.check_uv(make_context(environ={"PATH": fake_bin.path}))
        assert result == CheckResult(OK, "uv 9.9.9 (fake) installed", "", "env.uv")

    def test_fails(self, make_context, fake_bin):
        path = fake_bin("uv", "import sys; sys.exit(3)\n")
        [result] = checks.check_uv(make_context(environ={"PATH": fake_bin.path}))
        assert result.level == WARN
        assert result.message == f"uv at {path} failed `uv --version` (exit 3)"

    def test_hangs(self, make_context, fake_bin):
        path = fake_bin("uv", "import time; time.sleep(30)\n")
        context = make_context(environ={"PATH": fake_bin.path}, timeout=1)
        [result] = checks.check_uv(context)
        assert result.level == WARN
        assert result.message == f"uv at {path} did not answer `uv --version`"


class TestVenv:
    def test_missing(self, make_context):
        assert checks.check_venv(make_context()) == [
            CheckResult(WARN, ".venv directory is missing", "uv sync", "env.venv")
        ]

    def test_present(self, make_context, project):
        (project / ".venv").mkdir()
        assert checks.check_venv(make_context())[0].level == OK


class TestDotenv:
    def test_missing_in_dev_warns(self, make_context):
        assert checks.check_dotenv(make_context()) == [
            CheckResult(
                WARN, ".env file is missing", "install -m 600 .env.sample .env", "env.dotenv"
            )
        ]

    def test_missing_in_prod_is_an_error(self, make_context, settings):
        settings.DJANGO_ENV = "prod"
        assert checks.check_dotenv(make_context())[0].level == ERROR

    def test_found(self, make_context, project):
        (project / ".env").write_text("A=1\n")
        assert checks.check_dotenv(make_context()) == [
            CheckResult(OK, ".env file found", "", "env.dotenv")
        ]

    def test_bom_crlf_and_bad_lines_each_get_a_row(self, make_context, project):
        (project / ".env").write_bytes(
            b"\xef\xbb\xbfA=fake-value-1\r\nwhat is this\r\nB=2\r\n'broken\r\n"
        )
        results = checks.check_dotenv(make_context())
        assert [r.level for r in results] == [WARN, WARN, WARN]
        assert results[0].message == ".env starts with a UTF-8 byte-order mark"
        assert results[1].message == ".env has Windows (CRLF) line endings"
        assert results[2].message == ".env lines 2, 4 could not be parsed and were ignored"
        assert [r.hint for r in results] == [
            r"sed -i '1s/^\xEF\xBB\xBF//' .env",
            r"sed -i 's/\r$//' .env",
            "${EDITOR:-vi} +2 .env",  # the first bad line
        ]
        assert all("fake-value" not in r.message + r.hint for r in results)

    def test_one_bad_line(self, make_context, project):
        (project / ".env").write_text("A=1\nA B=1\n")
        [result] = checks.check_dotenv(make_context())
        assert result == CheckResult(
            WARN,
            ".env line 2 could not be parsed and was ignored",
            "${EDITOR:-vi} +2 .env",
            "env.dotenv",
        )

    def test_not_utf8_lines_are_ignored_alone(self, make_context, project):
        (project / ".env").write_bytes(b"A=\xff\nB=1\n# caf\xe9\n")
        [result] = checks.check_dotenv(make_context())
        assert result.level == WARN
        assert result.message == ".env lines 1, 3 are not UTF-8 text and were ignored"
        assert result.hint == "${EDITOR:-vi} +1 .env"

    def test_one_line_with_a_nul_byte(self, make_context, project):
        (project / ".env").write_bytes(b"A=1\nB=x\x00y\n")
        [result] = checks.check_dotenv(make_context())
        assert result.message == ".env line 2 is not UTF-8 text and was ignored"

    def test_directory_in_prod(self, make_context, project, settings):
        settings.DJANGO_ENV = "prod"
        (project / ".env").mkdir()
        [result] = checks.check_dotenv(make_context())
        assert result.level == ERROR
        assert result.message == ".env is a directory, not a file; none of it was loaded"
        assert result.hint == "ls -ld .env"


class TestProjectWritable:
    def test_writable_leaves_nothing_behind(self, make_context, project):
        assert checks.check_project_writable(make_context()) == [
            CheckResult(OK, "Project directory writable", "", "env.project_writable")
        ]
        assert list(project.iterdir()) == []

    def test_not_writable(self, make_context, tmp_path):
        missing = tmp_path / "gone"
        [result] = checks.check_project_writable(make_context(base_dir=missing))
        assert result.level == ERROR
        assert result.message == "Project directory is not writable (No such file or directory)"

    def test_read_only_directory(self, make_context, project, monkeypatch):
        import tempfile

        def denied(*args, **kwargs):
            raise PermissionError(13, "Permission denied")

        monkeypatch.setattr(tempfile, "NamedTemporaryFile", denied)
        [result] = checks.check_project_writable(make_context())
        assert result.message == "Project directory is not writable (Permission denied)"
        assert result.hint == "ls -ld ."

    def test_read_only_filesystem(self, make_context, monkeypatch):
        import errno
        import tempfile

        def read_only(*args, **kwargs):
            raise OSError(errno.EROFS, "Read-only file system")

        monkeypatch.setattr(tempfile, "NamedTemporaryFile", read_only)
        [result] = checks.check_project_writable(make_context())
        assert result.message == "Project directory is not writable (Read-only file system)"
        assert result.hint == "findmnt -T ."

    def test_error_without_strerror(self, make_context, monkeypatch):
        import tempfile

        def broken(*args, **kwargs):
            raise OSError

        monkeypatch.setattr(tempfile, "NamedTemporaryFile", broken)
        [result] = checks.check_project_writable(make_context())
        assert result.message == "Project directory is not writable (OSError)"


class TestDisk:
    def usage(self, monkeypatch, free):
        import shutil

        monkeypatch.setattr(shutil, "disk_usage", lambda path: shutil._ntuple_diskusage(0, 0, free))

    def test_plenty(self, make_context, monkeypatch):
        self.usage(monkeypatch, 5 * 1024**3 + 512 * 1024**2)
        assert checks.check_disk(make_context()) == [
            CheckResult(OK, "Disk: 5.5 GiB free", "", "env.disk")
        ]

    def test_low(self, make_context, monkeypatch):
        self.usage(monkeypatch, 512 * 1024**2)
        [result] = checks.check_disk(make_context())
        assert (result.level, result.message, result.hint) == (
            WARN,
            "Disk: 512 MiB free (at least 1 GiB is recommended)",
            "df -h .",
        )

    def test_critical(self, make_context, monkeypatch):
        self.usage(monkeypatch, 50 * 1024**2)
        [result] = checks.check_disk(make_context())
        assert (result.level, result.message, result.hint) == (
            ERROR,
            "Disk: 50 MiB free (at least 1 GiB is needed)",
            "df -h .",
        )

    def test_real_disk(self, make_context):
        [result] = checks.check_disk(make_context())
        assert result.message.startswith("Disk: ")


def test_run_command_has_no_stdin_and_no_pager(make_context, fake_bin):
    fake_bin(
        "probe",
        "import os, sys\nprint(os.environ.get('PAGER'), sys.stdin.read() == '')\n",
    )
    context = make_context(environ={"PATH": fake_bin.path, "HOME": os.environ.get("HOME", "/")})
    completed = checks.run_command(["probe"], context)
    assert completed.stdout.split() == ["cat", "True"]


def test_dotenv_unreadable_is_said_plainly(make_context, project, monkeypatch):
    (project / ".env").write_text("A=1\n")

    def denied(name, flags, *args):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "open", denied)
    [result] = checks.check_dotenv(make_context())
    assert (result.level, result.message, result.hint) == (
        WARN,
        ".env cannot be read (Permission denied); none of it was loaded",
        "ls -ld .env",
    )


def test_dotenv_that_is_a_fifo_does_not_block(make_context, project):
    os.mkfifo(project / ".env")
    [result] = checks.check_dotenv(make_context())
    assert result.message == ".env is not a regular file; none of it was loaded"


def test_run_command_kills_the_whole_process_group_on_timeout(make_context, fake_bin, tmp_path):
    import subprocess
    import time

    import pytest

    pid_file = tmp_path / "child.pid"
    fake_bin("wrapper", f"#!/bin/sh\nsleep 60 &\necho $! > {pid_file}\nwait\n")
    context = make_context(environ={"PATH": fake_bin.path}, timeout=1)
    started = time.monotonic()
    with pytest.raises(subprocess.TimeoutExpired):
        checks.run_command(["wrapper"], context, timeout=0.5)
    assert time.monotonic() - started < 2
    child = int(pid_file.read_text())
    time.sleep(0.1)
    stat = Path(f"/proc/{child}/stat")
    # Gone, or a zombie waiting for an init that does not reap: either way, not running.
    assert not stat.exists() or stat.read_text().rsplit(")", 1)[1].split()[0] == "Z"


def test_run_command_returns_output_and_status(make_context, fake_bin):
    fake_bin("speaker", "import sys\nprint('out')\nprint('err', file=sys.stderr)\nsys.exit(4)\n")
    completed = checks.run_command(["speaker"], make_context(environ={"PATH": fake_bin.path}))
    assert (completed.returncode, completed.stdout, completed.stderr) == (4, "out\n", "err\n")


def test_uv_that_cannot_be_run(make_context, fake_bin):
    path = fake_bin("uv", "#!/no/such/interpreter\n")
    [result] = checks.check_uv(make_context(environ={"PATH": fake_bin.path}))
    assert (result.level, result.message) == (
        WARN,
        f"uv at {path} could not be run (No such file or directory)",
    )
