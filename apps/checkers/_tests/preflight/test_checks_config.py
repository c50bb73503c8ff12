"""Config consistency checks: env drift, settings refs, cluster, Celery, metrics."""

import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from apps.checkers.preflight import ERROR, INFO, OK, WARN, CheckResult, NotApplicable, checks
from config.env import BAD_CHOICE, BAD_NUMBER, ConfigProblem, Env

REPO = Path(__file__).resolve().parents[4]


def levels_and_messages(results):
    return [(r.level, r.message) for r in results]


@pytest.fixture
def silent_port():
    """A loopback port that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    yield server.getsockname()[1]
    server.close()


@pytest.fixture
def closed_port():
    """A loopback port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


SAMPLE = (
    "# comment\n"
    "DJANGO_ENV=dev\n"
    "DJANGO_DEBUG=\n"
    "# OPTIONAL_ONE=example\n"
    "#   export OPTIONAL_TWO=1\n"
    "# Not a key: prose with DJANGO_ENV in it\n"
    "LOGS_DIR=logs\n"
)


class TestEnvDrift:
    def write(self, project, env=None, sample=SAMPLE):
        if env is not None:
            (project / ".env").write_text(env)
        if sample is not None:
            (project / ".env.sample").write_text(sample)

    def test_skipped_without_env(self, make_context, project):
        self.write(project)
        with pytest.raises(NotApplicable, match="no .env file"):
            checks.check_env_drift(make_context())

    def test_skipped_when_env_cannot_be_read(self, make_context, project):
        self.write(project)
        (project / ".env").unlink(missing_ok=True)
        (project / ".env").mkdir()
        with pytest.raises(NotApplicable, match=r"is a directory.*env.dotenv reports it"):
            checks.check_env_drift(make_context())

    def test_missing_sample(self, make_context, project):
        self.write(project, env="A=1\n", sample=None)
        assert checks.check_env_drift(make_context()) == [
            CheckResult(
                WARN,
                ".env.sample is missing: .env cannot be checked against it",
                "git checkout -- .env.sample",
                "config.env_drift",
            )
        ]

    def test_unreadable_sample(self, make_context, project):
        self.write(project, env="A=1\n", sample=None)
        (project / ".env.sample").mkdir()
        [result] = checks.check_env_drift(make_context())
        assert (result.level, result.message, result.hint) == (
            WARN,
            ".env.sample is a directory, not a file: .env cannot be checked against it",
            "ls -ld .env.sample",
        )

    def test_stock_copy_agrees(self, make_context, project):
        self.write(project, env=SAMPLE)
        assert checks.check_env_drift(make_context()) == [
            CheckResult(OK, ".env matches .env.sample (3 keys)", "", "config.env_drift")
        ]

    def test_the_real_sample_copied_to_env_agrees(self, make_context, project):
        shutil.copy(REPO / ".env.sample", project / ".env.sample")
        shutil.copy(REPO / ".env.sample", project / ".env")
        [result] = checks.check_env_drift(make_context())
        assert result.level == OK

    def test_missing_and_extra_keys_are_two_rows_with_names_only(self, make_context, project):
        self.write(
            project,
            env=(
                "DJANGO_ENV=dev\n"
                "OPTIONAL_ONE=fake-value-1\n"  # documented by a commented line
                "export OPTIONAL_TWO=fake-value-2\n"
                "ZED_EXTRA=fake-value-3\n"
                "EXTRA_VAR=fake-value-4\n"
            ),
        )
        results = checks.check_env_drift(make_context())
        assert [(r.level, r.id) for r in results] == [
            (WARN, "config.env_drift"),
            (WARN, "config.env_drift"),
        ]
        assert results[0].message == ".env is missing keys from .env.sample: DJANGO_DEBUG, LOGS_DIR"
        # The sample's own values (the defaults), set by the command.
        assert results[0].hint == "bin/set_env.sh DJANGO_DEBUG= LOGS_DIR=logs"
        assert results[1].message == (
            ".env has keys not in .env.sample: EXTRA_VAR, ZED_EXTRA "
            "(document them there, or remove them from .env)"
        )
        assert results[1].hint == "printf '# %s=\\n' EXTRA_VAR ZED_EXTRA >> .env.sample"
        assert all("fake-value" not in r.message + r.hint for r in results)

    def test_only_extra(self, make_context, project):
        self.write(project, env=SAMPLE + "EXTRA_VAR=1\n")
        assert levels_and_messages(checks.check_env_drift(make_context())) == [
            (
                WARN,
                ".env has keys not in .env.sample: EXTRA_VAR "
                "(document them there, or remove them from .env)",
            )
        ]

    def test_documenting_hint_starts_a_line_of_its_own(self, make_context, project):
        self.write(project, env=SAMPLE + "EXTRA_VAR=1\n", sample=SAMPLE.rstrip("\n"))
        [result] = checks.check_env_drift(make_context())
        assert result.hint == ("echo >> .env.sample && printf '# %s=\\n' EXTRA_VAR >> .env.sample")

    def test_documenting_hint_when_the_sample_just_vanished(self, make_context, project):
        self.write(project, env=SAMPLE + "EXTRA_VAR=1\n")
        context = make_context()
        assert context.sample_file.exists
        (project / ".env.sample").unlink()
        assert checks.document_in_sample(context, ["A", "B"]) == (
            "printf '# %s=\\n' A B >> .env.sample"
        )

    def test_sample_gone_after_parsing_keeps_its_parsed_keys(self, make_context, project):
        self.write(project, env="DJANGO_ENV=dev\nDJANGO_DEBUG=\nLOGS_DIR=logs\n")
        context = make_context()
        assert context.sample_file.exists
        (project / ".env.sample").unlink()
        [result] = checks.check_env_drift(context)
        assert result.level == OK


SETTINGS_SOURCE = """
import os
from os import environ

from config.env import Env

env = Env(os.environ)
NAME = "DYNAMIC"
A = os.environ["SUB_A"]
B = os.environ.get("GET_B", "")
C = os.getenv("GETENV_C")
D = environ.get("BARE_D")
E = environ["BARE_SUB_E"]
F = env.bool("HELPER_F", default=False)
G = env.int("HELPER_G", 1, 0, 10)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SETDEFAULT_H", "x")
ignored = [
    os.environ[NAME],
    os.environ.get(NAME),
    env.str(NAME),
    os.environ.get(),
    os.environ.get(42),
    os.environ[1],
    print("NOT_AN_ENV"),
    {}.get("NOT_ENV_DICT"),
    settings.get("NOT_ENV_SETTINGS"),
    self.environ.get("NOT_OS_ENVIRON"),
    a.b.environ.get("NOT_OS_EITHER"),
    os.path.get("NOT_ENV_PATH"),
    other["NOT_ENV_SUB"],
    getenv(NAME),
    print(NAME),
]
I = getenv("BARE_GETENV_I")
"""


class TestSettingsRefs:
    @pytest.fixture
    def code(self, project):
        (project / "config").mkdir()
        (project / "config" / "settings.py").write_text(SETTINGS_SOURCE)
        nested = project / "apps" / "things" / "management"
        nested.mkdir(parents=True)
        (nested / "tool.py").write_text("import os\nX = os.getenv('NESTED_I')\n")
        for skipped in ("_tests", "migrations", ".hidden", "__pycache__"):
            (project / "apps" / "things" / skipped).mkdir()
            (project / "apps" / "things" / skipped / "x.py").write_text(
                "import os\nos.environ['SKIPPED_DIR']\n"
            )
        (project / "apps" / "things" / "notes.txt").write_text("os.environ['NOT_PYTHON']\n")
        (project / "apps" / "things" / "broken.py").write_text("os.environ['BROKEN'\n")
        return project

    def test_skipped_without_sample(self, make_context, code):
        with pytest.raises(NotApplicable, match="no readable .env.sample"):
            checks.check_settings_refs(make_context())

    def test_finds_every_form_and_lists_the_undocumented(self, make_context, code):
        (code / ".env.sample").write_text(
            "SUB_A=1\n# GET_B=\n# export GETENV_C=x\nBARE_D=\nHELPER_F=off\n"
        )
        [result] = checks.check_settings_refs(make_context())
        assert (result.level, result.id) == (WARN, "config.settings_refs")
        assert result.message == (
            "The code reads variables that .env.sample does not document: "
            "BARE_GETENV_I (config/settings.py), "
            "BARE_SUB_E (config/settings.py), HELPER_G (config/settings.py), "
            "NESTED_I (apps/things/management/tool.py), SETDEFAULT_H (config/settings.py)"
        )
        assert result.hint == (
            "printf '# %s=\\n' BARE_GETENV_I BARE_SUB_E HELPER_G NESTED_I SETDEFAULT_H >> .env.sample"
        )

    def test_all_documented(self, make_context, code):
        (code / ".env.sample").write_text(
            "SUB_A=\nGET_B=\nGETENV_C=\nBARE_D=\n# BARE_SUB_E=\n# HELPER_F=\n# HELPER_G=\n"
            "# NESTED_I=\n# SETDEFAULT_H=\n# BARE_GETENV_I=\n"
        )
        assert checks.check_settings_refs(make_context()) == [
            CheckResult(
                OK,
                "Every variable the code reads is documented in .env.sample (10 variables)",
                "",
                "config.settings_refs",
            )
        ]

    def test_no_code_at_all(self, make_context, project):
        (project / ".env.sample").write_text("A=1\n")
        [result] = checks.check_settings_refs(make_context())
        assert result.message.endswith("(0 variables)")

    def test_this_repository_is_consistent(self, make_context):
        """A stock checkout: every variable config/ and apps/ read is in the real sample."""
        [result] = checks.check_settings_refs(make_context(base_dir=REPO))
        assert result.level == OK, result.message
        reads = checks.env_reads(REPO)
        assert {"DJANGO_ENV", "HEALTH_CPU_WARN", "DOCKER_SERVICES", "GUNICORN_SOCKET"} <= set(reads)
        assert "DJANGO_SETTINGS_MODULE" not in reads


class TestCluster:
    @pytest.fixture(autouse=True)
    def standalone(self, settings):
        settings.HUB_URL, settings.HUB_API_KEY, settings.INSTANCE_ID = "", "", ""
        settings.CLUSTER_ENABLED, settings.CLUSTER_API_KEY = False, ""
        settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1"]

    def agent(self, settings, url="https://hub.example.com"):
        settings.HUB_URL, settings.HUB_API_KEY, settings.INSTANCE_ID = (
            url,
            "fake-hub-key-123",
            "web-1",
        )

    def test_standalone(self, make_context):
        assert checks.check_cluster(make_context()) == [
            CheckResult(OK, "Cluster: standalone (no conflicts)", "", "config.cluster")
        ]

    def test_coherent_agent(self, make_context, settings):
        self.agent(settings)
        assert levels_and_messages(checks.check_cluster(make_context())) == [
            (OK, "Cluster: agent (no conflicts)")
        ]

    def test_coherent_relay(self, make_context, settings):
        self.agent(settings)
        settings.CLUSTER_ENABLED, settings.CLUSTER_API_KEY = True, "fake-cluster-key-456"
        assert levels_and_messages(checks.check_cluster(make_context())) == [
            (OK, "Cluster: agent+hub (no conflicts)")
        ]

    def test_agent_without_key_or_instance_id(self, make_context, settings):
        settings.HUB_URL = "http://hub.example.com:8000/"
        results = checks.check_cluster(make_context())
        assert levels_and_messages(results) == [
            (
                WARN,
                "Agent without HUB_API_KEY (the hub's CLUSTER_API_KEY): "
                "the hub will refuse its reports",
            ),
            (WARN, "Agent without INSTANCE_ID: the hub cannot tell this instance from others"),
        ]
        assert results[0].hint == "bin/set_env.sh --ask HUB_API_KEY"  # a secret: asked for
        assert results[1].hint == "bin/set_env.sh INSTANCE_ID=$(hostname)"

    @pytest.mark.parametrize(
        ("url", "scheme"),
        [
            ("ftp://hub.example.com", "ftp"),
            ("hub.example.com", "none"),
            ("https://", "https"),
            ("https:///path-only", "https"),
        ],
    )
    def test_not_an_http_url(self, make_context, settings, url, scheme):
        self.agent(settings, url)
        [result] = checks.check_cluster(make_context())
        assert (result.level, result.message) == (
            ERROR,
            f"HUB_URL is not an http(s) URL with a host (scheme: {scheme})",
        )
        assert result.hint == "bin/set_env.sh --ask HUB_URL"

    @pytest.mark.parametrize("url", ["http://hub.example.com:port", "http://[not-an-ip]/"])
    def test_unparsable_url(self, make_context, settings, url):
        self.agent(settings, url)
        [result] = checks.check_cluster(make_context())
        assert (result.level, result.message) == (
            ERROR,
            "HUB_URL is not a valid URL (bad host or port)",
        )

    @pytest.mark.parametrize(
        "host",
        ["localhost", "LOCALHOST.", "127.0.0.1", "127.1.2.3", "[::1]", "0.0.0.0", "example.com"],
    )
    def test_pointing_at_this_instance(self, make_context, settings, host):
        self.agent(settings, f"https://{host}:8443/api")
        settings.ALLOWED_HOSTS = ["localhost", " Example.com "]
        [result] = checks.check_cluster(make_context())
        assert result.level == ERROR
        assert result.message.startswith("HUB_URL points at this instance (")
        assert result.message.endswith("): an agent cannot be its own hub")

    def test_pointing_at_this_machines_hostname(self, make_context, settings, monkeypatch):
        monkeypatch.setattr(socket, "gethostname", lambda: "Box-7.")
        self.agent(settings, "https://box-7/")
        [result] = checks.check_cluster(make_context())
        assert result.message == (
            "HUB_URL points at this instance (box-7): an agent cannot be its own hub"
        )

    def test_wildcards_and_domain_patterns_do_not_make_a_host_ours(self, make_context, settings):
        settings.ALLOWED_HOSTS = ["*", ".example.com", "", "web.example.com"]
        self.agent(settings, "https://hub.example.com")
        assert checks.check_cluster(make_context())[0].level == OK

    def test_hub_without_key_warns_in_dev(self, make_context, settings):
        settings.CLUSTER_ENABLED = True
        [result] = checks.check_cluster(make_context())
        assert (result.level, result.message) == (
            WARN,
            "Hub without CLUSTER_API_KEY: any agent can report to it",
        )

    def test_hub_without_key_is_an_error_in_prod(self, make_context, settings):
        settings.DJANGO_ENV, settings.CLUSTER_ENABLED = "prod", True
        [result] = checks.check_cluster(make_context())
        assert result.level == ERROR

    def test_hub_key_hint_sets_a_new_key(self, make_context, settings):
        settings.CLUSTER_ENABLED = True
        [result] = checks.check_cluster(make_context())
        assert result.hint == (
            "bin/set_env.sh CLUSTER_API_KEY="
            "$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
        code = result.hint.split("python3 -c ", 1)[1].rstrip(")")
        output = subprocess.run(
            f'"{sys.executable}" -c {code}', shell=True, capture_output=True, text=True, check=True
        ).stdout
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}\n", output)


class TestCeleryEager:
    def test_eager_in_prod_warns(self, make_context, settings):
        settings.DJANGO_ENV, settings.CELERY_TASK_ALWAYS_EAGER = "prod", True
        assert checks.check_celery_eager(make_context()) == [
            CheckResult(
                WARN,
                "Celery runs tasks eagerly in production: they would run inside web requests "
                "(turn it off and run a worker)",
                "bin/set_env.sh CELERY_TASK_ALWAYS_EAGER=0",
                "config.celery_eager",
            )
        ]

    def test_async_in_prod(self, make_context, settings):
        settings.DJANGO_ENV, settings.CELERY_TASK_ALWAYS_EAGER = "prod", False
        assert levels_and_messages(checks.check_celery_eager(make_context())) == [
            (OK, "Celery mode appropriate for prod (async: tasks go to the broker)")
        ]

    def test_eager_in_dev(self, make_context, settings):
        settings.DJANGO_ENV, settings.CELERY_TASK_ALWAYS_EAGER = "dev", True
        assert levels_and_messages(checks.check_celery_eager(make_context())) == [
            (OK, "Celery mode appropriate for dev (eager: tasks run inline)")
        ]


class TestCeleryBroker:
    @pytest.fixture(autouse=True)
    def not_eager(self, settings):
        settings.CELERY_TASK_ALWAYS_EAGER = False

    def run(self, make_context, settings, url, timeout=1):
        settings.CELERY_BROKER_URL = url
        started = time.monotonic()
        [result] = checks.check_celery_broker(make_context(timeout=timeout))
        return result, time.monotonic() - started

    def test_skipped_when_eager(self, make_context, settings):
        settings.CELERY_TASK_ALWAYS_EAGER = True
        with pytest.raises(NotApplicable, match="eager: tasks run inline"):
            checks.check_celery_broker(make_context())

    def test_empty_url(self, make_context, settings):
        result, _ = self.run(make_context, settings, " ")
        assert (result.level, result.id) == (ERROR, "config.celery_broker")
        assert result.message == "CELERY_BROKER_URL is empty: Celery has no broker"
        assert result.hint == "bin/set_env.sh CELERY_TASK_ALWAYS_EAGER=on"  # dev
        settings.DJANGO_ENV = "prod"
        result, _ = self.run(make_context, settings, "")
        assert result.hint == "bin/set_env.sh CELERY_BROKER_URL=redis://localhost:6379/0"

    def test_invalid_url(self, make_context, settings):
        settings.DJANGO_ENV = "prod"
        result, _ = self.run(make_context, settings, "redis://127.0.0.1:port/0")
        assert result.message == "CELERY_BROKER_URL is not a valid URL (bad host or port)"
        assert result.hint == "bin/set_env.sh --ask CELERY_BROKER_URL"

    def test_unsupported_scheme(self, make_context, settings):
        settings.DJANGO_ENV = "prod"
        result, _ = self.run(make_context, settings, "carrier-pigeon://127.0.0.1:1//")
        assert result.message == "Celery broker scheme 'carrier-pigeon' is not supported"
        assert result.hint == "bin/set_env.sh --ask CELERY_BROKER_URL"

    def test_transport_without_its_library(self, make_context, settings, monkeypatch):
        import kombu

        def missing(*args, **kwargs):
            raise ImportError("No module named 'botocore'")

        monkeypatch.setattr(kombu, "Connection", missing)
        result, _ = self.run(make_context, settings, "sqs://")
        assert result.message == (
            "Celery broker scheme 'sqs' needs a client library that is not installed"
        )

    @pytest.mark.parametrize("scheme", ["redis", "amqp"])
    def test_closed_port_is_unreachable_fast(self, make_context, settings, closed_port, scheme):
        url = f"{scheme}://user:fake-broker-pw@127.0.0.1:{closed_port}/0"
        result, seconds = self.run(make_context, settings, url)
        assert result.level == ERROR
        assert result.message == f"Celery broker unreachable ({scheme}://127.0.0.1:{closed_port}/0)"
        assert "fake-broker-pw" not in result.message + result.hint
        assert seconds < 1

    @pytest.mark.parametrize("scheme", ["redis", "amqp"])
    def test_silent_broker_times_out_within_the_timeout(
        self, make_context, settings, silent_port, scheme
    ):
        url = f"{scheme}://:fake-broker-pw@127.0.0.1:{silent_port}/0"
        result, seconds = self.run(make_context, settings, url, timeout=1)
        assert result.message == f"Celery broker timed out ({scheme}://127.0.0.1:{silent_port}/0)"
        assert "fake-broker-pw" not in result.message
        assert seconds < 2

    def test_hint_offers_eager_mode_in_dev_only(self, make_context, settings, closed_port):
        url = f"redis://127.0.0.1:{closed_port}/0"
        result, _ = self.run(make_context, settings, url)
        assert result.hint == "bin/set_env.sh CELERY_TASK_ALWAYS_EAGER=on"
        settings.DJANGO_ENV = "prod"
        result, _ = self.run(make_context, settings, url)
        assert result.hint == "sudo systemctl start redis-server"

    @pytest.mark.parametrize(
        ("url", "reason", "hint"),
        [
            ("redis://localhost/0", "unreachable", "sudo systemctl start redis-server"),
            ("redis://[::1]:6380/0", "timed out", "sudo systemctl restart redis-server"),
            ("amqp://guest@127.0.0.1//", "unreachable", "sudo systemctl start rabbitmq-server"),
            ("pyamqp://box-7/", "unreachable", "sudo systemctl start rabbitmq-server"),
            (
                "redis://cache.internal:6390/0",
                "unreachable",
                "redis-cli -h cache.internal -p 6390 ping",
            ),
            (
                "rediss://cache.internal/0",
                "timed out",
                "redis-cli --tls -h cache.internal -p 6379 ping",
            ),
            (
                "amqps://mq.internal//",
                "unreachable",
                "timeout 5 bash -c '</dev/tcp/mq.internal/5671' && echo 'mq.internal:5671 answers'",
            ),
            (
                "redis://u:p@localhost/0",
                "authentication failed",
                "bin/set_env.sh --ask CELERY_BROKER_URL",
            ),
            ("sqs://queue", "unreachable", "bin/set_env.sh --ask CELERY_BROKER_URL"),
        ],
    )
    def test_prod_hints_start_probe_or_re_enter(self, monkeypatch, url, reason, hint):
        from urllib.parse import urlsplit

        monkeypatch.setattr(socket, "gethostname", lambda: "Box-7")
        parts = urlsplit(url)
        assert checks.broker_hint(parts, parts.scheme, reason) == hint

    @pytest.mark.redis
    def test_real_redis_answers(self, make_context, settings):
        result, _ = self.run(make_context, settings, "redis://127.0.0.1:6379/0", timeout=5)
        assert result == CheckResult(
            OK, "Celery broker answers (redis://127.0.0.1:6379/0)", "", "config.celery_broker"
        )

    @pytest.mark.redis
    def test_real_redis_refuses_a_wrong_user(self, make_context, settings):
        url = "redis://no-such-user:fake-broker-pw@127.0.0.1:6379/0"
        result, _ = self.run(make_context, settings, url, timeout=5)
        assert result.message == "Celery broker authentication failed (redis://127.0.0.1:6379/0)"
        assert "fake-broker-pw" not in result.message

    def test_location_never_has_credentials(self):
        from urllib.parse import urlsplit

        assert (
            checks.broker_location(urlsplit("rediss://u:fake-broker-pw@[::1]:6380/2"))
            == "rediss://[::1]:6380/2"
        )
        assert checks.broker_location(urlsplit("memory://")) == "memory://"

    @pytest.mark.parametrize(
        ("exc", "reason"),
        [
            (
                type("AccessRefused", (Exception,), {})("(403) ACCESS_REFUSED"),
                "authentication failed",
            ),
            (RuntimeError("NOAUTH Authentication required."), "authentication failed"),
            (TimeoutError("timed out"), "timed out"),
            (ConnectionRefusedError(111, "Connection refused"), "unreachable"),
            (RuntimeError("something else"), "failed (RuntimeError)"),
        ],
    )
    def test_classify(self, exc, reason):
        assert checks.classify_broker_failure(exc) == reason

    def test_classify_follows_the_cause(self):
        try:
            try:
                raise TimeoutError("timed out")
            except TimeoutError as inner:
                raise RuntimeError("wrapped") from inner
        except RuntimeError as outer:
            assert checks.classify_broker_failure(outer) == "timed out"


class TestMetrics:
    @pytest.fixture(autouse=True)
    def logging_backend(self, settings):
        settings.METRICS_BACKEND, settings.STATSD_HOST, settings.STATSD_PORT = "logging", "", 8125
        settings.STATSD_PREFIX = "preflight"
        settings.CONFIG_PROBLEMS = []

    def problems(self, **environ):
        """The problems settings would record for these values, the way settings do."""
        env = Env(environ)
        env.choice("METRICS_BACKEND", "logging", ("logging", "statsd"))
        env.int("STATSD_PORT", 8125, 1, 65535)
        env.bool("DJANGO_DEBUG", default=True)  # not ours: left to django.checks
        return env.problems

    def test_logging(self, make_context):
        assert checks.check_metrics(make_context()) == [
            CheckResult(OK, "Metrics: logging", "", "config.metrics")
        ]

    def test_statsd(self, make_context, settings):
        settings.METRICS_BACKEND, settings.STATSD_HOST = "statsd", "127.0.0.1"
        assert levels_and_messages(checks.check_metrics(make_context())) == [
            (OK, "Metrics: statsd to 127.0.0.1:8125 (prefix preflight)")
        ]

    def test_unknown_backend_recorded_by_settings(self, make_context, settings):
        settings.CONFIG_PROBLEMS = self.problems(METRICS_BACKEND="datadog", DJANGO_DEBUG="maybe")
        settings.STATSD_HOST = "127.0.0.1"  # not reported as unused: the backend is the fact
        [result] = checks.check_metrics(make_context())
        assert (result.level, result.id) == (ERROR, "config.metrics")
        assert result.message == (
            "METRICS_BACKEND='datadog' is not one of logging, statsd; using logging "
            "(metrics would silently go to the log)"
        )
        assert result.hint == "bin/set_env.sh METRICS_BACKEND=logging"

    def test_unknown_backend_set_directly(self, make_context, settings):
        settings.METRICS_BACKEND = "datadog"
        assert levels_and_messages(checks.check_metrics(make_context())) == [
            (ERROR, "METRICS_BACKEND='datadog' is not one of logging, statsd")
        ]

    def test_invalid_port_recorded_by_settings(self, make_context, settings):
        settings.METRICS_BACKEND, settings.STATSD_HOST = "statsd", "127.0.0.1"
        settings.CONFIG_PROBLEMS = self.problems(STATSD_PORT="99999")
        [result] = checks.check_metrics(make_context())
        assert (result.level, result.message) == (
            ERROR,
            "STATSD_PORT='99999' is not a whole number from 1 to 65535; using 8125",
        )
        assert result.hint == "bin/set_env.sh STATSD_PORT=8125"

    def test_invalid_port_set_directly(self, make_context, settings):
        settings.STATSD_PORT = 0
        assert levels_and_messages(checks.check_metrics(make_context())) == [
            (ERROR, "STATSD_PORT=0 is not a valid port")
        ]

    def test_both_bad_values_each_get_a_row(self, make_context, settings):
        settings.CONFIG_PROBLEMS = self.problems(METRICS_BACKEND="x", STATSD_PORT="abc")
        results = checks.check_metrics(make_context())
        assert [r.level for r in results] == [ERROR, ERROR]
        assert results[0].message.startswith("METRICS_BACKEND='x'")
        assert results[1].message.startswith("STATSD_PORT='abc'")

    def test_statsd_without_host(self, make_context, settings):
        settings.METRICS_BACKEND = "statsd"
        [result] = checks.check_metrics(make_context())
        assert (result.level, result.message, result.hint) == (
            ERROR,
            "METRICS_BACKEND=statsd but STATSD_HOST is not set: metrics go nowhere "
            "(a StatsD agent on this machine, or METRICS_BACKEND=logging)",
            "bin/set_env.sh STATSD_HOST=127.0.0.1",
        )

    def test_host_unused_with_logging(self, make_context, settings):
        settings.STATSD_HOST = "statsd.internal"
        assert checks.check_metrics(make_context()) == [
            CheckResult(
                INFO,
                "STATSD_HOST is set (statsd.internal) but unused: METRICS_BACKEND=logging",
                "bin/set_env.sh METRICS_BACKEND=statsd",
                "config.metrics",
            )
        ]

    def test_django_checks_leave_these_to_config_metrics(self, settings):
        from django.core import checks as django_checks

        problems = self.problems(METRICS_BACKEND="x", STATSD_PORT="abc", DJANGO_DEBUG="maybe")
        settings.CONFIG_PROBLEMS = problems
        covered = [
            checks.covered_by_preflight(
                django_checks.Error(problem.message, id=f"checkers.{problem.code}"), settings
            )
            for problem in problems
        ]
        assert [p.code for p in problems] == [BAD_CHOICE, BAD_NUMBER, "E001"]
        assert covered == [True, True, False]
        assert isinstance(problems[0], ConfigProblem)
