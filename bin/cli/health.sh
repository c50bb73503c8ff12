#!/usr/bin/env bash
# Health menu: runtime CPU, memory, disk and load (manage.py check_health).
# Run it alone or from bin/cli.sh. PREFLIGHT_ROOT overrides the project root.
set -euo pipefail

BIN_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
ROOT=${PREFLIGHT_ROOT:-$(dirname -- "$BIN_DIR")}

# shellcheck source=../lib/common.sh
source "$BIN_DIR/lib/common.sh"

# Shows a command, runs it from the project root (stdin closed, so it cannot eat the menu's
# input) and reports the result from its exit status (check_health: 0 ok, 1 warning,
# 2 critical, 3 bad options).
run() {
    printf '→ %s\n' "$*"
    local status=0
    (cd -- "$ROOT" && "$@") </dev/null || status=$?
    case $status in
        0) printf '✔ Healthy (exit 0)\n' ;;
        1) printf '⚠ Warning (exit 1)\n' ;;
        2) printf '✘ Critical (exit 2)\n' ;;
        *)
            printf '✘ Failed (exit %d)\n' "$status"
            if ((status == 127)) && ! command -v "$1" >/dev/null; then
                printf '  %s is not installed or not on PATH\n' "$1"
            fi
            ;;
    esac
}

while true; do
    printf '\n═══ Health ═══\n'
    printf '1) Run all health checks\n'
    printf '2) Health checks as JSON\n'
    printf '3) Back to main menu\n'
    printf 'Choice: '
    if ! read_choice; then
        printf '\n'
        exit 0
    fi
    case $choice in
        1) run uv run python manage.py check_health ;;
        2) run uv run python manage.py check_health --json ;;
        3 | b | back | q | quit) exit 0 ;;
        *) printf 'Invalid choice: %q (enter 1, 2 or 3)\n' "$choice" >&2 ;;
    esac
done
