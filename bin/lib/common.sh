# shellcheck shell=bash
# Shared by the scripts in bin/: sourced, never run.

# Reads one line of input into $choice, without blanks and in lower case.
# Fails at end of input.
read_choice() {
    choice=''
    if ! IFS= read -r choice && [[ -z $choice ]]; then
        return 1
    fi
    choice=${choice//[[:space:]]/}
    choice=${choice,,}
}

# Sets the array $python to the project's interpreter (python-dotenv is there, not in the
# system python3): $PREFLIGHT_PYTHON, else the repository's .venv, else `uv run`.
# $1: the repository (the scripts' own, not $PREFLIGHT_ROOT).
# shellcheck disable=SC2034  # $python is for the caller
project_python() {
    if [[ -n ${PREFLIGHT_PYTHON:-} ]]; then
        python=("$PREFLIGHT_PYTHON")
    elif [[ -f $1/.venv/bin/python && -x $1/.venv/bin/python ]]; then
        python=("$1/.venv/bin/python")
    else
        python=(uv run --project "$1" python)
    fi
}
