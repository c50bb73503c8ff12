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
# Then it runs `uv run python manage.py preflight` from the project root and exits with its
# status: 0 ready for production, 1 preflight found errors.
#
# PREFLIGHT_ROOT overrides the project root (default: the repository this script belongs to).
set -euo pipefail

BIN_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
ROOT=${PREFLIGHT_ROOT:-$(dirname -- "$BIN_DIR")}
ENV_FILE=$ROOT/.env

case ${1:-} in
    '') ;;
    -h | --help)
        sed -n '2,18s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
        exit 0
        ;;
    *)
        printf 'set_production.sh: unexpected argument %q (see --help)\n' "$1" >&2
        exit 2
        ;;
esac

if [[ ! -e $ENV_FILE ]]; then
    printf 'set_production.sh: there is no .env in %s; nothing switched.\n' "$ROOT" >&2
    printf 'Create it first: cp .env.sample .env\n' >&2
    exit 1
fi
if [[ ! -f $ENV_FILE ]]; then
    printf 'set_production.sh: %s is not a regular file; nothing switched.\n' "$ENV_FILE" >&2
    exit 1
fi

python3 - "$ENV_FILE" <<'PYTHON'
"""Rewrite .env for production, keeping everything that is not ours byte for byte."""

import os
import re
import secrets
import string
import sys
import tempfile
import time

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

# An assignment as python-dotenv reads it: optional `export`, a key, `=`, a value.
ASSIGNMENT = re.compile(r"[ \t]*(?:export[ \t]+)?([^=#\s]+)[ \t]*=[ \t]*")
# Quoted values may span lines, so a line inside one is not an assignment.
QUOTED = {'"': re.compile(r'"((?:\\"|[^"])*)"'), "'": re.compile(r"'((?:\\'|[^'])*)'")}


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


def assignments(text):
    """(start, end, key, value) of each assignment; [start, end) spans its line(s) without
    the final newline."""
    found, pos = [], 0
    while pos < len(text):
        line_end = text.find("\n", pos)
        line_end = len(text) if line_end == -1 else line_end
        match = ASSIGNMENT.match(text, pos, line_end)
        if match:
            start = match.end()
            quoted = QUOTED.get(text[start : start + 1])
            quote = quoted.match(text, start) if quoted else None
            if quote:
                value = quote.group(1).replace("\\" + text[start], text[start])
                line_end = text.find("\n", quote.end())
                line_end = len(text) if line_end == -1 else line_end
            else:
                value = re.sub(r"\s+#.*", "", text[start:line_end]).strip()
            found.append((pos, line_end, match.group(1), value))
        pos = line_end + 1
    return found


def write_new(path, data, like):
    """Write `data` to a temp file beside `path` and move it over `path`, mode 600."""
    directory = os.path.dirname(path)
    fd, temp = tempfile.mkstemp(prefix=".env.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(temp, 0o600)
        keep_owner(temp, like)
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def keep_owner(path, like):
    """Run as root on someone else's .env: the new file stays theirs."""
    if os.geteuid() == 0 and (like.st_uid, like.st_gid) != (0, 0):
        try:
            os.chown(path, like.st_uid, like.st_gid)
        except OSError:
            pass


def backup(env_path, data, like):
    """Copy the old .env to .env.bak.<timestamp> (never overwriting one), mode 600."""
    base = f"{env_path}.bak.{time.strftime('%Y%m%d-%H%M%S')}"
    for n in range(1, 1000):
        name = base if n == 1 else f"{base}-{n}"
        try:
            fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(name, 0o600)
        keep_owner(name, like)
        return name
    fail("could not find a free backup name")


def main():
    env_path = sys.argv[1]
    real = os.path.realpath(env_path)  # a symlinked .env: rewrite the file it points at
    try:
        with open(real, "rb") as fh:
            data = fh.read()
        stat = os.stat(real)
    except OSError as exc:
        fail(f"cannot read {env_path} ({exc.strerror})")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        fail(f"{env_path} is not valid UTF-8")
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    text = text[len(bom) :]
    newline = "\r\n" if "\r\n" in text else "\n"

    found = assignments(text)
    edits = []  # (start, end, replacement)
    report = []
    for key, (wanted, is_right) in WANTED.items():
        mine = [a for a in found if a[2] == key]
        wrong = [a for a in mine if not is_right(a[3])]
        for start, end, _, value in wrong:
            edits.append((start, end, wanted))
            report.append(f"  {key}={wanted} (was {value or 'empty'})")
        if not mine:
            report.append(f"  {key}={wanted} (added)")

    secrets_found = [a for a in found if a[2] == SECRET]
    current = secrets_found[-1][3] if secrets_found else ""  # the last one wins
    if not is_strong(current):
        key = new_secret_key()
        edits.extend((start, end, key) for start, end, _, _ in secrets_found)
        why = "missing" if not current else "weak"
        what = "added" if not secrets_found else f"replaced a {why} one"
        report.append(f"  {SECRET}=<new {len(key)}-character key> ({what})")

    # Rewrite lines in place, from the end so that earlier offsets stay valid.
    for start, end, wanted in sorted(edits, reverse=True):
        line = text[start:end]
        head = re.match(r"[ \t]*(?:export[ \t]+)?[^=#\s]+", line).group(0)
        cr = "\r" if line.endswith("\r") else ""
        text = f"{text[:start]}{head}={wanted}{cr}{text[end:]}"

    missing = [(k, v) for k, (v, _) in WANTED.items() if not any(a[2] == k for a in found)]
    if not secrets_found:
        missing.append((SECRET, key))
    if missing:
        block = ["# Production mode, set by bin/set_production.sh"]
        block += [f"{k}={v}" for k, v in missing]
        ends_with_newline = text.endswith("\n")
        if text and not ends_with_newline:
            text += newline
        if text.strip():
            text += newline
        text += newline.join(block)
        if ends_with_newline or not data:
            text += newline

    new_data = (bom + text).encode("utf-8")
    if new_data == data:
        print(".env is already in production mode; nothing changed.")
        if stat.st_mode & 0o777 != 0o600:
            os.chmod(real, 0o600)
            print(".env permissions set to 600.")
        return

    saved = backup(env_path, data, stat)
    write_new(real, new_data, stat)
    print(f"Backed up .env to {os.path.basename(saved)}")
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
status=0
(cd -- "$ROOT" && uv run python manage.py preflight) </dev/null || status=$?
if ((status == 0)); then
    printf '✔ preflight passed (exit 0): this machine is ready for production.\n'
else
    printf '✘ preflight failed (exit %d): fix what it reports before serving production.\n' "$status"
    if ((status == 127)) && ! command -v uv >/dev/null; then
        printf '  uv is not installed or not on PATH\n'
    fi
fi
exit "$status"
