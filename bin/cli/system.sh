#!/usr/bin/env bash
# System & Security menu: preflight checks and production mode.
# Run it alone or from bin/cli.sh. PREFLIGHT_ROOT overrides the project root.
set -euo pipefail

BIN_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
ROOT=${PREFLIGHT_ROOT:-$(dirname -- "$BIN_DIR")}

# shellcheck source=../lib/common.sh
source "$BIN_DIR/lib/common.sh"

# Shows a command, runs it from the project root (stdin closed, so it cannot eat the menu's
# input) and reports success or failure from its exit status.
run() {
    printf '→ %s\n' "$*"
    local status=0
    (cd -- "$ROOT" && PREFLIGHT_ROOT=$ROOT "$@") </dev/null || status=$?
    if ((status == 0)); then
        printf '✔ Succeeded (exit 0)\n'
    else
        printf '✘ Failed (exit %d)\n' "$status"
        if ((status == 127)) && ! command -v "$1" >/dev/null; then
            printf '  %s is not installed or not on PATH\n' "$1"
        fi
    fi
}

set_production() {
    printf 'Switch %s/.env to production (DJANGO_ENV=prod, DEBUG off, eager tasks off)? [y/N] ' "$ROOT"
    if ! read_choice; then
        printf '\n'
    fi
    case $choice in
        y | yes) run "$BIN_DIR/set_production.sh" ;;
        *) printf 'Cancelled: .env not changed\n' ;;
    esac
}

while true; do
    printf '\n═══ System & Security ═══\n'
    printf '1) Run preflight checks\n'
    printf '2) Set production mode\n'
    printf '3) Back to main menu\n'
    printf 'Choice: '
    if ! read_choice; then
        printf '\n'
        exit 0
    fi
    case $choice in
        1) run uv run python manage.py preflight ;;
        2) set_production ;;
        3 | b | back | q | quit) exit 0 ;;
        *) printf 'Invalid choice: %q (enter 1, 2 or 3)\n' "$choice" >&2 ;;
    esac
done
