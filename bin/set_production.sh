#!/usr/bin/env bash
# Switch the project's .env to production mode, then run preflight.
#
#   bin/set_production.sh
#
# Sets DJANGO_ENV=prod, DJANGO_DEBUG=0 and CELERY_TASK_ALWAYS_EAGER=0, and a newly generated
# DJANGO_SECRET_KEY when the current one is missing or weak (under 50 characters, under 5
# distinct characters, or Django's "django-insecure-" development key). Every other line, comment
# and byte of .env stays as it was: a key that is there is rewritten in place (keeping an
# `export ` prefix), a key that is not is appended at the end. The old file is backed up first
# (.env.bak.<timestamp>, mode 600) and the new one replaces it atomically, with mode 600.
# A second run changes nothing and makes no backup.
#
# The rewriting is bin/set_env.sh's (set_env.sh --help): this script decides which values change.
# Then it runs `uv run python manage.py preflight` from the project root and exits with its
# status: 0 no errors (ready for production when there are no warnings either; the warnings are
# counted from preflight's summary line), 1 preflight found errors.
#
# PREFLIGHT_ROOT overrides the project root (default: the repository this script belongs to).
# .env is read with python-dotenv's parser (bin/lib/env_file.py) in the project's Python, found
# as set_env.sh finds it: $PREFLIGHT_PYTHON when set, else this repository's .venv/bin/python,
# else `uv run --project REPO python` (REPO: this script's repository, whatever PREFLIGHT_ROOT
# says), which creates .venv in a fresh clone.
set -euo pipefail

BIN_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(dirname -- "$BIN_DIR")
ROOT=${PREFLIGHT_ROOT:-$REPO}
ENV_FILE=$ROOT/.env

case ${1:-} in
    '') ;;
    -h | --help)
        sed -n '2,24s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
        exit 0
        ;;
    *)
        printf 'set_production.sh: unexpected argument %q (see --help)\n' "$1" >&2
        exit 2
        ;;
esac

if [[ ! -e $ENV_FILE ]]; then
    printf 'set_production.sh: there is no .env in %s; nothing switched.\n' "$ROOT" >&2
    printf 'Create it first: install -m 600 .env.sample .env\n' >&2
    exit 1
fi
if [[ ! -f $ENV_FILE ]]; then
    printf 'set_production.sh: %s is not a regular file; nothing switched.\n' "$ENV_FILE" >&2
    exit 1
fi

# shellcheck source=lib/common.sh
source "$BIN_DIR/lib/common.sh"
project_python "$REPO"

# Decide which values must change; bin/set_env.sh does the rewriting (backup, atomic replace,
# mode 600). The new key reaches it on stdin (--ask), never on a command line.
"${python[@]}" - "$ENV_FILE" "$BIN_DIR" "$ROOT" <<'PYTHON'
"""Decide what production mode changes in .env, and have bin/set_env.sh write it."""

import os
import secrets
import string
import subprocess
import sys

ENV_PATH, BIN_DIR, ROOT = sys.argv[1:4]
sys.dont_write_bytecode = True  # no __pycache__ left in bin/lib
sys.path.insert(0, os.path.join(BIN_DIR, "lib"))
import env_file  # noqa: E402  (bin/lib/env_file.py: what set_env.sh runs)

PROD_WORDS = {"prod", "production"}
FALSE_WORDS = {"0", "false", "no", "off"}
SECRET = "DJANGO_SECRET_KEY"
# key -> (value to write, is the current value already right?)
WANTED = {
    "DJANGO_ENV": ("prod", lambda v: v.strip().lower() in PROD_WORDS),
    "DJANGO_DEBUG": ("0", lambda v: v.strip().lower() in FALSE_WORDS),
    "CELERY_TASK_ALWAYS_EAGER": ("0", lambda v: v.strip().lower() in FALSE_WORDS),
}
# A key that needs no quoting anywhere: letters, digits, - and _ (6 bits each, 384 in all).
KEY_ALPHABET = string.ascii_letters + string.digits + "-_"
COMMENT = "# Production mode, set by bin/set_production.sh"


def fail(message):
    print(f"set_production.sh: {message}; nothing switched.", file=sys.stderr)
    sys.exit(1)


def is_strong(key):
    return len(key) >= 50 and len(set(key)) >= 5 and not key.startswith("django-insecure-")


def new_secret_key():
    while True:
        key = "".join(secrets.choice(KEY_ALPHABET) for _ in range(64))
        if is_strong(key):
            return key


def main():
    real = os.path.realpath(ENV_PATH)
    try:
        _bom, text = env_file.decode(env_file.read_file(real, ENV_PATH), ENV_PATH)
    except env_file.Refused as exc:
        fail(str(exc))
    found = env_file.parse(text)

    arguments = []  # for set_env.sh, in the order missing keys are appended
    report = []
    for key, (wanted, is_right) in WANTED.items():
        mine = [b for b in found if b.key == key]
        wrong = [b for b in mine if not is_right(b.value or "")]
        if wrong:
            arguments.append(f"{key}={wanted}")
            was = ", ".join(dict.fromkeys(b.value or "empty" for b in wrong))
            report.append(f"  {key}={wanted} (was {was})")
        elif not mine:
            arguments.append(f"{key}={wanted}")
            report.append(f"  {key}={wanted} (added)")

    secret_bindings = [b for b in found if b.key == SECRET]
    current = (secret_bindings[-1].value or "") if secret_bindings else ""  # the last one wins
    key = ""
    if not is_strong(current):
        key = new_secret_key()
        arguments += ["--ask", SECRET]
        why = "missing" if not current else "weak"
        what = "added" if not secret_bindings else f"replaced a {why} one"
        report.append(f"  {SECRET}=<new {len(key)}-character key> ({what})")

    if not arguments:
        print(".env is already in production mode; nothing changed.")
        if os.stat(real).st_mode & 0o777 != 0o600:
            os.chmod(real, 0o600)
            print(".env permissions set to 600.")
        return

    completed = subprocess.run(
        [os.path.join(BIN_DIR, "set_env.sh"), "--quiet", "--comment", COMMENT, *arguments],
        input=key + "\n" if key else "",
        text=True,
        env={**os.environ, "PREFLIGHT_ROOT": ROOT},
        check=False,
    )
    if completed.returncode != 0:
        print("set_production.sh: .env was not switched.", file=sys.stderr)
        sys.exit(completed.returncode)
    print(".env switched to production (mode 600):")
    print("\n".join(report))


def warn_about_environment():
    """Real environment variables win over .env (python-dotenv does not override them)."""
    for name in (*WANTED, SECRET):
        if name in os.environ:
            print(
                f"Note: {name} is also set in the environment, which wins over .env; "
                "unset it for the .env value to apply.",
                file=sys.stderr,
            )


main()
warn_about_environment()
PYTHON

printf '\n→ uv run python manage.py preflight\n'
# Its output is captured to read the summary line ("N checks: P passed, W warnings, E errors"),
# then shown; colours are kept when this script's output is a terminal.
color=()
if [[ -t 1 ]]; then
    color=(--force-color)
fi
status=0
output=$(cd -- "$ROOT" && uv run python manage.py preflight ${color[@]+"${color[@]}"} </dev/null) ||
    status=$?
if [[ -n $output ]]; then
    printf '%s\n' "$output"
fi
warnings=
summary='^[0-9]+ checks?: [0-9]+ passed, ([0-9]+) warnings?, [0-9]+ errors?$'
while IFS= read -r line; do
    if [[ $line =~ $summary ]]; then
        warnings=${BASH_REMATCH[1]}
    fi
done <<<"$output"
if ((status != 0)); then
    printf '✘ preflight failed (exit %d): fix what it reports before serving production.\n' "$status"
    if ((status == 127)) && ! command -v uv >/dev/null; then
        printf '  uv is not installed or not on PATH\n'
    fi
elif [[ $warnings == 0 ]]; then
    printf '✔ preflight passed (exit 0): this machine is ready for production.\n'
elif [[ -n $warnings ]]; then
    noun=warnings
    if ((warnings == 1)); then
        noun=warning
    fi
    printf '✔ preflight passed (exit 0) with %d %s: review them above before serving production.\n' \
        "$warnings" "$noun"
else
    printf '✔ preflight passed (exit 0): no errors; review its output above before serving production.\n'
fi
exit "$status"
