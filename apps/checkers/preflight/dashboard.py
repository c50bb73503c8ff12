"""The dashboard: this machine's profile at a glance, and the active pipeline definitions."""

from __future__ import annotations

from pathlib import Path

from . import NotApplicable
from .database import bound_queries, describe, display_file, pipeline_unavailable


def role(settings) -> str:
    agent = bool(settings.HUB_URL)
    hub = bool(settings.CLUSTER_ENABLED)
    if agent and hub:
        return "agent+hub"
    if agent:
        return "agent"
    if hub:
        return "hub"
    return "standalone"


def display_path(path: Path, base_dir: Path) -> str:
    """A directory as the operator types it from the project directory, with a final /."""
    return f"{display_file(path, base_dir)}/"


def build_profile(settings) -> dict:
    """The profile as data (for --json); values may hold URLs, so callers redact them."""
    vendor, location = describe(settings.DATABASES["default"], settings.BASE_DIR)
    return {
        "role": role(settings),
        "environment": settings.DJANGO_ENV,
        "debug": bool(settings.DEBUG),
        "deploy_method": settings.DEPLOY_METHOD,
        "database_vendor": vendor,
        "database": location,
        "celery_broker": settings.CELERY_BROKER_URL,
        "celery_eager": bool(settings.CELERY_TASK_ALWAYS_EAGER),
        "metrics_backend": settings.METRICS_BACKEND,
        "instance_id": settings.INSTANCE_ID,
        "logs_dir": display_path(settings.LOGS_DIR, settings.BASE_DIR),
        # Variables whose bad value was replaced by a safe default (their ERR rows say more).
        "fallbacks": sorted({problem.variable for problem in settings.CONFIG_PROBLEMS}),
    }


# Which variables decide each dashboard row, to mark a row that shows a fallback.
ROW_VARIABLES = {
    "Environment": ("DJANGO_ENV", "DJANGO_DEBUG"),
    "Deploy": ("DEPLOY_METHOD",),
    "Database": ("DATABASE_URL",),
    "Celery": ("CELERY_TASK_ALWAYS_EAGER",),
    "Metrics": ("METRICS_BACKEND",),
}


def profile_rows(profile: dict) -> list[tuple[str, str]]:
    """The profile as the human dashboard shows it."""
    rows = [
        ("Role", profile["role"]),
        ("Environment", f"{profile['environment']} (DEBUG={'on' if profile['debug'] else 'off'})"),
        ("Deploy", profile["deploy_method"]),
        ("Database", f"{profile['database_vendor']} @ {profile['database']}"),
        (
            "Celery",
            f"{profile['celery_broker']} ({'eager' if profile['celery_eager'] else 'async'})",
        ),
        ("Metrics", profile["metrics_backend"]),
        ("Logs", profile["logs_dir"]),
    ]
    if profile["instance_id"]:
        rows.append(("Instance ID", profile["instance_id"]))
    marked = []
    for label, value in rows:
        bad = [name for name in ROW_VARIABLES.get(label, ()) if name in profile["fallbacks"]]
        if bad:
            value += f" (fallback: {', '.join(bad)} is invalid)"
        marked.append((label, value))
    return marked


def pipeline_definitions(context) -> tuple[list[dict], str]:
    """Pipeline definitions, active first, by priority then name; or a one-line note saying
    why they cannot be read. The command runs it beside the checks, under the same deadline."""
    from django.db import DatabaseError, connection

    try:
        reason = pipeline_unavailable(context.database("default"))
    except NotApplicable as exc:
        return [], exc.reason
    if reason:
        return [], reason
    from apps.orchestration.models import PipelineDefinition

    try:
        bound_queries(connection, context.timeout)
        rows = PipelineDefinition.objects.select_related("channel").order_by(
            "-is_active", "priority", "name"
        )
        definitions = [
            {
                "name": row.name,
                "active": row.is_active,
                "priority": row.priority,
                "channel": row.channel.name if row.channel else None,
                "routes": not row.routes_nowhere,
            }
            for row in rows
        ]
    except DatabaseError as exc:
        return [], f"could not be read ({type(exc).__name__})"
    return definitions, ""


def definition_line(definition: dict) -> str:
    channel = definition["channel"] or "no channel"
    line = f"{definition['name']} (priority {definition['priority']}) → {channel}"
    if not definition["routes"]:
        line += " (routes nowhere)"
    if not definition["active"]:
        line += " [inactive]"
    return line
