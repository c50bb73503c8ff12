# shellcheck shell=bash
# Shell aliases for this project's commands. Source it from ~/.bashrc or ~/.zshrc, which
# `bin/install.sh aliases` does for you:
#
#   source /path/to/project/bin/aliases.sh
#
# Each alias runs from the project directory, whatever the current one, and passes on its
# arguments (`preflight --json`, `preflight-health -v 0`):
#
#   preflight          uv run python manage.py preflight
#   preflight-check    uv run python manage.py check
#   preflight-health   uv run python manage.py check_health
#   preflight-cli      bin/cli.sh (the operator's menu)
#   preflight-manage   uv run python manage.py ...
#
# Works in bash and zsh; sets no shell options and leaves no variables behind.

# bash: BASH_SOURCE; zsh: $0 is the sourced file.
__preflight_home=$(cd -- "$(dirname -- "${BASH_SOURCE[0]:-$0}")/.." && pwd -P) || return 1
__preflight_quoted=$(printf '%q' "$__preflight_home")

# shellcheck disable=SC2139  # expanded now, on purpose: the aliases hold the project's path
alias preflight-manage="uv run --directory $__preflight_quoted python manage.py"
# shellcheck disable=SC2139
alias preflight="uv run --directory $__preflight_quoted python manage.py preflight"
# shellcheck disable=SC2139
alias preflight-check="uv run --directory $__preflight_quoted python manage.py check"
# shellcheck disable=SC2139
alias preflight-health="uv run --directory $__preflight_quoted python manage.py check_health"
# shellcheck disable=SC2139
alias preflight-cli="$__preflight_quoted/bin/cli.sh"

unset __preflight_home __preflight_quoted
