"""Every preflight check, flat, in inventory order (DESIGN.md section 4).

A check takes the run's Context and returns a list of CheckResult; it raises NotApplicable
when it does not apply. `@check` stamps its id on every result and puts it in INVENTORY, so
adding a check is adding one function here, in its place.
"""

from __future__ import annotations

import ast
import errno
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

from config.env import UnsafeFile, read_small_file

from . import CheckResult, NotApplicable, dashboard, error, info, ok, warn
from .broker import redis_ping
from .context import DatabaseUnanswered
from .database import display_file, exists_quietly, sqlite_path
from .hints import NEW_CLUSTER_API_KEY, NEW_SECRET_KEY, ask_env, command, manage, set_env

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


def read_text(path: Path) -> str:
    """A small regular file's text, never blocking on a FIFO or reading /dev/zero forever."""
    return read_small_file(path).decode("utf-8", errors="replace")


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


def os_reason(exc: OSError | UnsafeFile) -> str:
    if isinstance(exc, UnsafeFile):
        return str(exc)
    return exc.strerror or type(exc).__name__


def file_state_hint(name: str, problem: str) -> str:
    """For a file that exists but cannot be used: show what it is (type, owner, mode, size)."""
    return f"ls -ld {name}"


# Environment ------------------------------------------------------------------------------


@check("env.python")
def check_python(context):
    major, minor = context.python_version
    version = f"Python {major}.{minor}"
    hint = manage("preflight")  # uv picks (and if need be fetches) a Python that fits
    if (major, minor) < (3, 10):
        return [error(f"{version} (need >= 3.10)", hint)]
    if context.prefix == context.base_prefix:
        return [warn(f"{version}: running outside a virtualenv", hint)]
    project_venv = (context.base_dir / ".venv").resolve()
    if Path(context.prefix).resolve() != project_venv:
        return [warn(f"{version}: not using the project .venv ({context.prefix})", hint)]
    return [ok(f"{version} (.venv)")]


# Astral's installer: works where pip cannot install (an externally managed system Python).
UV_INSTALL = "curl -LsSf https://astral.sh/uv/install.sh | sh"


@check("env.uv")
def check_uv(context):
    hint = UV_INSTALL
    path = shutil.which("uv", path=context.environ.get("PATH"))
    if path is None:
        return [warn("uv is not installed", hint)]
    try:
        completed = run_command([path, "--version"], context)
    except subprocess.TimeoutExpired:
        return [warn(f"uv at {path} did not answer `uv --version`", hint)]
    except OSError as exc:  # not executable after all, or an environment too big to pass on
        return [warn(f"uv at {path} could not be run ({os_reason(exc)})", hint)]
    version = completed.stdout.strip()
    if completed.returncode != 0 or not version:
        return [warn(f"uv at {path} failed `uv --version` (exit {completed.returncode})", hint)]
    return [ok(f"{version} installed")]


@check("env.venv")
def check_venv(context):
    if (context.base_dir / ".venv").is_dir():
        return [ok(".venv directory exists")]
    return [warn(".venv directory is missing", "uv sync")]


@check("env.dotenv")
def check_dotenv(context):
    env_file = context.env_file
    if not env_file.exists:
        # Private from the start, so that following the hint raises no permissions warning.
        hint = "install -m 600 .env.sample .env"
        return [dev_warn_prod_error(context, ".env file is missing", hint)]
    if env_file.error:
        return [
            dev_warn_prod_error(
                context,
                f".env {env_file.error}; none of it was loaded",
                file_state_hint(".env", env_file.error),
            )
        ]
    results = []
    if env_file.has_bom:
        results.append(
            warn(".env starts with a UTF-8 byte-order mark", r"sed -i '1s/^\xEF\xBB\xBF//' .env")
        )
    if env_file.has_crlf:
        results.append(warn(".env has Windows (CRLF) line endings", r"sed -i 's/\r$//' .env"))
    for numbers, one, many in (
        (env_file.undecodable_lines, "is not UTF-8 text", "are not UTF-8 text"),
        (env_file.bad_lines, "could not be parsed", "could not be parsed"),
    ):
        if numbers:
            lines = ", ".join(str(number) for number in numbers)
            if len(numbers) == 1:
                message = f".env line {lines} {one} and was ignored"
            else:
                message = f".env lines {lines} {many} and were ignored"
            # Each line must be KEY=value: open the file at the first one that is not.
            results.append(warn(message, f"${{EDITOR:-vi}} +{numbers[0]} .env"))
    return results or [ok(".env file found")]


@check("env.project_writable")
def check_project_writable(context):
    try:
        with tempfile.NamedTemporaryFile(dir=context.base_dir, prefix=".preflight-"):
            pass
    except OSError as exc:
        # Who owns it and its mode; on a read-only filesystem, how it is mounted.
        hint = "findmnt -T ." if exc.errno == errno.EROFS else "ls -ld ."
        return [error(f"Project directory is not writable ({os_reason(exc)})", hint)]
    return [ok("Project directory writable")]


@check("env.disk")
def check_disk(context):
    free = shutil.disk_usage(context.base_dir).free
    message = (
        f"Disk: {free / GIB:.1f} GiB free" if free >= GIB else f"Disk: {free / MIB:.0f} MiB free"
    )
    # The filesystem and what uses it; what to delete is the operator's call.
    hint = "df -h ."
    if free < 100 * MIB:
        return [error(f"{message} (at least 1 GiB is needed)", hint)]
    if free < GIB:
        return [warn(f"{message} (at least 1 GiB is recommended)", hint)]
    return [ok(message)]


# Database ---------------------------------------------------------------------------------


def migrate_command(alias: str) -> str:
    return manage("migrate", database=alias)


def database_label(context, alias: str) -> str:
    return "Database" if len(context.settings.DATABASES) == 1 else f"Database {alias}"


LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})


def is_local_host(host: str) -> bool:
    """Whether a server's host is this machine: none, a unix socket directory, a loopback name
    or address, or this host's name. No DNS lookup."""
    host = host.lower().rstrip(".").strip("[]")
    if not host or host.startswith("/") or host in LOOPBACK_NAMES:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host == socket.gethostname().lower().rstrip(".")
    return address.is_loopback or address.is_unspecified


def db_connection_hint(context, alias: str, failure: str) -> str:
    """A command for a classified connection failure: start or probe the server, create the
    database, re-enter or test the credentials, or open the database shell, which shows the
    driver's own message (never printed here: it may hold credentials)."""
    database = context.settings.DATABASES[alias]
    engine = database.get("ENGINE", "")
    if "sqlite" in engine:
        path = sqlite_path(database)
        if path and failure == "cannot open the database file":
            folder = (context.base_dir / path).parent
            shown = display_file(folder, context.base_dir)
            if not folder.exists():
                return command("mkdir", "-p", shown)
            return command("ls", "-ld", shown)  # there: who owns it, and its mode
    elif "postgresql" in engine:
        host = str(database.get("HOST") or "localhost")
        port = str(database.get("PORT") or 5432)
        name = str(database.get("NAME") or "")
        user = ["-U", str(database["USER"])] if database.get("USER") else []
        server = ["-h", host, "-p", port]
        if failure == "unreachable" and is_local_host(host):
            return "sudo systemctl start postgresql"
        if failure in ("unreachable", "timed out"):
            return command("pg_isready", *server)
        if failure == "database missing":
            return command("createdb", *server, *user, name)
        if failure == "authentication failed" and alias == "default":
            return ask_env("DATABASE_URL")  # the URL with the right password, not echoed
        # psql asks for a password itself, and shows the server's own message.
        return command("psql", *server, *user, "-d", name, "-c", "select 1")
    return manage("dbshell", database=alias)


@check("db.connection")
def check_db_connection(context):
    results = []
    for alias in context.settings.DATABASES:
        label = database_label(context, alias)
        try:
            state = context.database(alias)
        except DatabaseUnanswered as exc:
            hint = db_connection_hint(context, alias, "timed out")
            results.append(error(f"{label} connection {exc}", hint))
            continue
        if state.file_missing:
            results.append(
                ok(f"{label} file not created yet ({state.description}): migrate creates it")
            )
        elif state.connected:
            results.append(ok(f"{label} connection works ({state.description})"))
        else:
            results.append(
                error(
                    f"{label} connection failed: {state.failure} ({state.description})",
                    db_connection_hint(context, alias, state.failure),
                )
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
                error(
                    f"{label}: pending migrations unknown: {state.migrations_failure}",
                    manage("showmigrations", database=alias),
                )
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
        return [error("DEBUG is on in production", set_env("DJANGO_DEBUG=0"))]
    return [ok(f"DEBUG mode appropriate for {context.env_name} (DEBUG={'on' if debug else 'off'})")]


@check("security.secret_key")
def check_secret_key(context):
    from django.core.exceptions import ImproperlyConfigured

    hint = NEW_SECRET_KEY
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


def allowed_hosts_hint(hosts: list[str]) -> str:
    """Set the list without '*', blanks and padding; when nothing is left, this machine's
    fully qualified name (what a reverse proxy usually forwards)."""
    kept = list(dict.fromkeys(host.strip() for host in hosts if host.strip() not in ("", "*")))
    if not kept:
        return f"{set_env('DJANGO_ALLOWED_HOSTS=')}$(hostname -f)"
    return set_env(f"DJANGO_ALLOWED_HOSTS={','.join(kept)}")


@check("security.allowed_hosts")
def check_allowed_hosts(context):
    hosts = list(context.settings.ALLOWED_HOSTS)
    shown = ", ".join(repr(host) for host in hosts)
    if not context.is_prod:
        return [ok(f"ALLOWED_HOSTS: {shown or 'none'} ({context.env_name})")]
    hint = allowed_hosts_hint(hosts)
    if not hosts:
        return [error("ALLOWED_HOSTS is empty in production", hint)]
    if not any(host.strip() for host in hosts):
        return [error(f"ALLOWED_HOSTS has no usable entry in production ({shown})", hint)]
    results = []
    if "*" in hosts:
        results.append(warn("ALLOWED_HOSTS contains '*': any Host header is accepted", hint))
    if any(not host.strip() for host in hosts):
        results.append(warn("ALLOWED_HOSTS has an empty entry", hint))
    padded = [repr(host) for host in hosts if host.strip() and host != host.strip()]
    if padded:
        results.append(warn(f"ALLOWED_HOSTS has entries with spaces: {', '.join(padded)}", hint))
    return results or [ok(f"ALLOWED_HOSTS: {shown}")]


@check("security.env_permissions")
def check_env_permissions(context):
    env_file = context.env_file
    if not env_file.exists:
        raise NotApplicable("no .env file")
    try:
        mode = env_file.path.stat().st_mode
    except OSError:  # gone since, or a link loop: env.dotenv has the row for it
        mode = None
    if env_file.error or mode is None:
        raise NotApplicable(".env cannot be read (env.dotenv reports it)")
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
    return set(sample.values) | sample.commented_keys


def document_in_sample(context, names: list[str]) -> str:
    """Append a commented `# KEY=` line for each name to .env.sample (which documents it), on
    a line of its own even when the file lacks a final newline."""
    hint = f"printf '# %s=\\n' {' '.join(map(shlex.quote, names))} >> .env.sample"
    return hint if context.sample_file.ends_with_newline else f"echo >> .env.sample && {hint}"


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
                "git checkout -- .env.sample",
            )
        ]
    if sample.error:
        return [
            warn(
                f".env.sample {sample.error}: .env cannot be checked against it",
                file_state_hint(".env.sample", sample.error),
            )
        ]
    documented = sample_keys(context)
    present = set(env_file.values)
    results = []
    missing = sorted(set(sample.values) - present)
    if missing:
        results.append(
            warn(
                f".env is missing keys from .env.sample: {', '.join(missing)}",
                # Their defaults, from the sample.
                set_env(*(f"{key}={sample.values[key] or ''}" for key in missing)),
            )
        )
    extra = sorted(present - documented)
    if extra:
        results.append(
            warn(
                f".env has keys not in .env.sample: {', '.join(extra)} "
                "(document them there, or remove them from .env)",
                document_in_sample(context, extra),
            )
        )
    return results or [ok(f".env matches .env.sample ({plural(len(present), 'key')})")]


def env_name_read(node: ast.AST) -> str | None:
    """The variable name when `node` reads the environment with a literal name:
    os.environ["X"], os.environ.get("X"), os.getenv("X"), getenv("X"), environ.get("X"),
    env.<any>("X")."""

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
    elif (
        isinstance(node, ast.Call)
        and node.args
        and isinstance(node.func, ast.Name)
        and node.func.id == "getenv"  # from os import getenv
    ):
        key = node.args[0]
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
                document_in_sample(context, undocumented),
            )
        ]
    return [
        ok(
            f"Every variable the code reads is documented in .env.sample "
            f"({plural(len(reads), 'variable')})"
        )
    ]


def names_this_instance(host: str, settings) -> bool:
    """Whether a host name means this very machine: loopback, this host's name, or one of the
    names this site serves (ALLOWED_HOSTS, exact entries). No DNS lookup is made."""
    host = host.lower().rstrip(".")
    if host and is_local_host(host):
        return True
    served = {
        entry.strip().lower().rstrip(".")
        for entry in settings.ALLOWED_HOSTS
        if entry.strip() and entry.strip() != "*" and not entry.strip().startswith(".")
    }
    return host in served


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
                # The hub's http(s) URL, asked for (it may hold a password).
                error(problem, ask_env("HUB_URL"))
            )
        if not settings.HUB_API_KEY:
            results.append(
                warn(
                    "Agent without HUB_API_KEY (the hub's CLUSTER_API_KEY): "
                    "the hub will refuse its reports",
                    ask_env("HUB_API_KEY"),
                )
            )
        if not settings.INSTANCE_ID:
            results.append(
                warn(
                    "Agent without INSTANCE_ID: the hub cannot tell this instance from others",
                    f"{set_env('INSTANCE_ID=')}$(hostname)",  # unique in the cluster
                )
            )
    if settings.CLUSTER_ENABLED and not settings.CLUSTER_API_KEY:
        results.append(
            dev_warn_prod_error(
                context,
                "Hub without CLUSTER_API_KEY: any agent can report to it",
                NEW_CLUSTER_API_KEY,
            )
        )
    return results or [ok(f"Cluster: {role} (no conflicts)")]


@check("config.celery_eager")
def check_celery_eager(context):
    eager = context.settings.CELERY_TASK_ALWAYS_EAGER
    if eager and context.is_prod:
        return [
            warn(
                "Celery runs tasks eagerly in production: they would run inside web requests "
                "(turn it off and run a worker)",
                set_env("CELERY_TASK_ALWAYS_EAGER=0"),
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
        redis_ping(url, seconds)
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


DEFAULT_BROKER_URL = "redis://localhost:6379/0"
# scheme -> (the service that runs such a broker on Debian/Ubuntu, its default port)
BROKER_SERVICES = {
    "redis": ("redis-server", 6379),
    "rediss": ("redis-server", 6379),
    "amqp": ("rabbitmq-server", 5672),
    "pyamqp": ("rabbitmq-server", 5672),
    "amqps": ("rabbitmq-server", 5671),
}


def broker_hint(parts, scheme: str, reason: str) -> str:
    """A broker on this machine: start it (restart a hung one). One elsewhere: ask it whether
    it answers. Wrong credentials: enter the URL again (asked for, not echoed)."""
    service = BROKER_SERVICES.get(scheme)
    if reason == "authentication failed" or service is None:
        return ask_env("CELERY_BROKER_URL")
    name, default_port = service
    host = parts.hostname or "localhost"
    if is_local_host(host):
        return f"sudo systemctl {'restart' if reason == 'timed out' else 'start'} {name}"
    port = str(parts.port or default_port)
    if name == "redis-server":
        tls = ["--tls"] if scheme == "rediss" else []
        return command("redis-cli", *tls, "-h", host, "-p", port, "ping")
    probe = shlex.quote(f"</dev/tcp/{host}/{port}")
    return f"timeout 5 bash -c {probe} && echo {shlex.quote(f'{host}:{port} answers')}"


@check("config.celery_broker")
def check_celery_broker(context):
    if context.settings.CELERY_TASK_ALWAYS_EAGER:
        raise NotApplicable("eager: tasks run inline")
    url = context.settings.CELERY_BROKER_URL or ""
    # In dev the simplest fix of all: tasks run inline, no broker needed.
    dev_hint = "" if context.is_prod else set_env("CELERY_TASK_ALWAYS_EAGER=on")
    if not url.strip():
        hint = dev_hint or set_env(f"CELERY_BROKER_URL={DEFAULT_BROKER_URL}")
        return [error("CELERY_BROKER_URL is empty: Celery has no broker", hint)]
    try:
        parts = urlsplit(url)
        location = broker_location(parts)
    except ValueError:
        hint = dev_hint or ask_env("CELERY_BROKER_URL")
        return [error("CELERY_BROKER_URL is not a valid URL (bad host or port)", hint)]
    scheme = parts.scheme.lower()
    seconds = max(0.25, (context.timeout - SUBPROCESS_TIMEOUT_MARGIN) / 2)
    try:
        ping_broker(url, scheme, seconds)
    except UnsupportedBroker as exc:
        hint = dev_hint or ask_env("CELERY_BROKER_URL")
        return [error(f"Celery broker scheme {scheme or 'none'!r} {exc}", hint)]
    except Exception as exc:
        reason = classify_broker_failure(exc)
        hint = dev_hint or broker_hint(parts, scheme, reason)
        return [error(f"Celery broker {reason} ({location})", hint)]
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
                set_env("METRICS_BACKEND=logging"),
            )
        )
    elif backend not in METRICS_BACKENDS:
        results.append(
            error(
                f"METRICS_BACKEND={backend!r} is not one of {', '.join(METRICS_BACKENDS)}",
                set_env("METRICS_BACKEND=logging"),
            )
        )
    port_hint = set_env("STATSD_PORT=8125")  # StatsD's own port
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
                "METRICS_BACKEND=statsd but STATSD_HOST is not set: metrics go nowhere "
                "(a StatsD agent on this machine, or METRICS_BACKEND=logging)",
                set_env("STATSD_HOST=127.0.0.1"),
            )
        ]
    if backend == "logging" and host:
        return [
            info(
                f"STATSD_HOST is set ({host}) but unused: METRICS_BACKEND=logging",
                set_env("METRICS_BACKEND=statsd"),  # to send metrics there
            )
        ]
    if backend == "statsd":
        target = f"{host}:{settings.STATSD_PORT}"
        return [ok(f"Metrics: statsd to {target} (prefix {settings.STATSD_PREFIX})")]
    return [ok("Metrics: logging")]


# Pipeline state ---------------------------------------------------------------------------


# Where `manage.py runserver` serves the admin by default; the messages name the page to open.
ADMIN_URL = "http://127.0.0.1:8000/admin/"


def admin_hint() -> str:
    """Serve the admin, after creating a superuser to log in with when there is none."""
    from django.contrib.auth import get_user_model
    from django.db import DatabaseError

    runserver = manage("runserver")
    try:
        has_admin = get_user_model().objects.filter(is_superuser=True, is_active=True).exists()
    except DatabaseError:  # the auth tables not migrated: no one can log in yet
        has_admin = False
    return runserver if has_admin else f"{manage('createsuperuser')} && {runserver}"


@check("pipeline.channels")
def check_channels(context):
    from apps.notify.models import NotificationChannel

    context.require_pipeline_tables()
    active = NotificationChannel.objects.filter(is_active=True).count()
    if not active:
        return [
            warn(
                "No active notification channel: pipeline notifications go nowhere "
                f"(add one at {ADMIN_URL}notify/notificationchannel/add/)",
                admin_hint(),
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
                f"(no channel or an inactive one): {', '.join(nowhere)} "
                f"(give each an active channel at {ADMIN_URL}orchestration/pipelinedefinition/)",
                admin_hint(),
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
                set_env("INTELLIGENCE_FALLBACK_ENABLED=on"),
            )
        ]
    if fallback:
        return [info("Intelligence: no active provider, local rules only")]
    return [
        error(
            "Intelligence: no active provider and fallback off: nothing can analyse "
            f"(turn the fallback on, or activate a provider at "
            f"{ADMIN_URL}intelligence/intelligenceprovider/)",
            set_env("INTELLIGENCE_FALLBACK_ENABLED=on"),
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
    for verb, argument in itertools.pairwise(words):
        if verb in ("source", "."):
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
        text = read_text(rc)
    except FileNotFoundError:
        return [warn(f"Shell aliases not installed ({shown} does not exist)", hint)]
    except (OSError, UnsafeFile) as exc:
        return [warn(f"Shell aliases unknown: {shown} cannot be read ({os_reason(exc)})", hint)]
    if any(sources_file(line, aliases, home) for line in text.splitlines()):
        return [ok(f"Shell aliases installed ({shown} sources bin/aliases.sh)")]
    return [warn(f"Shell aliases not installed ({shown} does not source bin/aliases.sh)", hint)]


# The line `pre-commit install` writes into the hook it generates.
PRECOMMIT_MARKER = "File generated by pre-commit"


def git_hooks_dir(base_dir: Path) -> Path | None:
    """The hooks directory of the checkout at base_dir (a worktree's `.git` file is followed)."""
    git = base_dir / ".git"
    if git.is_dir():
        return git / "hooks"
    try:
        text = read_text(git).strip()
    except (OSError, UnsafeFile):
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
        text = read_text(hook)
        mode = hook.stat().st_mode
    except FileNotFoundError:
        return [warn("Pre-commit hooks not installed", hint)]
    except (OSError, UnsafeFile) as exc:
        return [warn(f"Pre-commit hook cannot be read ({os_reason(exc)})", hint)]
    if PRECOMMIT_MARKER not in text:
        return [warn("The git pre-commit hook was not installed by pre-commit", hint)]
    if not mode & stat.S_IXUSR:
        return [warn("The pre-commit hook is not executable: git skips it", hint)]
    return [ok("Pre-commit hooks installed")]


def mentions_path(line: str, paths: set[str]) -> bool:
    """Whether a line names one of these paths as a whole (not /srv/app-old for /srv/app)."""
    return any(re.search(rf"(?<![\w./-]){re.escape(path)}(?![\w.-])", line) for path in paths)


CRON_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\s*=")
NO_CRON_HINT = "sudo apt-get install -y cron && bin/install.sh cron"


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
        # Try it by hand: install.sh would hang on it just the same.
        return [warn(f"crontab -l did not answer within {context.timeout:g}s", "crontab -l")]
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


def logs_dir_hint(logs: Path, base_dir: Path, culprit: Path | None = None) -> str:
    """A LOGS_DIR elsewhere: back to the project's own logs/. The project's own logs/ failing:
    show who owns the path that fails (often root, after a `sudo` run)."""
    if os.path.realpath(logs) != os.path.realpath(base_dir / "logs"):
        return set_env("LOGS_DIR=logs")
    return command("ls", "-ld", display_file(culprit or logs, base_dir))


@check("install.logs_dir")
def check_logs_dir(context):
    logs = Path(context.settings.LOGS_DIR)
    shown = dashboard.display_path(logs, context.base_dir)
    base = context.base_dir
    hint = logs_dir_hint(logs, base)
    created = not exists_quietly(logs)
    try:
        logs.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        return [error(f"Logs directory {shown} is not a directory", hint)]
    except OSError as exc:
        parent = next(path for path in logs.parents if exists_quietly(path))
        return [
            error(
                f"Logs directory {shown} cannot be created ({os_reason(exc)})",
                logs_dir_hint(logs, base, parent),
            )
        ]
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
            return [
                error(
                    f"Run log {shown}checks.log is not writable ({os_reason(exc)})",
                    logs_dir_hint(logs, base, log_file),
                )
            ]
    return [ok(f"Logs directory {'created' if created else 'writable'} ({shown})")]


def make_writable_hint(path: Path, shown: str) -> str:
    """Ours: give ourselves write permission. Someone else's: show whose it is (changing the
    owner of a database file is the operator's decision)."""
    try:
        ours = path.stat().st_uid == os.geteuid()
    except OSError:
        ours = False
    return command("chmod", "u+w", shown) if ours else command("ls", "-ld", shown)


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
        name = sqlite_path(context.settings.DATABASES[alias])
        if name is None:
            continue
        path = context.base_dir / name  # an absolute NAME stays as it is
        label = database_label(context, alias)
        shown = display_file(path, context.base_dir)
        folder = display_file(path.parent, context.base_dir) + "/"
        if not path.parent.is_dir():
            results.append(
                error(f"{label} directory {folder} does not exist", command("mkdir", "-p", folder))
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
                        make_writable_hint(path, shown),
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
                    make_writable_hint(path.parent, folder),
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


COMPOSE_FILE_NAMES = ("docker-compose.yml", "docker-compose.yaml", "compose.yml", "compose.yaml")


def compose_file_hint(base_dir: Path) -> str:
    """Point DOCKER_COMPOSE_FILE at the project's compose file; with none, look for one."""
    for name in COMPOSE_FILE_NAMES:
        if (base_dir / name).is_file():
            return set_env(f"DOCKER_COMPOSE_FILE={name}")
    return "find . -maxdepth 2 -name '*compose*.y*ml'"


@check("deploy.docker")
def check_docker(context):
    deploy_method(context, "docker")
    settings = context.settings
    docker = shutil.which("docker", path=context.environ.get("PATH"))
    # Docker's own installer (engine and compose plugin; it uses sudo itself when needed).
    not_installed = error("docker is not installed", "curl -fsSL https://get.docker.com | sh")
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
                "sudo systemctl restart docker",
            )
        ]
    if daemon.returncode != 0:
        if "permission denied" in daemon.stderr.lower():
            return [
                error(
                    "Docker daemon refused this user (permission denied on its socket): "
                    "join the docker group, then log in again",
                    'sudo usermod -aG docker "$(id -un)"',
                )
            ]
        return [
            error(
                f"Docker daemon is not answering (docker info exit {daemon.returncode})",
                "sudo systemctl start docker",
            )
        ]
    if not settings.DOCKER_SERVICES:
        return [ok("Docker daemon answers (DOCKER_SERVICES is empty: no service to check)")]
    compose_file = Path(settings.DOCKER_COMPOSE_FILE)
    shown = display_file(compose_file, context.base_dir)
    if not compose_file.is_file():
        return [error(f"Compose file {shown} does not exist", compose_file_hint(context.base_dir))]
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
        return [
            error(
                "docker compose ps did not answer", command("docker", "compose", "-f", shown, "ps")
            )
        ]
    if ps.returncode != 0:
        return [
            error(
                f"docker compose ps failed (exit {ps.returncode}): "
                f"{first_line(ps.stderr) or 'no message'}",
                "docker compose version",  # is the compose plugin installed?
            )
        ]
    running = set(ps.stdout.split())
    stopped = [service for service in settings.DOCKER_SERVICES if service not in running]
    results = [
        error(
            f"Docker service {service} is not running",
            command("docker", "compose", "-f", shown, "up", "-d", service),
        )
        for service in stopped
    ]
    return results or [
        ok(
            f"Docker: {plural(len(settings.DOCKER_SERVICES), 'service')} running "
            f"({', '.join(settings.DOCKER_SERVICES)})"
        )
    ]


def no_systemd(stderr: str) -> bool:
    """systemctl's words for a machine (or container) where systemd is not running."""
    text = stderr.lower()
    return "not been booted with systemd" in text or "failed to connect to bus" in text


@check("deploy.systemd")
def check_systemd(context):
    deploy_method(context, "systemd")
    units = list(context.settings.SYSTEMD_UNITS)
    if not units:
        raise NotApplicable("SYSTEMD_UNITS is empty")
    systemctl = shutil.which("systemctl", path=context.environ.get("PATH"))
    # No systemd here: this instance cannot be deployed with it.
    not_installed = error("systemctl is not installed", set_env("DEPLOY_METHOD=bare"))
    if systemctl is None:
        return [not_installed]
    status = command("systemctl", "status", "--no-pager", *units)
    try:
        completed = run_command([systemctl, "is-active", *units], context)
    except FileNotFoundError:
        return [not_installed]
    except subprocess.TimeoutExpired:
        return [error(f"systemctl is-active did not answer within {context.timeout:g}s", status)]
    states = completed.stdout.split()
    if len(states) != len(units):
        return [
            error(
                f"systemctl is-active failed (exit {completed.returncode}): "
                f"{first_line(completed.stderr) or 'no answer'}",
                set_env("DEPLOY_METHOD=bare") if no_systemd(completed.stderr) else status,
            )
        ]
    return [
        ok(f"systemd unit {unit} is active")
        if state == "active"
        else error(f"systemd unit {unit} is {state}", command("sudo", "systemctl", "start", unit))
        for unit, state in zip(units, states, strict=True)
    ]


@check("deploy.gunicorn_socket")
def check_gunicorn_socket(context):
    deploy_method(context, "systemd")
    path = context.settings.GUNICORN_SOCKET
    units = context.settings.SYSTEMD_UNITS
    # Each part of the path: which one is missing, or closed to this user.
    namei = command("namei", "-l", path)
    # A stopped unit is deploy.systemd's row (with its start command). Here the unit may well be
    # running, binding another path than GUNICORN_SOCKET: its definition shows the --bind.
    unit = command("systemctl", "cat", units[0]) if units else namei
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return [error(f"Gunicorn socket {path} does not exist", unit)]
    except OSError as exc:
        return [error(f"Gunicorn socket {path} cannot be checked ({os_reason(exc)})", namei)]
    if not stat.S_ISSOCK(mode):
        return [error(f"Gunicorn socket {path} exists but is not a socket", unit)]
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


# Django's deploy checks that this project's settings let .env answer (they carry no hint).
DJANGO_CHECK_HINTS = {
    "security.W004": set_env("DJANGO_SECURE_HSTS_SECONDS=3600"),
    "security.W008": set_env("DJANGO_SECURE_SSL_REDIRECT=on"),
}


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
        results.append(make(text, message.hint or DJANGO_CHECK_HINTS.get(message.id, "")))
    if not results or silenced:
        message = (
            "Django system checks: no other issues"
            if results
            else "Django system checks: no issues"
        )
        hint = ""
        if silenced:
            message += f" ({len(silenced)} silenced by SILENCED_SYSTEM_CHECKS)"
            hint = f"{manage('diffsettings')} | grep SILENCED_SYSTEM_CHECKS"  # which ones
        results.append(ok(message, hint))
    return results
