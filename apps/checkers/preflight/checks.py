"""Every preflight check, flat, in inventory order (DESIGN.md section 4).

A check takes the run's Context and returns a list of CheckResult; it raises NotApplicable
when it does not apply. `@check` stamps its id on every result and puts it in INVENTORY, so
adding a check is adding one function here, in its place.
"""

from __future__ import annotations

import ast
import functools
import ipaddress
import itertools
import os
import re
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

from . import CheckResult, NotApplicable, dashboard, error, info, ok, warn

INVENTORY = []

GIB = 1024**3
MIB = 1024**2
SUBPROCESS_TIMEOUT_MARGIN = 0.5  # seconds left to the runner after a subprocess times out


def check(check_id: str):
    def register(function):
        @functools.wraps(function)
        def stamped(context) -> list[CheckResult]:
            return [replace(result, id=check_id) for result in function(context)]

        stamped.check_id = check_id
        INVENTORY.append(stamped)
        return stamped

    return register


def run_command(
    args: list[str], context, timeout: float | None = None
) -> subprocess.CompletedProcess:
    """Run an external command, bounded, with no stdin and no pager. `timeout` defaults to the
    check's whole budget; a check that makes several calls passes what is left of it.

    The command gets a session of its own so that, on timeout, its children die with it: a
    wrapper script's child holding the output pipe open would otherwise block us forever."""
    if timeout is None:
        timeout = max(0.5, context.timeout - SUBPROCESS_TIMEOUT_MARGIN)
    with subprocess.Popen(
        args,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
        env={**context.environ, "PAGER": "cat", "SYSTEMD_PAGER": "", "LC_ALL": "C"},
        start_new_session=True,
    ) as process:
        try:
            stdout, stderr = process.communicate(timeout=max(0.1, timeout))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise
    return subprocess.CompletedProcess(args, process.returncode, stdout, stderr)


def dev_warn_prod_error(context, message: str, hint: str = "") -> CheckResult:
    return (error if context.is_prod else warn)(message, hint)


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def first_line(text: str, limit: int = 160) -> str:
    """The first non-blank line of a command's output, shortened."""
    for line in text.splitlines():
        if line.strip():
            line = line.strip()
            return line if len(line) <= limit else line[: limit - 1] + "…"
    return ""


def os_reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


# Environment ------------------------------------------------------------------------------


@check("env.python")
def check_python(context):
    major, minor = context.python_version
    version = f"Python {major}.{minor}"
    if (major, minor) < (3, 10):
        return [error(f"{version} (need >= 3.10)", "Run via: uv run python manage.py preflight")]
    if context.prefix == context.base_prefix:
        return [
            warn(
                f"{version}: running outside a virtualenv",
                "Run via: uv run python manage.py preflight",
            )
        ]
    project_venv = (context.base_dir / ".venv").resolve()
    if Path(context.prefix).resolve() != project_venv:
        return [
            warn(
                f"{version}: not using the project .venv ({context.prefix})",
                "Activate the project venv or run via: uv run python manage.py preflight",
            )
        ]
    return [ok(f"{version} (.venv)")]


@check("env.uv")
def check_uv(context):
    hint = "Install it: pip install uv"
    path = shutil.which("uv", path=context.environ.get("PATH"))
    if path is None:
        return [warn("uv is not installed", hint)]
    try:
        completed = run_command([path, "--version"], context)
    except subprocess.TimeoutExpired:
        return [warn(f"uv at {path} did not answer `uv --version`", hint)]
    version = completed.stdout.strip()
    if completed.returncode != 0 or not version:
        return [warn(f"uv at {path} failed `uv --version` (exit {completed.returncode})", hint)]
    return [ok(f"{version} installed")]


@check("env.venv")
def check_venv(context):
    if (context.base_dir / ".venv").is_dir():
        return [ok(".venv directory exists")]
    return [warn(".venv directory is missing", "Create it: uv sync")]


@check("env.dotenv")
def check_dotenv(context):
    env_file = context.env_file
    hint = "cp .env.sample .env"
    if not env_file.exists:
        return [dev_warn_prod_error(context, ".env file is missing", hint)]
    if env_file.error:
        return [dev_warn_prod_error(context, f".env {env_file.error}; none of it was loaded")]
    results = []
    if env_file.has_bom:
        results.append(
            warn(".env starts with a UTF-8 byte-order mark", "Save .env as UTF-8 without BOM")
        )
    if env_file.has_crlf:
        results.append(
            warn(".env has Windows (CRLF) line endings", "Convert it: sed -i 's/\\r$//' .env")
        )
    if env_file.bad_lines:
        lines = ", ".join(str(number) for number in env_file.bad_lines)
        if len(env_file.bad_lines) == 1:
            message = f".env line {lines} could not be parsed and was ignored"
        else:
            message = f".env lines {lines} could not be parsed and were ignored"
        results.append(warn(message, "Each line must be KEY=value (see .env.sample)"))
    return results or [ok(".env file found")]


@check("env.project_writable")
def check_project_writable(context):
    try:
        with tempfile.NamedTemporaryFile(dir=context.base_dir, prefix=".preflight-"):
            pass
    except OSError as exc:
        return [error(f"Project directory is not writable ({exc.strerror or type(exc).__name__})")]
    return [ok("Project directory writable")]


@check("env.disk")
def check_disk(context):
    free = shutil.disk_usage(context.base_dir).free
    message = (
        f"Disk: {free / GIB:.1f} GiB free" if free >= GIB else f"Disk: {free / MIB:.0f} MiB free"
    )
    if free < 100 * MIB:
        return [error(message, "Free space: at least 1 GiB is needed")]
    if free < GIB:
        return [warn(message, "Free space: at least 1 GiB is recommended")]
    return [ok(message)]


# Database ---------------------------------------------------------------------------------


def migrate_command(alias: str) -> str:
    command = "uv run python manage.py migrate"
    return command if alias == "default" else f"{command} --database {alias}"


def database_label(context, alias: str) -> str:
    return "Database" if len(context.settings.DATABASES) == 1 else f"Database {alias}"


@check("db.connection")
def check_db_connection(context):
    results = []
    for alias in context.settings.DATABASES:
        state = context.database(alias)
        label = database_label(context, alias)
        if state.connected:
            results.append(ok(f"{label} connection works ({state.description})"))
        else:
            results.append(
                error(f"{label} connection failed: {state.failure} ({state.description})")
            )
    return results


@check("db.migrations")
def check_db_migrations(context):
    results = []
    unreachable = []
    for alias in context.settings.DATABASES:
        state = context.database(alias)
        label = database_label(context, alias)
        if not state.connected:
            unreachable.append(alias)
        elif state.migrations_failure:
            results.append(
                error(f"{label}: pending migrations unknown: {state.migrations_failure}")
            )
        elif state.pending:
            names = ", ".join(state.pending[:5])
            more = f" (+{len(state.pending) - 5} more)" if len(state.pending) > 5 else ""
            results.append(
                dev_warn_prod_error(
                    context,
                    f"{label}: {plural(len(state.pending), 'pending migration')}: {names}{more}",
                    migrate_command(alias),
                )
            )
        else:
            results.append(ok(f"{label}: no pending migrations"))
    if not results:
        raise NotApplicable(f"database {', '.join(unreachable)} unreachable")
    return results


# Security ---------------------------------------------------------------------------------


@check("security.debug")
def check_debug(context):
    debug = context.settings.DEBUG
    if debug and context.is_prod:
        return [error("DEBUG is on in production", "Set DJANGO_DEBUG=0 in .env")]
    return [ok(f"DEBUG mode appropriate for {context.env_name} (DEBUG={'on' if debug else 'off'})")]


@check("security.secret_key")
def check_secret_key(context):
    from django.core.exceptions import ImproperlyConfigured

    hint = (
        'uv run python -c "from django.core.management.utils import get_random_secret_key as k; '
        'print(\\"DJANGO_SECRET_KEY=\'\\" + k() + \\"\'\\")" >> .env'
    )
    try:
        key = context.settings.SECRET_KEY
    except ImproperlyConfigured:
        key = ""
    if not key:
        return [error("SECRET_KEY is not set (DJANGO_SECRET_KEY)", hint)]
    problems = []
    if len(key) < 50:
        problems.append(f"{len(key)} chars, need >= 50")
    if len(set(key)) < 5:
        problems.append("fewer than 5 distinct characters")
    if key.startswith("django-insecure-"):
        problems.append("the django-insecure- development key")
    if problems:
        return [dev_warn_prod_error(context, f"SECRET_KEY is weak: {'; '.join(problems)}", hint)]
    return [ok(f"SECRET_KEY is {len(key)} chars")]


@check("security.allowed_hosts")
def check_allowed_hosts(context):
    hosts = list(context.settings.ALLOWED_HOSTS)
    shown = ", ".join(repr(host) for host in hosts)
    if not context.is_prod:
        return [ok(f"ALLOWED_HOSTS: {shown or 'none'} ({context.env_name})")]
    hint = "Set DJANGO_ALLOWED_HOSTS=example.com,www.example.com in .env"
    if not hosts:
        return [error("ALLOWED_HOSTS is empty in production", hint)]
    results = []
    if "*" in hosts:
        results.append(warn("ALLOWED_HOSTS contains '*': any Host header is accepted", hint))
    if "" in hosts:
        results.append(warn("ALLOWED_HOSTS has an empty entry", hint))
    padded = [repr(host) for host in hosts if host and host != host.strip()]
    if padded:
        results.append(warn(f"ALLOWED_HOSTS has entries with spaces: {', '.join(padded)}", hint))
    return results or [ok(f"ALLOWED_HOSTS: {shown}")]


@check("security.env_permissions")
def check_env_permissions(context):
    path = context.base_dir / ".env"
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise NotApplicable("no .env file") from None
    if mode & 0o066:
        return [
            dev_warn_prod_error(
                context,
                f".env is readable or writable by others (mode {mode & 0o777:o})",
                "chmod 600 .env",
            )
        ]
    return [ok(f".env is private (mode {mode & 0o777:o})")]


# Config consistency -----------------------------------------------------------------------

# A commented-out assignment in .env.sample (`# KEY=value`) documents an optional variable.
COMMENTED_KEY = re.compile(r"^\s*#\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=")
# Variables of the process, set by the OS, the login or manage.py/wsgi.py: not configuration.
PROCESS_VARIABLES = frozenset({"DJANGO_SETTINGS_MODULE", "HOME", "PATH", "SHELL"})
SOURCE_DIRS = ("config", "apps")
SKIPPED_SOURCE_DIRS = frozenset({"_tests", "migrations", "__pycache__"})
# Text that every read env_name_read knows contains: files without it are not parsed.
ENV_READ_MARKER = re.compile(rb"environ|getenv|\benv\.\w+\(")


def sample_keys(context) -> set[str] | None:
    """Every key .env.sample documents, set or commented out; None when it cannot be read."""
    sample = context.sample_file
    if not sample.exists or sample.error:
        return None
    keys = set(sample.values)
    try:
        text = sample.path.read_text(encoding="utf-8-sig", errors="replace")
    except OSError:  # removed or made unreadable since it was parsed: the parsed keys stand
        return keys
    for line in text.splitlines():
        match = COMMENTED_KEY.match(line)
        if match:
            keys.add(match.group(1))
    return keys


@check("config.env_drift")
def check_env_drift(context):
    env_file = context.env_file
    if not env_file.exists:
        raise NotApplicable("no .env file (env.dotenv reports it)")
    if env_file.error:
        raise NotApplicable(f".env {env_file.error} (env.dotenv reports it)")
    sample = context.sample_file
    if not sample.exists:
        return [
            warn(
                ".env.sample is missing: .env cannot be checked against it",
                "Restore it: git checkout -- .env.sample",
            )
        ]
    if sample.error:
        return [warn(f".env.sample {sample.error}: .env cannot be checked against it")]
    documented = sample_keys(context)
    present = set(env_file.values)
    results = []
    missing = sorted(set(sample.values) - present)
    if missing:
        results.append(
            warn(
                f".env is missing keys from .env.sample: {', '.join(missing)}",
                "Copy those lines from .env.sample into .env (their defaults are there)",
            )
        )
    extra = sorted(present - documented)
    if extra:
        results.append(
            warn(
                f".env has keys not in .env.sample: {', '.join(extra)}",
                "Document them in .env.sample (a commented `# KEY=` line will do), "
                "or remove them from .env",
            )
        )
    return results or [ok(f".env matches .env.sample ({plural(len(present), 'key')})")]


def env_name_read(node: ast.AST) -> str | None:
    """The variable name when `node` reads the environment with a literal name:
    os.environ["X"], os.environ.get("X"), os.getenv("X"), environ.get("X"), env.<any>("X")."""

    def is_environ(value: ast.AST) -> bool:
        if isinstance(value, ast.Name):
            return value.id == "environ"
        return (
            isinstance(value, ast.Attribute)
            and value.attr == "environ"
            and isinstance(value.value, ast.Name)
            and value.value.id == "os"
        )

    if isinstance(node, ast.Subscript) and is_environ(node.value):
        key = node.slice
    elif isinstance(node, ast.Call) and node.args and isinstance(node.func, ast.Attribute):
        func = node.func
        owner = func.value
        owner_name = owner.id if isinstance(owner, ast.Name) else ""
        reads = (
            (func.attr in ("get", "setdefault") and is_environ(owner))
            or (func.attr == "getenv" and owner_name == "os")
            or owner_name == "env"  # the config.env.Env helper: env.bool("X", ...), env.str(...)
        )
        if not reads:
            return None
        key = node.args[0]
    else:
        return None
    if isinstance(key, ast.Constant) and isinstance(key.value, str):
        return key.value
    return None


def python_sources(base_dir: Path):
    """The project's own Python files under config/ and apps/, without tests and migrations."""
    for top in SOURCE_DIRS:
        for directory, subdirs, files in os.walk(base_dir / top):
            subdirs[:] = sorted(
                name
                for name in subdirs
                if name not in SKIPPED_SOURCE_DIRS and not name.startswith(".")
            )
            for name in sorted(files):
                if name.endswith(".py"):
                    yield Path(directory) / name


def env_reads(base_dir: Path) -> dict[str, str]:
    """Environment variable -> the first file (relative to base_dir) that reads it."""
    found: dict[str, str] = {}
    for path in python_sources(base_dir):
        try:
            source = path.read_bytes()
            if not ENV_READ_MARKER.search(source):
                continue
            tree = ast.parse(source, filename=str(path))
        except (OSError, SyntaxError, ValueError):  # unreadable or not Python: not ours to judge
            continue
        for node in ast.walk(tree):
            name = env_name_read(node)
            if name and name not in PROCESS_VARIABLES:
                found.setdefault(name, str(path.relative_to(base_dir)))
    return found


@check("config.settings_refs")
def check_settings_refs(context):
    documented = sample_keys(context)
    if documented is None:
        raise NotApplicable("no readable .env.sample (config.env_drift reports it)")
    reads = env_reads(context.base_dir)
    undocumented = sorted(set(reads) - documented)
    if undocumented:
        listed = ", ".join(f"{name} ({reads[name]})" for name in undocumented)
        return [
            warn(
                f"The code reads variables that .env.sample does not document: {listed}",
                "Document each in .env.sample (a commented `# KEY=` line will do)",
            )
        ]
    return [
        ok(
            f"Every variable the code reads is documented in .env.sample "
            f"({plural(len(reads), 'variable')})"
        )
    ]


LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})


def names_this_instance(host: str, settings) -> bool:
    """Whether a host name means this very machine: loopback, this host's name, or one of the
    names this site serves (ALLOWED_HOSTS, exact entries). No DNS lookup is made."""
    host = host.lower().rstrip(".")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None and (address.is_loopback or address.is_unspecified):
        return True
    own = set(LOOPBACK_NAMES)
    own.add(socket.gethostname().lower().rstrip("."))
    own.update(
        entry.strip().lower().rstrip(".")
        for entry in settings.ALLOWED_HOSTS
        if entry.strip() and entry.strip() != "*" and not entry.strip().startswith(".")
    )
    return host in own


def hub_url_problem(settings) -> str:
    """Why HUB_URL cannot be this agent's hub, or "" when it can."""
    try:
        parts = urlsplit(settings.HUB_URL)
        scheme, host, _port = parts.scheme.lower(), parts.hostname or "", parts.port
    except ValueError:  # a bracketed host that is not an address, a port that is no number
        return "HUB_URL is not a valid URL (bad host or port)"
    if scheme not in ("http", "https") or not host:
        return f"HUB_URL is not an http(s) URL with a host (scheme: {scheme or 'none'})"
    if names_this_instance(host, settings):
        return f"HUB_URL points at this instance ({host}): an agent cannot be its own hub"
    return ""


@check("config.cluster")
def check_cluster(context):
    settings = context.settings
    role = dashboard.role(settings)
    results = []
    if settings.HUB_URL:
        problem = hub_url_problem(settings)
        if problem:
            results.append(
                error(
                    problem,
                    "Set HUB_URL in .env to the hub's address, e.g. HUB_URL=https://hub.example.com",
                )
            )
        if not settings.HUB_API_KEY:
            results.append(
                warn(
                    "Agent without HUB_API_KEY: the hub will refuse its reports",
                    "Set HUB_API_KEY in .env to the hub's CLUSTER_API_KEY",
                )
            )
        if not settings.INSTANCE_ID:
            results.append(
                warn(
                    "Agent without INSTANCE_ID: the hub cannot tell this instance from others",
                    "Set INSTANCE_ID in .env to a name unique in the cluster (INSTANCE_ID=web-1)",
                )
            )
    if settings.CLUSTER_ENABLED and not settings.CLUSTER_API_KEY:
        results.append(
            dev_warn_prod_error(
                context,
                "Hub without CLUSTER_API_KEY: any agent can report to it",
                'uv run python -c "import secrets; '
                "print('CLUSTER_API_KEY=' + secrets.token_urlsafe(32))\" >> .env",
            )
        )
    return results or [ok(f"Cluster: {role} (no conflicts)")]


@check("config.celery_eager")
def check_celery_eager(context):
    eager = context.settings.CELERY_TASK_ALWAYS_EAGER
    if eager and context.is_prod:
        return [
            warn(
                "Celery runs tasks eagerly in production: they would run inside web requests",
                "Set CELERY_TASK_ALWAYS_EAGER=0 in .env and run a worker",
            )
        ]
    mode = "eager: tasks run inline" if eager else "async: tasks go to the broker"
    return [ok(f"Celery mode appropriate for {context.env_name} ({mode})")]


def broker_location(parts) -> str:
    """scheme://host:port/path of a broker URL, without user or password."""
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def exception_chain(exc: BaseException) -> list[BaseException]:
    chain = []
    while exc is not None and exc not in chain:
        chain.append(exc)
        exc = exc.__cause__ or exc.__context__
    return chain


def classify_broker_failure(exc: BaseException) -> str:
    """A short reason for a broker failure, from the exception types (and a few protocol words);
    never the client's raw text, which may hold the URL."""
    chain = exception_chain(exc)
    names = {klass.__name__ for item in chain for klass in type(item).__mro__}
    text = " ".join(str(item) for item in chain).lower()
    if names & {"AuthenticationError", "AccessRefused"} or any(
        word in text for word in ("noauth", "wrongpass", "access_refused", "authentication")
    ):
        return "authentication failed"
    if "TimeoutError" in names or "timed out" in text or "timeout" in text:
        return "timed out"
    if names & {"ConnectionError", "OSError", "OperationalError"}:
        return "unreachable"
    return f"failed ({type(exc).__name__})"


class UnsupportedBroker(Exception):
    """The broker URL's scheme has no transport here; the message says why."""


def ping_broker(url: str, scheme: str, seconds: float) -> None:
    """Raise unless the broker answers within about 2 x `seconds` (connect, then reply)."""
    if scheme in ("redis", "rediss"):
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        client = redis.Redis.from_url(
            url,
            socket_connect_timeout=seconds,
            socket_timeout=seconds,
            retry=Retry(NoBackoff(), 0),  # one attempt: a retry would double the wait
        )
        try:
            client.ping()
        finally:
            client.close()
        return
    from kombu import Connection

    try:
        connection = Connection(
            url,
            connect_timeout=seconds,
            transport_options={"read_timeout": seconds, "write_timeout": seconds},
        )
    except KeyError:  # kombu: "No such transport"
        raise UnsupportedBroker("is not supported") from None
    except ImportError:
        raise UnsupportedBroker("needs a client library that is not installed") from None
    try:
        connection.ensure_connection(
            max_retries=1, interval_start=0, interval_step=0, timeout=seconds
        )
    finally:
        connection.release()


@check("config.celery_broker")
def check_celery_broker(context):
    if context.settings.CELERY_TASK_ALWAYS_EAGER:
        raise NotApplicable("eager: tasks run inline")
    url = context.settings.CELERY_BROKER_URL or ""
    hint = "Start the broker, or fix CELERY_BROKER_URL in .env"
    if not context.is_prod:
        hint += " (in dev, CELERY_TASK_ALWAYS_EAGER=on runs tasks inline)"
    if not url.strip():
        return [error("CELERY_BROKER_URL is empty: Celery has no broker", hint)]
    try:
        parts = urlsplit(url)
        location = broker_location(parts)
    except ValueError:
        return [error("CELERY_BROKER_URL is not a valid URL (bad host or port)", hint)]
    scheme = parts.scheme.lower()
    seconds = max(0.25, (context.timeout - SUBPROCESS_TIMEOUT_MARGIN) / 2)
    try:
        ping_broker(url, scheme, seconds)
    except UnsupportedBroker as exc:
        return [error(f"Celery broker scheme {scheme or 'none'!r} {exc}", hint)]
    except Exception as exc:
        return [error(f"Celery broker {classify_broker_failure(exc)} ({location})", hint)]
    return [ok(f"Celery broker answers ({location})")]


METRICS_VARIABLES = ("METRICS_BACKEND", "STATSD_PORT")
METRICS_BACKENDS = ("logging", "statsd")


@check("config.metrics")
def check_metrics(context):
    settings = context.settings
    # Bad values fell back to their defaults in settings; django.checks leaves them to us.
    recorded = {
        problem.variable: problem
        for problem in settings.CONFIG_PROBLEMS
        if problem.variable in METRICS_VARIABLES
    }
    results = []
    backend = settings.METRICS_BACKEND
    if "METRICS_BACKEND" in recorded:
        results.append(
            error(
                f"{recorded['METRICS_BACKEND'].message} (metrics would silently go to the log)",
                "Set METRICS_BACKEND=logging or METRICS_BACKEND=statsd in .env",
            )
        )
    elif backend not in METRICS_BACKENDS:
        results.append(
            error(
                f"METRICS_BACKEND={backend!r} is not one of {', '.join(METRICS_BACKENDS)}",
                "Set METRICS_BACKEND=logging or METRICS_BACKEND=statsd in .env",
            )
        )
    port_hint = "Set STATSD_PORT in .env to a port from 1 to 65535 (StatsD's is 8125)"
    if "STATSD_PORT" in recorded:
        results.append(error(recorded["STATSD_PORT"].message, port_hint))
    elif not (isinstance(settings.STATSD_PORT, int) and 1 <= settings.STATSD_PORT <= 65535):
        results.append(
            error(f"STATSD_PORT={settings.STATSD_PORT!r} is not a valid port", port_hint)
        )
    if results:
        return results
    host = settings.STATSD_HOST
    if backend == "statsd" and not host:
        return [
            error(
                "METRICS_BACKEND=statsd but STATSD_HOST is not set: metrics go nowhere",
                "Set STATSD_HOST in .env (e.g. STATSD_HOST=127.0.0.1), or METRICS_BACKEND=logging",
            )
        ]
    if backend == "logging" and host:
        return [
            info(
                f"STATSD_HOST is set ({host}) but unused: METRICS_BACKEND=logging",
                "Set METRICS_BACKEND=statsd in .env to send metrics there",
            )
        ]
    if backend == "statsd":
        target = f"{host}:{settings.STATSD_PORT}"
        return [ok(f"Metrics: statsd to {target} (prefix {settings.STATSD_PREFIX})")]
    return [ok("Metrics: logging")]


# Pipeline state ---------------------------------------------------------------------------


@check("pipeline.channels")
def check_channels(context):
    from apps.notify.models import NotificationChannel

    context.require_pipeline_tables()
    active = NotificationChannel.objects.filter(is_active=True).count()
    if not active:
        return [
            warn(
                "No active notification channel: pipeline notifications go nowhere",
                "Add one at /admin/notify/notificationchannel/add/ "
                "(uv run python manage.py runserver)",
            )
        ]
    return [ok(f"{plural(active, 'active notification channel')}")]


@check("pipeline.definitions")
def check_definitions(context):
    from django.db.models import Q

    from apps.orchestration.models import PipelineDefinition

    context.require_pipeline_tables()
    active = PipelineDefinition.objects.filter(is_active=True)
    total = active.count()
    if not total:
        return [info("No active pipeline definitions")]
    nowhere = list(
        active.filter(Q(channel__isnull=True) | Q(channel__is_active=False))
        .order_by("priority", "name")
        .values_list("name", flat=True)
    )
    if nowhere:
        return [
            warn(
                f"{plural(len(nowhere), 'active pipeline definition')} "
                f"{'routes' if len(nowhere) == 1 else 'route'} nowhere "
                f"(no channel or an inactive one): {', '.join(nowhere)}",
                "Give each an active channel at /admin/orchestration/pipelinedefinition/ "
                "(uv run python manage.py runserver)",
            )
        ]
    return [ok(f"{plural(total, 'active pipeline definition')}, all routed to active channels")]


@check("pipeline.intelligence")
def check_intelligence(context):
    from apps.intelligence.models import IntelligenceProvider

    context.require_pipeline_tables()
    provider = IntelligenceProvider.objects.filter(is_active=True).first()
    fallback = context.settings.INTELLIGENCE_FALLBACK_ENABLED
    if provider and fallback:
        return [ok(f"Intelligence: {provider} with local fallback")]
    if provider:
        return [
            warn(
                f"Intelligence: {provider} without fallback: an AI outage fails the pipeline",
                "Set INTELLIGENCE_FALLBACK_ENABLED=on in .env",
            )
        ]
    if fallback:
        return [info("Intelligence: no active provider, local rules only")]
    return [
        error(
            "Intelligence: no active provider and fallback off: nothing can analyse",
            "Set INTELLIGENCE_FALLBACK_ENABLED=on in .env, or activate a provider at "
            "/admin/intelligence/intelligenceprovider/",
        )
    ]


# Installation state -----------------------------------------------------------------------


def shell_rc(environ) -> Path | None:
    """The rc file of the user's login shell: ~/.zshrc for zsh, else ~/.bashrc."""
    home = environ.get("HOME")
    if not home:
        return None
    name = ".zshrc" if environ.get("SHELL", "").endswith("zsh") else ".bashrc"
    return Path(home) / name


def same_file(a: str, b: Path) -> bool:
    return os.path.realpath(a) == os.path.realpath(b)


def sources_file(line: str, target: Path, home: str) -> bool:
    """Whether a shell line (not a comment) runs `source FILE` or `. FILE` for target."""
    try:
        words = shlex.split(line, comments=True)
    except ValueError:  # unbalanced quotes: not a line that sources anything
        return False
    for command, argument in itertools.pairwise(words):
        if command in ("source", "."):
            for prefix in ("~/", "$HOME/", "${HOME}/"):
                if argument.startswith(prefix):
                    argument = os.path.join(home, argument[len(prefix) :])
            if same_file(argument, target):
                return True
    return False


@check("install.aliases")
def check_aliases(context):
    if context.is_prod:
        raise NotApplicable("dev only")
    rc = shell_rc(context.environ)
    if rc is None:
        raise NotApplicable("HOME is not set")
    home = context.environ["HOME"]
    shown = f"~/{rc.name}"
    hint = "bin/install.sh aliases"
    aliases = context.base_dir / "bin" / "aliases.sh"
    try:
        text = rc.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return [warn(f"Shell aliases not installed ({shown} does not exist)", hint)]
    except OSError as exc:
        return [warn(f"Shell aliases unknown: {shown} cannot be read ({os_reason(exc)})", hint)]
    if any(sources_file(line, aliases, home) for line in text.splitlines()):
        return [ok(f"Shell aliases installed ({shown} sources bin/aliases.sh)")]
    return [warn(f"Shell aliases not installed ({shown} does not source bin/aliases.sh)", hint)]


# What `pre-commit install` writes into the hooks it generates (pre-commit's own test).
PRECOMMIT_MARKERS = (
    "File generated by pre-commit",
    "138fd403232d2ddd5efb44317e38bf03",
    "4d9958c90bc262f47553e2c073f14cfe",
    "d8ee923c46731b42cd95cc869add4062",
    "49fd668cb42069aa1b6048464be5d395",
    "79f09a650522a87b0da915d0d983b2de",
    "e358c9dae00eac5d06b38dfdb1e33a8c",
)


def git_hooks_dir(base_dir: Path) -> Path | None:
    """The hooks directory of the checkout at base_dir (a worktree's `.git` file is followed)."""
    git = base_dir / ".git"
    if git.is_dir():
        return git / "hooks"
    try:
        text = git.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return None
    if not text.startswith("gitdir:"):
        return None
    git_dir = base_dir / text.removeprefix("gitdir:").strip()
    common = git_dir / "commondir"
    if common.is_file():
        git_dir = git_dir / common.read_text(encoding="utf-8").strip()
    return git_dir / "hooks"


@check("install.precommit")
def check_precommit(context):
    if context.is_prod:
        raise NotApplicable("dev only")
    hooks = git_hooks_dir(context.base_dir)
    if hooks is None:
        raise NotApplicable("not a git checkout")
    hook = hooks / "pre-commit"
    hint = "uv run pre-commit install"
    try:
        text = hook.read_text(encoding="utf-8", errors="replace")
        mode = hook.stat().st_mode
    except FileNotFoundError:
        return [warn("Pre-commit hooks not installed", hint)]
    except OSError as exc:
        return [warn(f"Pre-commit hook cannot be read ({os_reason(exc)})", hint)]
    if not any(marker in text for marker in PRECOMMIT_MARKERS):
        return [warn("The git pre-commit hook was not installed by pre-commit", hint)]
    if not mode & stat.S_IXUSR:
        return [warn("The pre-commit hook is not executable: git skips it", hint)]
    return [ok("Pre-commit hooks installed")]


def mentions_path(line: str, paths: set[str]) -> bool:
    """Whether a line names one of these paths as a whole (not /srv/app-old for /srv/app)."""
    return any(re.search(rf"(?<![\w./-]){re.escape(path)}(?![\w.-])", line) for path in paths)


CRON_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\s*=")
NO_CRON_HINT = "Install cron (e.g. sudo apt-get install cron), then: bin/install.sh cron"


def crontab_runs_project(table: str, base_dir: Path) -> bool:
    paths = {str(base_dir), str(base_dir.resolve())}
    for line in table.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or CRON_ASSIGNMENT.match(stripped):
            continue
        if mentions_path(stripped, paths):
            return True
    return False


@check("install.cron")
def check_cron(context):
    if not context.is_prod:
        raise NotApplicable("prod only")
    hint = "bin/install.sh cron"
    crontab = shutil.which("crontab", path=context.environ.get("PATH"))
    if crontab is None:
        return [warn("crontab is not installed: preflight cannot run from cron", NO_CRON_HINT)]
    try:
        completed = run_command([crontab, "-l"], context)
    except FileNotFoundError:
        return [warn("crontab is not installed: preflight cannot run from cron", NO_CRON_HINT)]
    except subprocess.TimeoutExpired:
        return [warn(f"crontab -l did not answer within {context.timeout:g}s", hint)]
    if completed.returncode != 0:
        if "no crontab" in completed.stderr.lower():
            return [warn("No crontab for this user: preflight does not run from cron", hint)]
        return [
            warn(
                f"crontab -l failed (exit {completed.returncode}): "
                f"{first_line(completed.stderr) or 'no message'}",
                hint,
            )
        ]
    if crontab_runs_project(completed.stdout, context.base_dir):
        return [ok("Cron runs this project (crontab -l)")]
    return [warn("Cron does not run this project: no crontab line names its directory", hint)]


@check("install.logs_dir")
def check_logs_dir(context):
    logs = Path(context.settings.LOGS_DIR)
    shown = dashboard.display_path(logs, context.base_dir)
    hint = "Set LOGS_DIR in .env to a writable directory"
    created = not logs.exists()
    try:
        logs.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        return [error(f"Logs directory {shown} is not a directory", hint)]
    except OSError as exc:
        return [error(f"Logs directory {shown} cannot be created ({os_reason(exc)})", hint)]
    try:
        with tempfile.NamedTemporaryFile(dir=logs, prefix=".preflight-"):
            pass
    except OSError as exc:
        return [error(f"Logs directory {shown} is not writable ({os_reason(exc)})", hint)]
    log_file = logs / "checks.log"
    if log_file.exists():
        try:
            with open(log_file, "ab"):
                pass
        except OSError as exc:
            return [error(f"Run log {shown}checks.log is not writable ({os_reason(exc)})", hint)]
    return [ok(f"Logs directory {'created' if created else 'writable'} ({shown})")]


def display_file(path: Path, base_dir: Path) -> str:
    """A path as the operator types it from the project directory."""
    try:
        return str(path.relative_to(base_dir))
    except ValueError:
        return str(path)


def sqlite_file(database: dict) -> str | None:
    """The file of a SQLite DATABASES entry; None for an in-memory database."""
    name = str(database.get("NAME") or "")
    if not name or name == ":memory:" or "mode=memory" in name:
        return None
    return name


@check("install.sqlite_writable")
def check_sqlite_writable(context):
    aliases = [
        alias
        for alias, database in context.settings.DATABASES.items()
        if "sqlite" in database.get("ENGINE", "")
    ]
    if not aliases:
        raise NotApplicable("no SQLite database")
    results = []
    for alias in aliases:
        name = sqlite_file(context.settings.DATABASES[alias])
        if name is None:
            continue
        path = context.base_dir / name  # an absolute NAME stays as it is
        label = database_label(context, alias)
        shown = display_file(path, context.base_dir)
        folder = display_file(path.parent, context.base_dir) + "/"
        if not path.parent.is_dir():
            results.append(
                error(f"{label} directory {folder} does not exist", f"mkdir -p {folder}")
            )
            continue
        problems = []
        if path.exists():
            try:
                with open(path, "ab"):
                    pass
            except OSError as exc:
                problems.append(
                    error(
                        f"{label} file {shown} is not writable ({os_reason(exc)})",
                        f"Make it writable: chmod u+w {shown}",
                    )
                )
        try:
            with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".preflight-"):
                pass
        except OSError as exc:
            problems.append(
                error(
                    f"{label} directory {folder} is not writable ({os_reason(exc)}): "
                    "SQLite writes its journal there",
                    f"Make it writable: chmod u+w {folder}",
                )
            )
        if problems:
            results.extend(problems)
        elif path.exists():
            results.append(ok(f"{label} file {shown} and its directory writable"))
        else:
            results.append(ok(f"{label} directory {folder} writable ({shown} not created yet)"))
    if not results:
        raise NotApplicable("SQLite in memory only")
    return results


# Deployment -------------------------------------------------------------------------------


def deploy_method(context, wanted: str) -> None:
    method = context.settings.DEPLOY_METHOD
    if method != wanted:
        raise NotApplicable(f"DEPLOY_METHOD={method}")


@check("deploy.docker")
def check_docker(context):
    deploy_method(context, "docker")
    settings = context.settings
    docker = shutil.which("docker", path=context.environ.get("PATH"))
    not_installed = error(
        "docker is not installed", "Install Docker, or set DEPLOY_METHOD in .env to bare or systemd"
    )
    if docker is None:
        return [not_installed]
    deadline = time.monotonic() + context.timeout - SUBPROCESS_TIMEOUT_MARGIN
    try:
        daemon = run_command([docker, "info"], context, deadline - time.monotonic())
    except FileNotFoundError:
        return [not_installed]
    except subprocess.TimeoutExpired:
        return [
            error(
                "docker info did not answer: the Docker daemon may be hung",
                "Restart it: sudo systemctl restart docker",
            )
        ]
    if daemon.returncode != 0:
        return [
            error(
                f"Docker daemon is not answering (docker info exit {daemon.returncode})",
                "Start it: sudo systemctl start docker",
            )
        ]
    if not settings.DOCKER_SERVICES:
        return [ok("Docker daemon answers (DOCKER_SERVICES is empty: no service to check)")]
    compose_file = Path(settings.DOCKER_COMPOSE_FILE)
    shown = display_file(compose_file, context.base_dir)
    if not compose_file.is_file():
        return [
            error(
                f"Compose file {shown} does not exist",
                "Set DOCKER_COMPOSE_FILE in .env to the compose file of this deployment",
            )
        ]
    try:
        ps = run_command(
            [
                docker,
                "compose",
                "-f",
                str(compose_file),
                "ps",
                "--services",
                "--filter",
                "status=running",
            ],
            context,
            deadline - time.monotonic(),
        )
    except subprocess.TimeoutExpired:
        return [error("docker compose ps did not answer")]
    if ps.returncode != 0:
        return [
            error(
                f"docker compose ps failed (exit {ps.returncode}): "
                f"{first_line(ps.stderr) or 'no message'}",
                "Check that the compose plugin is installed: docker compose version",
            )
        ]
    running = set(ps.stdout.split())
    stopped = [service for service in settings.DOCKER_SERVICES if service not in running]
    results = [
        error(
            f"Docker service {service} is not running",
            f"docker compose -f {shown} up -d {service}",
        )
        for service in stopped
    ]
    return results or [
        ok(
            f"Docker: {plural(len(settings.DOCKER_SERVICES), 'service')} running "
            f"({', '.join(settings.DOCKER_SERVICES)})"
        )
    ]


@check("deploy.systemd")
def check_systemd(context):
    deploy_method(context, "systemd")
    units = list(context.settings.SYSTEMD_UNITS)
    if not units:
        raise NotApplicable("SYSTEMD_UNITS is empty")
    systemctl = shutil.which("systemctl", path=context.environ.get("PATH"))
    not_installed = error(
        "systemctl is not installed", "Set DEPLOY_METHOD in .env to bare or docker"
    )
    if systemctl is None:
        return [not_installed]
    try:
        completed = run_command([systemctl, "is-active", *units], context)
    except FileNotFoundError:
        return [not_installed]
    except subprocess.TimeoutExpired:
        return [error(f"systemctl is-active did not answer within {context.timeout:g}s")]
    states = completed.stdout.split()
    if len(states) != len(units):
        return [
            error(
                f"systemctl is-active failed (exit {completed.returncode}): "
                f"{first_line(completed.stderr) or 'no answer'}",
                "If systemd does not run this service here, set DEPLOY_METHOD in .env "
                "to bare or docker",
            )
        ]
    return [
        ok(f"systemd unit {unit} is active")
        if state == "active"
        else error(f"systemd unit {unit} is {state}", f"sudo systemctl start {unit}")
        for unit, state in zip(units, states, strict=True)
    ]


@check("deploy.gunicorn_socket")
def check_gunicorn_socket(context):
    deploy_method(context, "systemd")
    path = context.settings.GUNICORN_SOCKET
    units = context.settings.SYSTEMD_UNITS
    hint = f"sudo systemctl start {units[0]}" if units else "Start gunicorn (see GUNICORN_SOCKET)"
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return [error(f"Gunicorn socket {path} does not exist", hint)]
    except OSError as exc:
        return [error(f"Gunicorn socket {path} cannot be checked ({os_reason(exc)})", hint)]
    if not stat.S_ISSOCK(mode):
        return [
            error(
                f"Gunicorn socket {path} exists but is not a socket",
                "Set GUNICORN_SOCKET in .env to the path gunicorn binds (--bind unix:PATH)",
            )
        ]
    return [ok(f"Gunicorn socket {path} exists")]


# Django system checks ---------------------------------------------------------------------

# Facts that preflight checks itself, so they get one row and one severity.
COVERED_DJANGO_IDS = frozenset({"security.W009", "security.W018", "security.W020"})
COVERED_VARIABLES = frozenset({"DJANGO_SECRET_KEY", "METRICS_BACKEND", "STATSD_PORT"})


def covered_by_preflight(message, settings) -> bool:
    if message.id in COVERED_DJANGO_IDS:
        return True
    if message.id and message.id.startswith("checkers."):
        code = message.id.split(".", 1)[1]
        return any(
            problem.code == code
            and problem.variable in COVERED_VARIABLES
            and problem.message == message.msg
            for problem in settings.CONFIG_PROBLEMS
        )
    return False


@check("django.checks")
def check_django(context):
    from django.core import checks as django_checks

    messages = django_checks.run_checks(include_deployment_checks=context.is_prod)
    silenced = [message for message in messages if message.is_silenced()]
    results = []
    for message in messages:
        if message.is_silenced() or covered_by_preflight(message, context.settings):
            continue
        if message.level >= django_checks.ERROR:
            make = error
        elif message.level >= django_checks.WARNING:
            make = warn
        else:
            make = info
        text = f"{message.id}: {message.msg}" if message.id else message.msg
        if message.obj is not None:
            text = f"{message.obj}: {text}"
        results.append(make(text, message.hint or ""))
    if not results or silenced:
        note = f"{len(silenced)} silenced by SILENCED_SYSTEM_CHECKS" if silenced else ""
        results.append(
            ok(
                "Django system checks: no other issues"
                if results
                else "Django system checks: no issues",
                note,
            )
        )
    return results
