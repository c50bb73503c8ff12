"""`manage.py preflight`: is this machine fit to run the service? One command, one output."""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from django.core.management.base import BaseCommand

from apps.checkers.preflight import ERROR, INFO, OK, WARN, CheckResult
from apps.checkers.preflight.dashboard import definition_line, profile_rows

TAGS = {OK: "OK", INFO: "INFO", WARN: "WARN", ERROR: "ERR"}
RULE_WIDTH = 45
RULE_CHAR = "═"


def summarize(results: list[CheckResult]) -> dict:
    """Counts shared by the human summary, the JSON and the log: INFO is not a problem."""
    counts = {level: 0 for level in TAGS}
    for result in results:
        counts[result.level] += 1
    return {
        "passed": counts[OK] + counts[INFO],
        "info": counts[INFO],
        "warnings": counts[WARN],
        "errors": counts[ERROR],
    }


def counted(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def summary_line(total: int, summary: dict) -> str:
    return (
        f"{counted(total, 'check')}: {summary['passed']} passed, "
        f"{counted(summary['warnings'], 'warning')}, {counted(summary['errors'], 'error')}"
    )


def result_data(result: CheckResult) -> dict:
    return {
        "id": result.id,
        "level": result.level,
        "message": result.message,
        "hint": result.hint,
        "duration_ms": result.duration_ms,
    }


class Command(BaseCommand):
    help = "Check whether this machine is fit to run the service: one flat list of every check."
    # Django's system checks are one of ours (django.checks): they must not stop the run.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="Print one JSON document."
        )

    def handle(self, *args, as_json=False, verbosity=1, **options):
        from django.conf import settings

        from apps.checkers.preflight import checks, dashboard, logger
        from apps.checkers.preflight.context import Context
        from apps.checkers.preflight.redact import Redactor
        from apps.checkers.preflight.runner import Job, run_checks

        context = Context(settings)
        environ = {
            **{key: value for key, value in context.env_file.values.items() if value},
            **os.environ,
        }
        redactor = Redactor.from_environment(environ, settings)
        # The dashboard's query runs beside the checks and under their deadline: a locked
        # table must not hang the run.
        deadline = time.monotonic() + context.timeout
        definitions_job = Job("dashboard", dashboard.pipeline_definitions, context).start()
        outcome = run_checks(checks.INVENTORY, context, redactor)
        results = outcome.results
        profile = redactor.data(dashboard.build_profile(settings))
        if definitions_job.wait(deadline):
            definitions, definitions_note = definitions_job.value
        else:
            definitions, definitions_note = [], f"not read within {context.timeout:g}s"
        definitions = redactor.data(definitions)
        definitions_note = redactor.text(definitions_note)
        timestamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

        summary = summarize(results)
        log_failure = logger.append_run(
            settings.LOGS_DIR,
            {
                "timestamp": timestamp,
                **summary,
                "environment": profile["environment"],
                "role": profile["role"],
                "instance_id": profile["instance_id"],
                "checks": [result_data(result) for result in results],
            },
        )
        # One fact, one row: when install.logs_dir already said the logs directory is broken,
        # the run log failing to be written is that same fact.
        logs_dir_reported = any(
            result.id == "install.logs_dir" and result.level == ERROR for result in results
        )
        if log_failure and not logs_dir_reported:
            results.append(
                CheckResult(
                    WARN,
                    redactor.text(f"Run log not written: {log_failure}"),
                    checks.logs_dir_hint(Path(settings.LOGS_DIR), context.base_dir),
                    id="preflight.log",
                )
            )
            summary = summarize(results)

        status = 1 if summary["errors"] else 0
        try:
            if as_json:
                document = {
                    "timestamp": timestamp,
                    "profile": profile,
                    "definitions": definitions,
                    "checks": [result_data(result) for result in results],
                    "skipped": [{"id": s.id, "reason": s.reason} for s in outcome.skipped],
                    "summary": summary,
                }
                # ASCII (\u escapes): valid JSON on any terminal encoding.
                self.stdout.write(json.dumps(document, indent=2))
            else:
                self.prepare_terminal()
                self.render(profile, definitions, definitions_note, outcome, summary, verbosity)
            self.stdout.flush()
        except BrokenPipeError:  # `preflight | head`: the reader left; the status still counts
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        if status:
            sys.exit(status)

    def prepare_terminal(self) -> None:
        """Text the terminal's encoding cannot show is escaped, never a crash; the rules fall
        back to '=' where '═' cannot be shown."""
        stream = getattr(self.stdout, "_out", None)
        encoding = getattr(stream, "encoding", None) or "utf-8"
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
        try:
            RULE_CHAR.encode(encoding)
            self.rule_char = RULE_CHAR
        except (UnicodeEncodeError, LookupError):
            self.rule_char = "="

    def rule(self, title: str) -> None:
        head = f"{self.rule_char * 3} {title} "
        self.stdout.write(
            self.style.MIGRATE_HEADING(head + self.rule_char * (RULE_WIDTH - len(head)))
        )

    def render(self, profile, definitions, definitions_note, outcome, summary, verbosity):
        style = {
            OK: self.style.SUCCESS,
            INFO: self.style.HTTP_INFO,
            WARN: self.style.WARNING,
            ERROR: self.style.ERROR,
        }
        if verbosity >= 1:
            self.rule("System")
            for label, value in profile_rows(profile):
                self.stdout.write(f"{label}: {value}")
            if definitions_note:
                self.stdout.write(f"Pipelines: not shown, {definitions_note}")
            for definition in definitions:
                self.stdout.write(f"Pipeline: {definition_line(definition)}")
            self.rule("Checks")
        for result in outcome.results:
            if verbosity == 0 and result.level in (OK, INFO):
                continue
            line = f"{style[result.level](TAGS[result.level].ljust(4))} {result.message}"
            if verbosity >= 2:
                line += f"  [{result.id}, {result.duration_ms} ms]"
            self.stdout.write(line)
            if result.hint and (result.level not in (OK, INFO) or verbosity >= 2):
                self.stdout.write(f"     {result.hint}")
        if verbosity >= 2:
            for skip in outcome.skipped:
                self.stdout.write(f"SKIP {skip.id}: {skip.reason}")
        self.stdout.write(summary_line(len(outcome.results), summary))
