"""Every preflight check, flat, in inventory order (DESIGN.md section 4).

A check takes the run's Context and returns a list of CheckResult; it raises NotApplicable
when it does not apply. `@check` stamps its id on every result and puts it in INVENTORY, so
adding a check is adding one function here, in its place.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import tempfile
from dataclasses import replace
from pathlib import Path

from . import CheckResult, NotApplicable, error, info, ok, warn

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


def run_command(args: list[str], context) -> subprocess.CompletedProcess:
    """Run an external command, bounded, with no stdin and no pager."""
    return subprocess.run(
        args,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=max(0.5, context.timeout - SUBPROCESS_TIMEOUT_MARGIN),
        env={**context.environ, "PAGER": "cat", "SYSTEMD_PAGER": "", "LC_ALL": "C"},
        check=False,
    )


def dev_warn_prod_error(context, message: str, hint: str = "") -> CheckResult:
    return (error if context.is_prod else warn)(message, hint)


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


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


# Deployment -------------------------------------------------------------------------------


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
