#!/usr/bin/env bash
# Set variables in the project's .env, keeping every other line, comment and byte as it is.
#
#   bin/set_env.sh KEY=VALUE [KEY=VALUE ...]
#   bin/set_env.sh --ask KEY          prompt for the value, not echoed (for keys and passwords)
#
# A key that is in .env is rewritten in place, every occurrence of it, keeping an `export `
# prefix (an inline comment on that line goes with the old value); a key that is not is appended
# at the end. A line whose value is already the one given is left exactly as it is. Values are
# written so that python-dotenv reads back exactly what was given: single-quoted when they hold
# spaces, #, quotes, $ or anything but letters, digits and _@%+=:,./~^-. One-line values only.
# CRLF files keep CRLF (on the lines rewritten and the lines appended); a byte-order mark and a
# missing final newline stay as they are.
#
# When something changes, the old file is first backed up as .env.bak.<timestamp> (mode 600) and
# the new one replaces it atomically, mode 600; a second run changes nothing and makes no backup.
# Without a .env, one is created from .env.sample (mode 600) first. The values of secret-looking
# keys (SECRET, PASSWORD, TOKEN, KEY... in the name) are never printed.
#
# Options: --ask KEY (the value from the terminal, or one line of stdin when it is not one),
# --quiet (print only the backup's name), --comment '# TEXT' (a comment line above the keys
# appended). Exit status: 0 done, 1 refused (nothing changed), 2 bad arguments.
#
# PREFLIGHT_ROOT overrides the project root (default: the repository this script belongs to).
# The work is done by bin/lib/env_file.py, with python-dotenv's parser, in the project's Python:
# $PREFLIGHT_PYTHON when set, else this repository's .venv/bin/python, else
# `uv run --project REPO python` (REPO: this script's repository, whatever PREFLIGHT_ROOT says),
# which creates .venv in a fresh clone.
set -euo pipefail

BIN_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(dirname -- "$BIN_DIR")
ROOT=${PREFLIGHT_ROOT:-$REPO}

case ${1:-} in
    -h | --help)
        sed -n '2,29s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
        exit 0
        ;;
esac

# shellcheck source=lib/common.sh
source "$BIN_DIR/lib/common.sh"
project_python "$REPO"
exec "${python[@]}" "$BIN_DIR/lib/env_file.py" "$ROOT" "$@"
