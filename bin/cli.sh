#!/usr/bin/env bash
# The operator's menu.
#
#   bin/cli.sh           main menu: System & Security, Health, Quit
#   bin/cli.sh system    straight to the System & Security menu
#   bin/cli.sh health    straight to the Health menu
#
# Every command runs from the project root, whatever the current directory. PREFLIGHT_ROOT
# overrides that root (default: the repository this script belongs to). End of input
# (Ctrl-D) leaves a menu; at the main menu it quits with status 0.
set -euo pipefail

BIN_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
PREFLIGHT_ROOT=${PREFLIGHT_ROOT:-$(dirname -- "$BIN_DIR")}
export PREFLIGHT_ROOT

usage() {
    cat <<'USAGE'
Usage: bin/cli.sh [system|health]

Without an argument: the main menu. With one: that menu directly.
  system   System & Security: preflight checks, production mode
  health   Health: runtime CPU, memory, disk and load (manage.py check_health)
USAGE
}

# shellcheck source=lib/common.sh
source "$BIN_DIR/lib/common.sh"

# Runs a sub-menu; a sub-menu that fails does not end the main menu.
submenu() {
    "$BIN_DIR/cli/$1.sh" || printf 'The %s menu ended with status %d\n' "$1" "$?" >&2
}

main_menu() {
    while true; do
        printf '\n═══ preflight ═══\n'
        printf '1) System & Security\n'
        printf '2) Health\n'
        printf '3) Quit\n'
        printf 'Choice: '
        if ! read_choice; then
            printf '\n'
            return 0
        fi
        case $choice in
            1 | s | system) submenu system ;;
            2 | h | health) submenu health ;;
            3 | q | quit | exit) return 0 ;;
            *) printf 'Invalid choice: %q (enter 1, 2 or 3)\n' "$choice" >&2 ;;
        esac
    done
}

if (($# > 1)); then
    usage >&2
    exit 2
fi
case ${1:-} in
    '') main_menu ;;
    system | health) exec "$BIN_DIR/cli/$1.sh" ;;
    -h | --help | help) usage ;;
    *)
        printf 'bin/cli.sh: unknown menu %q\n' "$1" >&2
        usage >&2
        exit 2
        ;;
esac
