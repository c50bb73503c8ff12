"""Building hints: commands that work when pasted, as printed, in the project directory.

DESIGN.md section 5: "Hints are commands that exist in this repository and work as printed".
Everything variable in a hint (a path, a host, a value) is quoted for the shell here; `$(...)`
parts are written literally by the caller. No hint ever holds a secret: the redactor would mask
it and the command would no longer work.
"""

from __future__ import annotations

import shlex

SET_ENV = "bin/set_env.sh"

# A new key: 50 random bytes, URL-safe base64 (67 characters of A-Z a-z 0-9 - _: no quoting
# needed, and far past Django's rule of >= 50 characters and >= 5 distinct ones).
NEW_SECRET_KEY = (
    "bin/set_env.sh DJANGO_SECRET_KEY="
    "$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')"
)
NEW_CLUSTER_API_KEY = (
    "bin/set_env.sh CLUSTER_API_KEY="
    "$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')"
)
MANAGE = "uv run python manage.py"


def set_env(*assignments: str) -> str:
    """`bin/set_env.sh KEY=VALUE ...`, each assignment quoted for the shell."""
    return " ".join([SET_ENV, *(shlex.quote(assignment) for assignment in assignments)])


def ask_env(key: str) -> str:
    """`bin/set_env.sh --ask KEY`: prompts for the value without echoing it (for secrets and
    URLs that hold a password), so the value never needs to be in the hint."""
    return f"{SET_ENV} --ask {key}"


def command(*words: str) -> str:
    """A command line with each word quoted for the shell."""
    return shlex.join(words)


def manage(*words: str, database: str = "default") -> str:
    """`uv run python manage.py ...`, naming the database when it is not the default one."""
    if database != "default":
        words = (*words, "--database", database)
    return f"{MANAGE} {command(*words)}"
