"""Deployment checks with fake `docker` and `systemctl` first on PATH, and real unix sockets."""

import json
import os
import socket
import sys
import tempfile
import time
from pathlib import Path

import pytest

from apps.checkers.preflight import ERROR, OK, CheckResult, NotApplicable, checks

REPO = Path(__file__).resolve().parents[4]

# A fake docker: `info` and `compose ... ps` behave as FAKE_DOCKER_* say; every call is logged.
DOCKER = """#!{python}
import json, os, sys, time
args = sys.argv[1:]
with open(os.environ["FAKE_DOCKER_LOG"], "a") as log:
    log.write(json.dumps(args) + "\\n")
part = "info" if args[:1] == ["info"] else "compose"
behaviour = os.environ.get("FAKE_DOCKER_" + part.upper(), "ok")
if behaviour == "hang":
    time.sleep(30)
if behaviour.startswith("sleep:"):
    time.sleep(float(behaviour.split(":")[1]))
if behaviour == "fail":
    print("Cannot connect to the Docker daemon at unix:///var/run/docker.sock.", file=sys.stderr)
    sys.exit(1)
if behaviour == "denied":
    print("permission denied while trying to connect to the Docker daemon socket", file=sys.stderr)
    sys.exit(1)
if part == "compose":
    print("\\n".join(os.environ.get("FAKE_DOCKER_RUNNING", "").split(",")))
"""

SYSTEMCTL = """#!{python}
import json, os, sys, time
with open(os.environ["FAKE_SYSTEMCTL_LOG"], "a") as log:
    log.write(json.dumps(sys.argv[1:]) + "\\n")
behaviour = os.environ.get("FAKE_SYSTEMCTL", "")
if behaviour == "hang":
    time.sleep(30)
if behaviour == "not-booted":
    print("System has not been booted with systemd as init system (PID 1). Can't operate.", file=sys.stderr)
    sys.exit(1)
if behaviour == "mute":
    sys.exit(4)
states = os.environ.get("FAKE_STATES", "").split(",")
print("\\n".join(states))
sys.exit(0 if all(state == "active" for state in states) else 3)
"""


def calls(log: Path) -> list[list[str]]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


class TestDocker:
    @pytest.fixture(autouse=True)
    def docker_mode(self, settings, project):
        settings.DEPLOY_METHOD = "docker"
        settings.DOCKER_COMPOSE_FILE = project / "docker-compose.yml"
        settings.DOCKER_SERVICES = ["web", "worker"]
        (project / "docker-compose.yml").write_text("services: {}\n")

    @pytest.fixture
    def docker(self, fake_bin, tmp_path):
        fake_bin("docker", DOCKER.format(python=sys.executable))
        fake_bin.log = tmp_path / "docker-calls.jsonl"
        return fake_bin

    def run(self, make_context, docker, timeout=5, **environ):
        context = make_context(
            environ={"PATH": docker.path, "FAKE_DOCKER_LOG": str(docker.log), **environ},
            timeout=timeout,
        )
        return checks.check_docker(context)

    def test_skipped_unless_docker(self, make_context, settings):
        settings.DEPLOY_METHOD = "bare"
        with pytest.raises(NotApplicable, match="DEPLOY_METHOD=bare"):
            checks.check_docker(make_context())

    def test_not_installed(self, make_context, tmp_path):
        [result] = checks.check_docker(make_context(environ={"PATH": str(tmp_path)}))
        assert (result.level, result.message, result.id, result.hint) == (
            ERROR,
            "docker is not installed",
            "deploy.docker",
            "curl -fsSL https://get.docker.com | sh",
        )

    def test_binary_vanishes(self, make_context, docker, monkeypatch):
        def vanished(*args, **kwargs):
            raise FileNotFoundError(2, "No such file or directory")

        monkeypatch.setattr(checks, "run_command", vanished)
        assert self.run(make_context, docker)[0].message == "docker is not installed"

    def test_daemon_down(self, make_context, docker):
        assert self.run(make_context, docker, FAKE_DOCKER_INFO="fail") == [
            CheckResult(
                ERROR,
                "Docker daemon is not answering (docker info exit 1)",
                "sudo systemctl start docker",
                "deploy.docker",
            )
        ]
        assert calls(docker.log) == [["info"]]  # no service is asked about

    def test_daemon_refuses_this_user(self, make_context, docker):
        [result] = self.run(make_context, docker, FAKE_DOCKER_INFO="denied")
        assert (result.level, result.message, result.hint) == (
            ERROR,
            "Docker daemon refused this user (permission denied on its socket): "
            "join the docker group, then log in again",
            'sudo usermod -aG docker "$(id -un)"',
        )

    def test_daemon_hangs(self, make_context, docker):
        started = time.monotonic()
        [result] = self.run(make_context, docker, timeout=1, FAKE_DOCKER_INFO="hang")
        assert (result.level, result.message) == (
            ERROR,
            "docker info did not answer: the Docker daemon may be hung",
        )
        assert result.hint == "sudo systemctl restart docker"
        assert time.monotonic() - started < 1.5

    def test_all_services_running(self, make_context, docker, project):
        results = self.run(make_context, docker, FAKE_DOCKER_RUNNING="worker,web,redis")
        assert results == [
            CheckResult(OK, "Docker: 2 services running (web, worker)", "", "deploy.docker")
        ]
        assert calls(docker.log) == [
            ["info"],
            [
                "compose",
                "-f",
                str(project / "docker-compose.yml"),
                "ps",
                "--services",
                "--filter",
                "status=running",
            ],
        ]

    def test_one_row_per_service_not_running(self, make_context, docker, settings):
        settings.DOCKER_SERVICES = ["web", "worker", "beat"]
        results = self.run(make_context, docker, FAKE_DOCKER_RUNNING="web")
        assert [(r.level, r.message, r.hint) for r in results] == [
            (
                ERROR,
                "Docker service worker is not running",
                "docker compose -f docker-compose.yml up -d worker",
            ),
            (
                ERROR,
                "Docker service beat is not running",
                "docker compose -f docker-compose.yml up -d beat",
            ),
        ]

    def test_nothing_running(self, make_context, docker):
        results = self.run(make_context, docker, FAKE_DOCKER_RUNNING="")
        assert [r.message for r in results] == [
            "Docker service web is not running",
            "Docker service worker is not running",
        ]

    def test_no_services_to_check(self, make_context, docker, settings):
        settings.DOCKER_SERVICES = []
        assert [(r.level, r.message) for r in self.run(make_context, docker)] == [
            (OK, "Docker daemon answers (DOCKER_SERVICES is empty: no service to check)")
        ]
        assert calls(docker.log) == [["info"]]

    def test_compose_file_missing(self, make_context, docker, settings, tmp_path):
        settings.DOCKER_COMPOSE_FILE = tmp_path / "nowhere" / "compose.yml"
        [result] = self.run(make_context, docker)
        assert (result.level, result.message) == (
            ERROR,
            f"Compose file {tmp_path / 'nowhere' / 'compose.yml'} does not exist",
        )
        # The project has one (the docker_mode fixture wrote it): point the setting at it.
        assert result.hint == "bin/set_env.sh DOCKER_COMPOSE_FILE=docker-compose.yml"

    def test_compose_file_missing_and_none_in_the_project(
        self, make_context, docker, settings, project
    ):
        (project / "docker-compose.yml").unlink()
        (project / "compose.yaml").write_text("services: {}\n")
        settings.DOCKER_COMPOSE_FILE = project / "deploy" / "compose.yml"
        [result] = self.run(make_context, docker)
        assert result.hint == "bin/set_env.sh DOCKER_COMPOSE_FILE=compose.yaml"
        (project / "compose.yaml").unlink()
        [result] = self.run(make_context, docker)
        assert result.hint == "find . -maxdepth 2 -name '*compose*.y*ml'"

    def test_compose_fails(self, make_context, docker):
        [result] = self.run(make_context, docker, FAKE_DOCKER_COMPOSE="fail")
        assert result.message == (
            "docker compose ps failed (exit 1): "
            "Cannot connect to the Docker daemon at unix:///var/run/docker.sock."
        )
        assert result.hint == "docker compose version"

    def test_compose_fails_silently(self, make_context, fake_bin, tmp_path):
        fake_bin("docker", "import sys\nsys.exit(0 if sys.argv[1:] == ['info'] else 125)\n")
        context = make_context(environ={"PATH": fake_bin.path})
        [result] = checks.check_docker(context)
        assert result.message == "docker compose ps failed (exit 125): no message"

    def test_both_calls_share_one_budget(self, make_context, docker):
        """The daemon is slow and compose hangs: the check still ends within its timeout."""
        started = time.monotonic()
        [result] = self.run(
            make_context,
            docker,
            timeout=1.5,
            FAKE_DOCKER_INFO="sleep:0.5",
            FAKE_DOCKER_COMPOSE="hang",
        )
        assert (result.level, result.message, result.hint) == (
            ERROR,
            "docker compose ps did not answer",
            "docker compose -f docker-compose.yml ps",
        )
        assert time.monotonic() - started < 1.5
        assert len(calls(docker.log)) == 2

    def test_the_repositorys_compose_file_defines_the_default_services(self):
        import yaml

        compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
        assert {"web", "worker"} <= set(compose["services"])
        sample = (REPO / ".env.sample").read_text().splitlines()
        assert "# DOCKER_COMPOSE_FILE=docker-compose.yml" in sample
        assert "# DOCKER_SERVICES=web,worker" in sample


class TestSystemd:
    UNITS = ["preflight-web.service", "preflight-worker.service", "preflight-beat.service"]

    @pytest.fixture(autouse=True)
    def systemd_mode(self, settings):
        settings.DEPLOY_METHOD = "systemd"
        settings.SYSTEMD_UNITS = list(self.UNITS)

    @pytest.fixture
    def systemctl(self, fake_bin, tmp_path):
        fake_bin("systemctl", SYSTEMCTL.format(python=sys.executable))
        fake_bin.log = tmp_path / "systemctl-calls.jsonl"
        return fake_bin

    def run(self, make_context, systemctl, timeout=5, **environ):
        context = make_context(
            environ={"PATH": systemctl.path, "FAKE_SYSTEMCTL_LOG": str(systemctl.log), **environ},
            timeout=timeout,
        )
        return checks.check_systemd(context)

    @pytest.mark.parametrize("method", ["bare", "docker"])
    def test_skipped_unless_systemd(self, make_context, settings, method):
        settings.DEPLOY_METHOD = method
        with pytest.raises(NotApplicable, match=f"DEPLOY_METHOD={method}"):
            checks.check_systemd(make_context())

    def test_skipped_without_units(self, make_context, settings):
        settings.SYSTEMD_UNITS = []
        with pytest.raises(NotApplicable, match="SYSTEMD_UNITS is empty"):
            checks.check_systemd(make_context())

    def test_not_installed(self, make_context, tmp_path):
        [result] = checks.check_systemd(make_context(environ={"PATH": str(tmp_path)}))
        assert (result.level, result.message, result.id, result.hint) == (
            ERROR,
            "systemctl is not installed",
            "deploy.systemd",
            "bin/set_env.sh DEPLOY_METHOD=bare",
        )

    def test_binary_vanishes(self, make_context, systemctl, monkeypatch):
        def vanished(*args, **kwargs):
            raise FileNotFoundError(2, "No such file or directory")

        monkeypatch.setattr(checks, "run_command", vanished)
        assert self.run(make_context, systemctl)[0].message == "systemctl is not installed"

    def test_one_call_one_row_per_unit(self, make_context, systemctl):
        results = self.run(make_context, systemctl, FAKE_STATES="active,inactive,failed")
        assert results == [
            CheckResult(OK, "systemd unit preflight-web.service is active", "", "deploy.systemd"),
            CheckResult(
                ERROR,
                "systemd unit preflight-worker.service is inactive",
                "sudo systemctl start preflight-worker.service",
                "deploy.systemd",
            ),
            CheckResult(
                ERROR,
                "systemd unit preflight-beat.service is failed",
                "sudo systemctl start preflight-beat.service",
                "deploy.systemd",
            ),
        ]
        assert calls(systemctl.log) == [["is-active", *self.UNITS]]

    def test_all_active(self, make_context, systemctl):
        results = self.run(make_context, systemctl, FAKE_STATES="active,active,active")
        assert [r.level for r in results] == [OK, OK, OK]

    def test_hangs(self, make_context, systemctl):
        started = time.monotonic()
        [result] = self.run(make_context, systemctl, timeout=1, FAKE_SYSTEMCTL="hang")
        assert (result.level, result.message, result.hint) == (
            ERROR,
            "systemctl is-active did not answer within 1s",
            "systemctl status --no-pager " + " ".join(self.UNITS),
        )
        assert time.monotonic() - started < 1.5

    def test_not_booted_with_systemd(self, make_context, systemctl):
        [result] = self.run(make_context, systemctl, FAKE_SYSTEMCTL="not-booted")
        assert result.message == (
            "systemctl is-active failed (exit 1): System has not been booted with systemd "
            "as init system (PID 1). Can't operate."
        )
        assert result.hint == "bin/set_env.sh DEPLOY_METHOD=bare"  # no systemd here

    def test_fails_without_a_word(self, make_context, systemctl):
        [result] = self.run(make_context, systemctl, FAKE_SYSTEMCTL="mute")
        assert result.message == "systemctl is-active failed (exit 4): no answer"
        assert result.hint == "systemctl status --no-pager " + " ".join(self.UNITS)


class TestGunicornSocket:
    @pytest.fixture(autouse=True)
    def systemd_mode(self, settings):
        settings.DEPLOY_METHOD = "systemd"
        settings.SYSTEMD_UNITS = ["preflight-web.service"]

    @pytest.fixture
    def short_dir(self):
        """Unix socket paths must be short (about 100 bytes): not under pytest's tmp_path."""
        with tempfile.TemporaryDirectory(prefix="pf-") as directory:
            yield Path(directory)

    def test_skipped_unless_systemd(self, make_context, settings):
        settings.DEPLOY_METHOD = "docker"
        with pytest.raises(NotApplicable, match="DEPLOY_METHOD=docker"):
            checks.check_gunicorn_socket(make_context())

    def test_missing(self, make_context, settings, short_dir):
        settings.GUNICORN_SOCKET = str(short_dir / "gunicorn.sock")
        assert checks.check_gunicorn_socket(make_context()) == [
            CheckResult(
                ERROR,
                f"Gunicorn socket {short_dir / 'gunicorn.sock'} does not exist",
                # deploy.systemd says when the unit is down; its --bind says where it listens.
                "systemctl cat preflight-web.service",
                "deploy.gunicorn_socket",
            )
        ]

    def test_missing_without_units(self, make_context, settings, short_dir):
        settings.SYSTEMD_UNITS = []
        settings.GUNICORN_SOCKET = str(short_dir / "gunicorn.sock")
        [result] = checks.check_gunicorn_socket(make_context())
        assert result.hint == f"namei -l {short_dir / 'gunicorn.sock'}"

    def test_a_regular_file_is_not_a_socket(self, make_context, settings, short_dir):
        path = short_dir / "gunicorn.sock"
        path.write_text("")
        settings.GUNICORN_SOCKET = str(path)
        [result] = checks.check_gunicorn_socket(make_context())
        assert (result.level, result.message) == (
            ERROR,
            f"Gunicorn socket {path} exists but is not a socket",
        )
        assert result.hint == "systemctl cat preflight-web.service"

    def test_a_real_socket(self, make_context, settings, short_dir):
        path = short_dir / "gunicorn.sock"
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            server.bind(str(path))
            server.listen(1)
            settings.GUNICORN_SOCKET = str(path)
            assert checks.check_gunicorn_socket(make_context()) == [
                CheckResult(OK, f"Gunicorn socket {path} exists", "", "deploy.gunicorn_socket")
            ]
        finally:
            server.close()

    def test_cannot_be_checked(self, make_context, settings, short_dir, monkeypatch):
        settings.GUNICORN_SOCKET = str(short_dir / "private" / "gunicorn.sock")
        context = make_context()

        def denied(path, *args, **kwargs):
            raise PermissionError(13, "Permission denied")

        with monkeypatch.context() as patch:
            patch.setattr(os, "stat", denied)
            [result] = checks.check_gunicorn_socket(context)
        assert result.message == (
            f"Gunicorn socket {short_dir / 'private' / 'gunicorn.sock'} cannot be checked "
            "(Permission denied)"
        )
        assert result.hint == f"namei -l {short_dir / 'private' / 'gunicorn.sock'}"


def test_run_command_takes_a_budget(make_context, fake_bin):
    import subprocess

    fake_bin("slow", "import time; time.sleep(30)\n")
    context = make_context(environ={"PATH": fake_bin.path}, timeout=30)
    started = time.monotonic()
    with pytest.raises(subprocess.TimeoutExpired):
        checks.run_command(["slow"], context, timeout=0.3)
    assert time.monotonic() - started < 2


def test_first_line_skips_blanks_and_shortens():
    assert checks.first_line("\n  \n  docker: boom  \nmore\n") == "docker: boom"
    assert checks.first_line("") == ""
    long = checks.first_line("x" * 500)
    assert len(long) == 160 and long.endswith("…")
