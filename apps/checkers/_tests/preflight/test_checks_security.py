import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import checks as django_checks

from apps.checkers.preflight import ERROR, INFO, OK, WARN, CheckResult, NotApplicable, checks
from config.env import BAD_BOOLEAN, BAD_NUMBER, MISSING_SECRET_KEY, ConfigProblem, read_env_file

STRONG_KEY = "fake-test-key-" + "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH"
REPO = Path(__file__).resolve().parents[4]
NEW_KEY_HINT = (
    "bin/set_env.sh DJANGO_SECRET_KEY="
    "$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')"
)
SILENCED_HINT = "uv run python manage.py diffsettings | grep SILENCED_SYSTEM_CHECKS"


class TestDebug:
    def test_on_in_prod(self, make_context, settings):
        settings.DJANGO_ENV, settings.DEBUG = "prod", True
        assert checks.check_debug(make_context()) == [
            CheckResult(
                ERROR,
                "DEBUG is on in production",
                "bin/set_env.sh DJANGO_DEBUG=0",
                "security.debug",
            )
        ]

    def test_off_in_prod(self, make_context, settings):
        settings.DJANGO_ENV, settings.DEBUG = "prod", False
        [result] = checks.check_debug(make_context())
        assert (result.level, result.message) == (OK, "DEBUG mode appropriate for prod (DEBUG=off)")

    def test_on_in_dev(self, make_context, settings):
        settings.DJANGO_ENV, settings.DEBUG = "dev", True
        [result] = checks.check_debug(make_context())
        assert (result.level, result.message) == (OK, "DEBUG mode appropriate for dev (DEBUG=on)")


class TestSecretKey:
    def test_strong(self, make_context, settings):
        settings.SECRET_KEY = STRONG_KEY
        assert checks.check_secret_key(make_context()) == [
            CheckResult(OK, f"SECRET_KEY is {len(STRONG_KEY)} chars", "", "security.secret_key")
        ]

    @pytest.mark.parametrize(
        ("key", "problem"),
        [
            ("short-fake-key", "14 chars, need >= 50"),
            ("ab" * 30, "fewer than 5 distinct characters"),
            ("django-insecure-" + "x1y2z3" * 10, "the django-insecure- development key"),
        ],
    )
    def test_weak_warns_in_dev_without_showing_the_key(self, make_context, settings, key, problem):
        settings.SECRET_KEY = key
        [result] = checks.check_secret_key(make_context())
        assert result.level == WARN
        assert result.message == f"SECRET_KEY is weak: {problem}"
        assert key not in result.message + result.hint
        assert result.hint == NEW_KEY_HINT

    def test_weak_is_an_error_in_prod(self, make_context, settings):
        settings.DJANGO_ENV, settings.SECRET_KEY = "prod", "short-fake-key"
        assert checks.check_secret_key(make_context())[0].level == ERROR

    def test_missing_in_prod(self, make_context, settings):
        settings.DJANGO_ENV, settings.SECRET_KEY = "prod", ""
        [result] = checks.check_secret_key(make_context())
        assert (result.level, result.message, result.hint) == (
            ERROR,
            "SECRET_KEY is not set (DJANGO_SECRET_KEY)",
            NEW_KEY_HINT,
        )

    def test_hint_sets_a_key_that_passes(self, make_context, settings, project):
        """Run as printed (PREFLIGHT_ROOT points bin/set_env.sh at the temp project)."""
        settings.DJANGO_ENV, settings.SECRET_KEY = "prod", "short-fake-key"
        (project / ".env").write_text("# mine\nDJANGO_SECRET_KEY=short-fake-key\n")
        [result] = checks.check_secret_key(make_context())
        completed = subprocess.run(
            ["bash", "-c", result.hint],
            cwd=REPO,
            env={**os.environ, "PREFLIGHT_ROOT": str(project)},
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert completed.returncode == 0, completed.stderr
        assert "DJANGO_SECRET_KEY set (replaced)" in completed.stdout
        key = read_env_file(project / ".env").values["DJANGO_SECRET_KEY"]
        assert key not in completed.stdout + completed.stderr
        assert (project / ".env").read_text() == f"# mine\nDJANGO_SECRET_KEY={key}\n"  # unquoted
        settings.SECRET_KEY = key
        assert checks.check_secret_key(make_context())[0].level == OK

    def test_the_generator_always_makes_a_strong_key_that_needs_no_quotes(
        self, make_context, settings
    ):
        code = re.search(r"python3 -c '([^']+)'", NEW_KEY_HINT).group(1)
        script = f"for _ in range(300):\n    {code}"
        keys = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True
        ).stdout.split()
        assert len(set(keys)) == 300
        for key in keys:
            assert re.fullmatch(r"[A-Za-z0-9_-]{50,}", key)
            settings.SECRET_KEY = key
            assert checks.check_secret_key(make_context())[0].level == OK


class TestAllowedHosts:
    def test_dev_anything_goes(self, make_context, settings):
        settings.ALLOWED_HOSTS = []
        [result] = checks.check_allowed_hosts(make_context())
        assert (result.level, result.message) == (OK, "ALLOWED_HOSTS: none (dev)")

    def test_prod_empty(self, make_context, settings):
        settings.DJANGO_ENV, settings.ALLOWED_HOSTS = "prod", []
        [result] = checks.check_allowed_hosts(make_context())
        assert (result.level, result.message, result.id) == (
            ERROR,
            "ALLOWED_HOSTS is empty in production",
            "security.allowed_hosts",
        )
        assert result.hint == "bin/set_env.sh DJANGO_ALLOWED_HOSTS=$(hostname -f)"

    def test_prod_wildcard_blank_and_padded(self, make_context, settings):
        settings.DJANGO_ENV = "prod"
        settings.ALLOWED_HOSTS = ["*", "", " example.com", "example.com", ".example.org "]
        results = checks.check_allowed_hosts(make_context())
        assert [(r.level, r.message) for r in results] == [
            (WARN, "ALLOWED_HOSTS contains '*': any Host header is accepted"),
            (WARN, "ALLOWED_HOSTS has an empty entry"),
            (WARN, "ALLOWED_HOSTS has entries with spaces: ' example.com', '.example.org '"),
        ]
        # The same list, cleaned: no '*', no blanks, no padding, no repeats.
        assert {r.hint for r in results} == {
            "bin/set_env.sh DJANGO_ALLOWED_HOSTS=example.com,.example.org"
        }

    def test_only_a_wildcard_gives_this_hosts_name(self, make_context, settings):
        settings.DJANGO_ENV, settings.ALLOWED_HOSTS = "prod", ["*"]
        [result] = checks.check_allowed_hosts(make_context())
        assert result.hint == "bin/set_env.sh DJANGO_ALLOWED_HOSTS=$(hostname -f)"

    def test_prod_good(self, make_context, settings):
        settings.DJANGO_ENV, settings.ALLOWED_HOSTS = "prod", ["example.com", "www.example.com"]
        assert checks.check_allowed_hosts(make_context()) == [
            CheckResult(
                OK, "ALLOWED_HOSTS: 'example.com', 'www.example.com'", "", "security.allowed_hosts"
            )
        ]


class TestEnvPermissions:
    def test_skipped_without_env(self, make_context):
        with pytest.raises(NotApplicable, match="no .env file"):
            checks.check_env_permissions(make_context())

    def test_private(self, make_context, project):
        (project / ".env").write_text("A=1\n")
        (project / ".env").chmod(0o600)
        assert checks.check_env_permissions(make_context()) == [
            CheckResult(OK, ".env is private (mode 600)", "", "security.env_permissions")
        ]

    def test_world_readable_dev(self, make_context, project):
        (project / ".env").write_text("A=1\n")
        (project / ".env").chmod(0o644)
        assert checks.check_env_permissions(make_context()) == [
            CheckResult(
                WARN,
                ".env is readable or writable by others (mode 644)",
                "chmod 600 .env",
                "security.env_permissions",
            )
        ]

    def test_group_writable_prod(self, make_context, project, settings):
        settings.DJANGO_ENV = "prod"
        (project / ".env").write_text("A=1\n")
        (project / ".env").chmod(0o620)
        assert checks.check_env_permissions(make_context())[0].level == ERROR


class TestDjangoChecks:
    @pytest.fixture
    def registry(self, monkeypatch):
        """A check registry of our own, holding only the messages a test plants."""
        registry = django_checks.registry.CheckRegistry()
        monkeypatch.setattr(django_checks, "run_checks", registry.run_checks)
        return registry

    def plant(self, registry, *messages, deploy=False):
        def planted(app_configs=None, **kwargs):
            return list(messages)

        registry.register(planted, deploy=deploy)

    def test_clean(self, make_context, registry):
        assert checks.check_django(make_context()) == [
            CheckResult(OK, "Django system checks: no issues", "", "django.checks")
        ]

    def test_levels_are_mapped(self, make_context, registry):
        self.plant(
            registry,
            django_checks.Critical("crit", id="x.C001"),
            django_checks.Error("err", hint="do this", id="x.E001"),
            django_checks.Warning("warning", id="x.W001", obj="SomeModel"),
            django_checks.Info("fyi", id="x.I001"),
            django_checks.Debug("dbg"),
        )
        results = checks.check_django(make_context())
        assert [(r.level, r.message, r.hint) for r in results] == [
            (ERROR, "x.C001: crit", ""),
            (ERROR, "x.E001: err", "do this"),
            (WARN, "SomeModel: x.W001: warning", ""),
            (INFO, "x.I001: fyi", ""),
            (INFO, "dbg", ""),
        ]

    def test_deploy_checks_only_in_prod(self, make_context, registry, settings):
        self.plant(registry, django_checks.Warning("deploy only", id="x.W002"), deploy=True)
        assert checks.check_django(make_context())[0].level == OK
        settings.DJANGO_ENV = "prod"
        assert checks.check_django(make_context())[0].message == "x.W002: deploy only"

    def test_silenced_are_left_out_and_counted(self, make_context, registry, settings):
        settings.SILENCED_SYSTEM_CHECKS = ["x.W001", "x.W002"]
        self.plant(
            registry,
            django_checks.Warning("quiet", id="x.W001"),
            django_checks.Warning("quiet too", id="x.W002"),
        )
        assert checks.check_django(make_context()) == [
            CheckResult(
                OK,
                "Django system checks: no issues (2 silenced by SILENCED_SYSTEM_CHECKS)",
                SILENCED_HINT,
                "django.checks",
            )
        ]

    def test_silenced_beside_issues(self, make_context, registry, settings):
        settings.SILENCED_SYSTEM_CHECKS = ["x.W001"]
        self.plant(
            registry,
            django_checks.Warning("quiet", id="x.W001"),
            django_checks.Error("loud", id="x.E9"),
        )
        results = checks.check_django(make_context())
        assert [(r.level, r.message, r.hint) for r in results] == [
            (ERROR, "x.E9: loud", ""),
            (
                OK,
                "Django system checks: no other issues (1 silenced by SILENCED_SYSTEM_CHECKS)",
                SILENCED_HINT,
            ),
        ]

    def test_facts_preflight_covers_itself_are_left_out(self, make_context, registry, settings):
        covered = ConfigProblem(
            MISSING_SECRET_KEY, "DJANGO_SECRET_KEY", "DJANGO_SECRET_KEY is not set"
        )
        port = ConfigProblem(BAD_NUMBER, "STATSD_PORT", "STATSD_PORT='x' is bad")
        shown = ConfigProblem(BAD_BOOLEAN, "DJANGO_DEBUG", "DJANGO_DEBUG='maybe' is not a boolean")
        settings.CONFIG_PROBLEMS = [covered, port, shown]
        self.plant(
            registry,
            django_checks.Warning("key", id="security.W009"),
            django_checks.Warning("debug", id="security.W018"),
            django_checks.Error("hosts", id="security.W020"),
            django_checks.Error(covered.message, id="checkers.E005"),
            django_checks.Error(port.message, id="checkers.E002"),
            django_checks.Error(shown.message, id="checkers.E001"),
        )
        results = checks.check_django(make_context())
        assert [(r.level, r.message) for r in results] == [
            (ERROR, "checkers.E001: DJANGO_DEBUG='maybe' is not a boolean")
        ]

    def test_real_registry_includes_our_configuration_check(self, make_context, settings):
        settings.CONFIG_PROBLEMS = [
            ConfigProblem(BAD_BOOLEAN, "DJANGO_DEBUG", "DJANGO_DEBUG='maybe' is bad")
        ]
        results = checks.check_django(make_context())
        assert (ERROR, "checkers.E001: DJANGO_DEBUG='maybe' is bad") in [
            (r.level, r.message) for r in results
        ]


def test_context_defaults_to_django_settings(settings):
    from apps.checkers.preflight.context import Context

    context = Context()
    assert context.settings is not None
    assert context.base_dir == settings.BASE_DIR
    assert context.timeout == settings.PREFLIGHT_TIMEOUT


@pytest.mark.parametrize("hosts", [[""], [" ", ""], ["  "]])
def test_prod_hosts_with_no_usable_entry_are_an_error(make_context, settings, hosts):
    settings.DJANGO_ENV, settings.ALLOWED_HOSTS = "prod", hosts
    [result] = checks.check_allowed_hosts(make_context())
    assert result.level == ERROR
    assert result.message.startswith("ALLOWED_HOSTS has no usable entry in production")


def test_prod_blank_entry_beside_a_real_one(make_context, settings):
    settings.DJANGO_ENV, settings.ALLOWED_HOSTS = "prod", ["example.com", " "]
    assert [r.message for r in checks.check_allowed_hosts(make_context())] == [
        "ALLOWED_HOSTS has an empty entry"
    ]


@pytest.mark.parametrize("make_bad", ["directory", "loop"])
def test_env_permissions_leaves_an_unusable_env_to_env_dotenv(make_context, project, make_bad):
    if make_bad == "directory":
        (project / ".env").mkdir()
    else:
        (project / ".env").symlink_to(project / ".env")
    with pytest.raises(NotApplicable, match="env.dotenv reports it"):
        checks.check_env_permissions(make_context())


def test_env_permissions_when_env_vanishes_after_reading(make_context, project):
    (project / ".env").write_text("A=1\n")
    context = make_context()
    assert context.env_file.exists
    (project / ".env").unlink()
    with pytest.raises(NotApplicable, match="env.dotenv reports it"):
        checks.check_env_permissions(context)


def test_prod_defaults_leave_only_hsts_to_decide_and_it_has_a_hint(make_context, settings):
    settings.DJANGO_ENV, settings.DEBUG = "prod", False
    settings.SECURE_SSL_REDIRECT = True
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    settings.SECURE_HSTS_SECONDS = 0
    settings.SECRET_KEY = STRONG_KEY
    settings.ALLOWED_HOSTS = ["example.com"]
    results = checks.check_django(make_context())
    assert [(r.level, r.message.split(":")[0], r.hint) for r in results] == [
        (WARN, "security.W004", "bin/set_env.sh DJANGO_SECURE_HSTS_SECONDS=3600")
    ]
    settings.SECURE_SSL_REDIRECT = False
    hints = {r.message.split(":")[0]: r.hint for r in checks.check_django(make_context())}
    assert hints["security.W008"] == "bin/set_env.sh DJANGO_SECURE_SSL_REDIRECT=on"
