#!/usr/bin/env bash
# Install the project's conveniences for the current user. Each is idempotent: running it
# again changes nothing, and existing lines of your files are kept as they are.
#
#   bin/install.sh aliases     source bin/aliases.sh from your shell rc
#                              (~/.zshrc when $SHELL is zsh, else ~/.bashrc)
#   bin/install.sh cron        run preflight every hour from your crontab
#   bin/install.sh precommit   install the git pre-commit hooks (uv run pre-commit install)
#
# PREFLIGHT_ROOT overrides the project directory (default: the repository this script
# belongs to).
set -euo pipefail

BIN_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
PREFLIGHT_ROOT=${PREFLIGHT_ROOT:-$(dirname -- "$BIN_DIR")}
CRON_MARKER='# preflight'
ALIASES_MARKER='# preflight aliases'

usage() {
    cat <<'USAGE'
Usage: bin/install.sh aliases|cron|precommit

  aliases     add one line that sources bin/aliases.sh to your shell rc
              (~/.zshrc when $SHELL is zsh, else ~/.bashrc)
  cron        add an hourly `manage.py preflight --verbosity 0` line to your crontab
  precommit   install the git pre-commit hooks (uv run pre-commit install)
USAGE
}

die() {
    printf 'bin/install.sh: %s\n' "$*" >&2
    exit 1
}

# The project path goes into shell and crontab lines inside double quotes: refuse the few
# characters that would need more than that.
check_root() {
    case $PREFLIGHT_ROOT in
        *[\"\$\`\\%]* | *$'\n'*)
            die "the project path contains a character this script will not quote: $PREFLIGHT_ROOT"
            ;;
    esac
}

# Whether a text (on stdin) has an uncommented line that names the path as a whole (not
# /srv/app-old for /srv/app): the rule of the preflight check install.cron.
mentions_path() { # path
    local line
    while IFS= read -r line || [[ -n $line ]]; do
        [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
        case " $line " in
            *[!A-Za-z0-9_./-]"$1"[!A-Za-z0-9_.-]*) return 0 ;;
        esac
    done
    return 1
}

# Whether a shell rc (on stdin) has an uncommented `source FILE` or `. FILE` line for the
# file: the rule of the preflight check install.aliases.
sources_file() { # file
    local line
    while IFS= read -r line || [[ -n $line ]]; do
        [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
        if [[ $line =~ (^|[[:space:]\;\&\|])(source|\.)[[:space:]]+[\"\']?"$1"([\"\'[:space:]\;\&\|]|$) ]]; then
            return 0
        fi
    done
    return 1
}

shell_rc() {
    case ${SHELL:-} in
        *zsh) printf '%s/.zshrc\n' "$HOME" ;;
        *) printf '%s/.bashrc\n' "$HOME" ;;
    esac
}

install_aliases() {
    [[ -n ${HOME:-} ]] || die "HOME is not set"
    local rc aliases line
    rc=$(shell_rc)
    aliases="$PREFLIGHT_ROOT/bin/aliases.sh"
    line="source \"$aliases\"  $ALIASES_MARKER"
    if [[ -f $rc ]] && sources_file "$aliases" <"$rc"; then
        printf '%s already sources %s\n' "$rc" "$aliases"
        return 0
    fi
    # Keep the last line whole when the file does not end with a newline.
    if [[ -s $rc && -n $(tail -c 1 -- "$rc") ]]; then
        printf '\n' >>"$rc"
    fi
    printf '%s\n' "$line" >>"$rc"
    printf 'Added to %s:\n  %s\nOpen a new shell, or run: source %s\n' "$rc" "$line" "$rc"
}

install_cron() {
    command -v crontab >/dev/null 2>&1 ||
        die "crontab is not installed (install cron, e.g. sudo apt-get install cron)"
    # cron runs jobs with a minimal PATH (/usr/bin:/bin), where uv is usually missing: the
    # line calls uv by the absolute path it has now (if uv moves: crontab -e).
    local uv
    uv=$(command -v uv) || die "uv is not on PATH; install it first: pip install uv"
    case $uv in
        /*) ;;
        *) die "uv is not an executable file on PATH (found: $uv)" ;;
    esac
    case $uv in
        *[\"\$\`\\%]* | *$'\n'*) die "the path of uv contains a character cron cannot take: $uv" ;;
    esac
    local status
    work=$(mktemp -d) # global: the EXIT trap runs after this function has returned
    trap 'rm -rf -- "$work"' EXIT
    # `crontab -l` fails with "no crontab for USER" when there is none yet: an empty table.
    if crontab -l >"$work/table" 2>"$work/errors"; then
        status=0
    else
        status=$?
    fi
    if ((status != 0)); then
        grep -qi 'no crontab' "$work/errors" || {
            cat "$work/errors" >&2
            die "crontab -l failed (exit $status)"
        }
        : >"$work/table"
    fi
    if mentions_path "$PREFLIGHT_ROOT" <"$work/table"; then
        printf 'Your crontab already runs %s\n' "$PREFLIGHT_ROOT"
        return 0
    fi
    local line="17 * * * * cd \"$PREFLIGHT_ROOT\" && \"$uv\" run python manage.py preflight --verbosity 0  $CRON_MARKER"
    # Every existing line is kept as it is; cron needs the table to end with a newline.
    if [[ -s $work/table && -n $(tail -c 1 -- "$work/table") ]]; then
        printf '\n' >>"$work/table"
    fi
    printf '%s\n' "$line" >>"$work/table"
    crontab - <"$work/table" || die "crontab - refused the new table"
    printf 'Added to your crontab:\n  %s\n' "$line"
    printf 'It runs at minute 17 of every hour; cron mails its WARN and ERR rows (and the summary)\n'
    printf 'to you when mail is set up, and every run is logged in LOGS_DIR/checks.log.\n'
}

install_precommit() {
    cd -- "$PREFLIGHT_ROOT"
    uv run pre-commit install
}

main() {
    if (($# != 1)); then
        usage >&2
        exit 2
    fi
    case $1 in
        aliases)
            check_root
            install_aliases
            ;;
        cron)
            check_root
            install_cron
            ;;
        precommit) install_precommit ;;
        -h | --help | help) usage ;;
        *)
            printf 'bin/install.sh: unknown command: %s\n' "$1" >&2
            usage >&2
            exit 2
            ;;
    esac
}

main "$@"
