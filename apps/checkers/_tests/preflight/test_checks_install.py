"""Installation state checks: aliases, pre-commit, cron, logs dir, SQLite files."""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from apps.checkers.preflight import ERROR, OK, WARN, CheckResult, NotApplicable, checks

IS_ROOT = os.geteuid() == 0


def levels_and_messages(results):
    return [(r.level, r.message) for r in results]


@pytest.fixture
def home(tmp_path):
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def prod(settings):
    settings.DJANGO_ENV = "prod"


def denied(*args, **kwargs):
    raise PermissionError(13, "Permission denied")


class TestAliases:
    def context(self, make_context, home, shell="/bin/bash"):
        return make_context(environ={"HOME": str(home), "SHELL": shell})

    def test_prod_skips(self, make_context, home, prod):
        with pytest.raises(NotApplicable, match="dev only"):
            checks.check_aliases(self.context(make_context, home))

    def test_no_home_skips(self, make_context):
        with pytest.raises(NotApplicable, match="HOME is not set"):
            checks.check_aliases(make_context(environ={"SHELL": "/bin/bash"}))

    def test_no_rc_file(self, make_context, home):
        assert checks.check_aliases(self.context(make_context, home)) == [
            CheckResult(
                WARN,
                "Shell aliases not installed (~/.bashrc does not exist)",
                "bin/install.sh aliases",
                "install.aliases",
            )
        ]

    @pytest.mark.parametrize(
        "line",
        [
            "# source {aliases}",
            "alias pf={aliases}",
            "source {aliases}.bak",
            "source /elsewhere/bin/aliases.sh",
            "echo 'unbalanced",
        ],
    )
    def test_rc_without_an_uncommented_source_line(self, make_context, home, project, line):
        aliases = project / "bin" / "aliases.sh"
        (home / ".bashrc").write_text(f"export EDITOR=vi\n{line.format(aliases=aliases)}\n")
        [result] = checks.check_aliases(self.context(make_context, home))
        assert (result.level, result.message) == (
            WARN,
            "Shell aliases not installed (~/.bashrc does not source bin/aliases.sh)",
        )
        assert result.hint == "bin/install.sh aliases"

    @pytest.mark.parametrize(
        "line",
        [
            'source "{aliases}"  # preflight aliases',  # what bin/install.sh aliases writes
            ". {aliases}",
            "[ -f '{aliases}' ] && . '{aliases}'",
            "source ~/{relative}",
            "source $HOME/{relative}",
            "  source ${{HOME}}/{relative}",
        ],
    )
    def test_rc_sources_the_aliases(self, make_context, home, line):
        project = home / "src" / "preflight"
        (project / "bin").mkdir(parents=True)
        aliases = project / "bin" / "aliases.sh"
        relative = aliases.relative_to(home)
        (home / ".bashrc").write_text(line.format(aliases=aliases, relative=relative) + "\n")
        context = make_context(base_dir=project, environ={"HOME": str(home), "SHELL": "bash"})
        assert checks.check_aliases(context) == [
            CheckResult(
                OK,
                "Shell aliases installed (~/.bashrc sources bin/aliases.sh)",
                "",
                "install.aliases",
            )
        ]

    def test_zsh_reads_zshrc(self, make_context, home, project):
        line = f"source {project / 'bin' / 'aliases.sh'}\n"
        (home / ".bashrc").write_text(line)
        context = self.context(make_context, home, shell="/usr/bin/zsh")
        [result] = checks.check_aliases(context)
        assert result.message == "Shell aliases not installed (~/.zshrc does not exist)"
        (home / ".zshrc").write_text(line)
        assert checks.check_aliases(context)[0].level == OK

    def test_unreadable_rc(self, make_context, home):
        (home / ".bashrc").mkdir()
        [result] = checks.check_aliases(self.context(make_context, home))
        assert (result.level, result.message) == (
            WARN,
            "Shell aliases unknown: ~/.bashrc cannot be read (Is a directory)",
        )


class TestPrecommit:
    def test_prod_skips(self, make_context, project, prod):
        (project / ".git").mkdir()
        with pytest.raises(NotApplicable, match="dev only"):
            checks.check_precommit(make_context())

    def test_not_a_git_checkout(self, make_context):
        with pytest.raises(NotApplicable, match="not a git checkout"):
            checks.check_precommit(make_context())

    def test_a_git_file_that_is_not_a_gitdir_link(self, make_context, project):
        (project / ".git").write_text("something else\n")
        with pytest.raises(NotApplicable, match="not a git checkout"):
            checks.check_precommit(make_context())

    def test_not_installed(self, make_context, project):
        (project / ".git" / "hooks").mkdir(parents=True)
        (project / ".git" / "hooks" / "pre-commit.sample").write_text("#!/bin/sh\n")
        assert checks.check_precommit(make_context()) == [
            CheckResult(
                WARN,
                "Pre-commit hooks not installed",
                "uv run pre-commit install",
                "install.precommit",
            )
        ]

    def hook(self, project, text, mode=0o755):
        hooks = project / ".git" / "hooks"
        hooks.mkdir(parents=True)
        (hooks / "pre-commit").write_text(text)
        (hooks / "pre-commit").chmod(mode)

    def test_a_hook_of_someone_else(self, make_context, project):
        self.hook(project, "#!/bin/sh\nmake lint\n")
        [result] = checks.check_precommit(make_context())
        assert (result.level, result.message, result.hint) == (
            WARN,
            "The git pre-commit hook was not installed by pre-commit",
            "uv run pre-commit install",
        )

    def test_a_hook_that_is_a_fifo_does_not_block(self, make_context, project):
        import os

        hooks = project / ".git" / "hooks"
        hooks.mkdir(parents=True, exist_ok=True)
        os.mkfifo(hooks / "pre-commit")
        [result] = checks.check_precommit(make_context())
        assert result.message == "Pre-commit hook cannot be read (is not a regular file)"

    def test_not_executable(self, make_context, project):
        self.hook(project, "# File generated by pre-commit: https://pre-commit.com\n", 0o644)
        [result] = checks.check_precommit(make_context())
        assert (result.level, result.message) == (
            WARN,
            "The pre-commit hook is not executable: git skips it",
        )

    def test_unreadable_hook(self, make_context, project):
        (project / ".git" / "hooks" / "pre-commit").mkdir(parents=True)
        [result] = checks.check_precommit(make_context())
        assert (result.level, result.message) == (
            WARN,
            "Pre-commit hook cannot be read (Is a directory)",
        )

    def test_what_pre_commit_install_really_writes(self, make_context, project):
        subprocess.run(["git", "init", "-q", str(project)], check=True, timeout=30)
        subprocess.run(
            [sys.executable, "-m", "pre_commit", "install"],
            cwd=project,
            check=True,
            capture_output=True,
            timeout=60,
        )
        assert checks.check_precommit(make_context()) == [
            CheckResult(OK, "Pre-commit hooks installed", "", "install.precommit")
        ]

    def test_worktree_follows_gitdir_and_commondir(self, make_context, project, tmp_path):
        main_git = tmp_path / "main" / ".git"
        worktree_git = main_git / "worktrees" / "wt"
        worktree_git.mkdir(parents=True)
        (worktree_git / "commondir").write_text("../..\n")
        (project / ".git").write_text(f"gitdir: {worktree_git}\n")
        assert checks.check_precommit(make_context())[0].message == "Pre-commit hooks not installed"
        self.hook(tmp_path / "main", "# File generated by pre-commit\n")
        assert checks.check_precommit(make_context())[0].level == OK

    def test_relative_gitdir_without_commondir(self, make_context, project):
        module_git = project / "modules" / "x"
        (module_git / "hooks").mkdir(parents=True)
        (module_git / "hooks" / "pre-commit").write_text("# File generated by pre-commit\n")
        (module_git / "hooks" / "pre-commit").chmod(0o755)
        (project / ".git").write_text("gitdir: modules/x\n")
        assert checks.check_precommit(make_context())[0].level == OK


CRONTAB = """#!{python}
import os, sys, time
mode = os.environ.get("FAKE_CRONTAB", "")
if mode == "hang":
    time.sleep(30)
if mode == "denied":
    print("crontab: your UID isn't in the passwd file", file=sys.stderr)
    sys.exit(2)
if mode == "silent-failure":
    sys.exit(3)
table = os.environ.get("FAKE_CRONTAB_TABLE")
if not table:
    print("no crontab for " + os.environ.get("USER", "user"), file=sys.stderr)
    sys.exit(1)
sys.stdout.write(table)
"""


class TestCron:
    @pytest.fixture
    def crontab(self, fake_bin):
        fake_bin("crontab", CRONTAB.format(python=sys.executable))
        return fake_bin

    def context(self, make_context, crontab, **environ):
        return make_context(environ={"PATH": crontab.path, **environ}, timeout=1)

    def test_dev_skips(self, make_context):
        with pytest.raises(NotApplicable, match="prod only"):
            checks.check_cron(make_context())

    def test_no_crontab_binary(self, make_context, prod, tmp_path):
        [result] = checks.check_cron(make_context(environ={"PATH": str(tmp_path)}))
        assert (result.level, result.message, result.id) == (
            WARN,
            "crontab is not installed: preflight cannot run from cron",
            "install.cron",
        )
        assert result.hint == "sudo apt-get install -y cron && bin/install.sh cron"

    def test_binary_vanishes(self, make_context, prod, crontab, monkeypatch):
        def vanished(*args, **kwargs):
            raise FileNotFoundError(2, "No such file or directory")

        monkeypatch.setattr(checks, "run_command", vanished)
        [result] = checks.check_cron(self.context(make_context, crontab))
        assert result.message == "crontab is not installed: preflight cannot run from cron"

    def test_no_crontab_for_user(self, make_context, prod, crontab):
        assert checks.check_cron(self.context(make_context, crontab)) == [
            CheckResult(
                WARN,
                "No crontab for this user: preflight does not run from cron",
                "bin/install.sh cron",
                "install.cron",
            )
        ]

    def test_crontab_fails(self, make_context, prod, crontab):
        context = self.context(make_context, crontab, FAKE_CRONTAB="denied")
        [result] = checks.check_cron(context)
        assert result.message == (
            "crontab -l failed (exit 2): crontab: your UID isn't in the passwd file"
        )
        context = self.context(make_context, crontab, FAKE_CRONTAB="silent-failure")
        assert checks.check_cron(context)[0].message == "crontab -l failed (exit 3): no message"

    def test_crontab_hangs(self, make_context, prod, crontab):
        started = time.monotonic()
        [result] = checks.check_cron(self.context(make_context, crontab, FAKE_CRONTAB="hang"))
        assert (result.level, result.message, result.hint) == (
            WARN,
            "crontab -l did not answer within 1s",
            "crontab -l",  # by hand: bin/install.sh would hang on it just the same
        )
        assert time.monotonic() - started < 2

    def test_runs_this_project(self, make_context, prod, crontab, project):
        table = (
            "MAILTO=ops@example.com\n"
            f'17 * * * * cd "{project}" && uv run python manage.py preflight --verbosity 0  # preflight\n'
        )
        context = self.context(make_context, crontab, FAKE_CRONTAB_TABLE=table)
        assert checks.check_cron(context) == [
            CheckResult(OK, "Cron runs this project (crontab -l)", "", "install.cron")
        ]

    def test_runs_this_project_through_its_real_path(self, make_context, prod, crontab, project):
        link = project.parent / "current"
        link.symlink_to(project)
        table = f"@hourly {project}/bin/something\n"
        context = make_context(
            base_dir=link,
            environ={"PATH": crontab.path, "FAKE_CRONTAB_TABLE": table},
        )
        assert checks.check_cron(context)[0].level == OK

    @pytest.mark.parametrize(
        "table",
        [
            "",
            "# 17 * * * * cd {project} && uv run python manage.py preflight\n",
            "17 * * * * cd {project}-old && uv run python manage.py preflight\n",
            "17 * * * * cd /x{project} && true\n",
            "PREFLIGHT_ROOT={project}\n",
            "\n   \n@daily /usr/bin/true\n",
        ],
    )
    def test_no_line_for_this_project(self, make_context, prod, crontab, project, table):
        context = self.context(
            make_context, crontab, FAKE_CRONTAB_TABLE=table.format(project=project) or "\n"
        )
        assert checks.check_cron(context) == [
            CheckResult(
                WARN,
                "Cron does not run this project: no crontab line names its directory",
                "bin/install.sh cron",
                "install.cron",
            )
        ]


class TestLogsDir:
    def test_created_when_missing(self, make_context, settings, project):
        settings.LOGS_DIR = project / "var" / "logs"
        assert checks.check_logs_dir(make_context()) == [
            CheckResult(OK, "Logs directory created (var/logs/)", "", "install.logs_dir")
        ]
        assert (project / "var" / "logs").is_dir()
        assert list((project / "var" / "logs").iterdir()) == []

    def test_writable(self, make_context, settings, project):
        (project / "logs").mkdir()
        (project / "logs" / "checks.log").write_text("{}\n")
        settings.LOGS_DIR = project / "logs"
        assert levels_and_messages(checks.check_logs_dir(make_context())) == [
            (OK, "Logs directory writable (logs/)")
        ]
        assert (project / "logs" / "checks.log").read_text() == "{}\n"

    def test_outside_the_project(self, make_context, settings, tmp_path):
        settings.LOGS_DIR = tmp_path / "elsewhere"
        [result] = checks.check_logs_dir(make_context())
        assert result.message == f"Logs directory created ({tmp_path / 'elsewhere'}/)"

    def test_a_file_in_the_way(self, make_context, settings, project):
        (project / "logs").write_text("")
        settings.LOGS_DIR = project / "logs"
        assert checks.check_logs_dir(make_context()) == [
            CheckResult(
                ERROR,
                "Logs directory logs/ is not a directory",
                "ls -ld logs",  # the project's own logs/: show what is in the way
                "install.logs_dir",
            )
        ]

    def test_cannot_be_created(self, make_context, settings, project):
        (project / "file").write_text("")
        settings.LOGS_DIR = project / "file" / "logs"
        [result] = checks.check_logs_dir(make_context())
        assert (result.level, result.message, result.hint) == (
            ERROR,
            "Logs directory file/logs/ cannot be created (Not a directory)",
            "bin/set_env.sh LOGS_DIR=logs",  # not the project's own logs/: back to it
        )

    def test_the_default_cannot_be_created(self, make_context, settings, project, monkeypatch):
        settings.LOGS_DIR = project / "logs"

        def denied_mkdir(self, *args, **kwargs):
            raise PermissionError(13, "Permission denied")

        monkeypatch.setattr(Path, "mkdir", denied_mkdir)
        [result] = checks.check_logs_dir(make_context())
        assert (result.message, result.hint) == (
            "Logs directory logs/ cannot be created (Permission denied)",
            "ls -ld .",  # the project directory, which refuses it
        )

    def test_not_writable(self, make_context, settings, project, monkeypatch):
        settings.LOGS_DIR = project / "logs"
        monkeypatch.setattr(tempfile, "NamedTemporaryFile", denied)
        [result] = checks.check_logs_dir(make_context())
        assert (result.level, result.message, result.hint) == (
            ERROR,
            "Logs directory logs/ is not writable (Permission denied)",
            "ls -ld logs",
        )

    @pytest.mark.skipif(IS_ROOT, reason="root writes anywhere")
    def test_really_read_only(self, make_context, settings, project):
        logs = project / "logs"
        logs.mkdir(mode=0o500)
        settings.LOGS_DIR = logs
        try:
            assert checks.check_logs_dir(make_context())[0].level == ERROR
        finally:
            logs.chmod(0o700)

    def test_log_file_not_writable(self, make_context, settings, project):
        (project / "logs" / "checks.log").mkdir(parents=True)
        settings.LOGS_DIR = project / "logs"
        [result] = checks.check_logs_dir(make_context())
        assert (result.level, result.message, result.hint) == (
            ERROR,
            "Run log logs/checks.log is not writable (Is a directory)",
            "ls -ld logs/checks.log",
        )

    def test_logs_elsewhere_go_back_to_the_projects(self, make_context, settings, tmp_path):
        (tmp_path / "elsewhere").write_text("")
        settings.LOGS_DIR = tmp_path / "elsewhere"
        [result] = checks.check_logs_dir(make_context())
        assert result.hint == "bin/set_env.sh LOGS_DIR=logs"


class TestSqliteWritable:
    def databases(self, settings, **entries):
        settings.DATABASES = {
            alias: (
                {"ENGINE": "django.db.backends.sqlite3", "NAME": name}
                if not isinstance(name, dict)
                else name
            )
            for alias, name in entries.items()
        }

    def test_no_sqlite(self, make_context, settings):
        self.databases(
            settings,
            default={"ENGINE": "django.db.backends.postgresql", "NAME": "app", "HOST": "db"},
        )
        with pytest.raises(NotApplicable, match="no SQLite database"):
            checks.check_sqlite_writable(make_context())

    def test_in_memory_only(self, make_context, settings):
        self.databases(
            settings, default=":memory:", other="file:memorydb_other?mode=memory&cache=shared"
        )
        with pytest.raises(NotApplicable, match="SQLite in memory only"):
            checks.check_sqlite_writable(make_context())

    def test_existing_file(self, make_context, settings, project):
        (project / "db.sqlite3").write_bytes(b"")
        self.databases(settings, default=str(project / "db.sqlite3"))
        assert checks.check_sqlite_writable(make_context()) == [
            CheckResult(
                OK,
                "Database file db.sqlite3 and its directory writable",
                "",
                "install.sqlite_writable",
            )
        ]
        assert [p.name for p in project.iterdir()] == ["db.sqlite3"]

    def test_not_created_yet_relative_name(self, make_context, settings, project):
        (project / "data").mkdir()
        self.databases(settings, default="data/app.db")
        assert levels_and_messages(checks.check_sqlite_writable(make_context())) == [
            (OK, "Database directory data/ writable (data/app.db not created yet)")
        ]

    def test_directory_missing(self, make_context, settings, project):
        self.databases(settings, default=str(project / "var" / "db.sqlite3"))
        assert checks.check_sqlite_writable(make_context()) == [
            CheckResult(
                ERROR,
                "Database directory var/ does not exist",
                "mkdir -p var/",
                "install.sqlite_writable",
            )
        ]

    def test_file_and_directory_not_writable_are_two_rows(
        self, make_context, settings, project, monkeypatch
    ):
        (project / "db.sqlite3").mkdir()  # opening it for append fails, even for root
        self.databases(settings, default=str(project / "db.sqlite3"))
        monkeypatch.setattr(tempfile, "NamedTemporaryFile", denied)
        results = checks.check_sqlite_writable(make_context())
        assert [(r.level, r.message, r.hint) for r in results] == [
            (
                ERROR,
                "Database file db.sqlite3 is not writable (Is a directory)",
                "chmod u+w db.sqlite3",  # ours: we may give ourselves write permission
            ),
            (
                ERROR,
                "Database directory ./ is not writable (Permission denied): "
                "SQLite writes its journal there",
                "chmod u+w ./",
            ),
        ]

    def test_someone_elses_file_gets_a_look_not_a_chmod(
        self, make_context, settings, project, monkeypatch
    ):
        (project / "db.sqlite3").mkdir()
        self.databases(settings, default=str(project / "db.sqlite3"))
        monkeypatch.setattr(tempfile, "NamedTemporaryFile", denied)
        monkeypatch.setattr(os, "geteuid", lambda: os.getuid() + 4242)
        results = checks.check_sqlite_writable(make_context())
        assert [r.hint for r in results] == ["ls -ld db.sqlite3", "ls -ld ./"]

    def test_writable_hint_for_a_path_that_vanished(self, project):
        assert checks.make_writable_hint(project / "gone", "gone") == "ls -ld gone"

    def test_several_aliases(self, make_context, settings, project, tmp_path):
        (project / "a.db").write_bytes(b"")
        outside = tmp_path / "shared"
        outside.mkdir()
        self.databases(
            settings,
            default=str(project / "a.db"),
            memory=":memory:",
            archive=str(outside / "b.db"),
            pg={"ENGINE": "django.db.backends.postgresql", "NAME": "x"},
        )
        assert levels_and_messages(checks.check_sqlite_writable(make_context())) == [
            (OK, "Database default file a.db and its directory writable"),
            (
                OK,
                f"Database archive directory {outside}/ writable ({outside / 'b.db'} not created yet)",
            ),
        ]

    @pytest.mark.skipif(IS_ROOT, reason="root writes anywhere")
    def test_really_read_only_file(self, make_context, settings, project):
        db = project / "db.sqlite3"
        db.write_bytes(b"")
        db.chmod(0o400)
        self.databases(settings, default=str(db))
        [result] = checks.check_sqlite_writable(make_context())
        assert result.message == "Database file db.sqlite3 is not writable (Permission denied)"


def test_an_rc_file_that_is_a_device_is_not_read_forever(make_context, tmp_path):
    home = tmp_path / "home-zero"
    home.mkdir()
    (home / ".bashrc").symlink_to("/dev/zero")
    [result] = checks.check_aliases(make_context(environ={"HOME": str(home), "SHELL": "/bin/bash"}))
    assert (
        result.message == "Shell aliases unknown: ~/.bashrc cannot be read (is not a regular file)"
    )


def test_logs_dir_with_a_name_too_long(make_context, settings, project):
    settings.LOGS_DIR = project / ("x" * 300)
    [result] = checks.check_logs_dir(make_context())
    assert result.level == ERROR
    assert result.message.endswith("cannot be created (File name too long)")
