"""Reading configuration from `.env` and the environment without ever refusing to load.

Settings must always load so that preflight can run and say what is wrong: a missing or bad
value falls back to its safe default and is recorded as a `ConfigProblem`, which the
`checkers` system check reports as `checkers.E0xx`.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})

# Django system-check codes, one per kind of problem.
BAD_BOOLEAN = "E001"
BAD_NUMBER = "E002"
BAD_CHOICE = "E003"
BAD_DATABASE_URL = "E004"
MISSING_SECRET_KEY = "E005"


@dataclass(frozen=True)
class ConfigProblem:
    code: str
    variable: str
    message: str  # never holds the value of a secret


@dataclass
class EnvFile:
    """What `.env` holds, as python-dotenv parses it, and what is wrong with the file itself."""

    path: Path
    exists: bool = False
    values: dict[str, str | None] = field(default_factory=dict)
    has_bom: bool = False
    has_crlf: bool = False
    bad_lines: list[int] = field(default_factory=list)
    error: str = ""  # set when the file exists but cannot be read as text


def read_env_file(path: Path) -> EnvFile:
    """Parse an env file with python-dotenv, without interpolation, never raising."""
    from dotenv.parser import parse_stream  # imported here: only needed when a file exists

    result = EnvFile(path=path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return result
    except IsADirectoryError:
        result.exists = True
        result.error = "is a directory, not a file"
        return result
    except OSError as exc:
        result.exists = True
        result.error = f"cannot be read ({exc.strerror or type(exc).__name__})"
        return result
    result.exists = True
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        result.error = f"is not valid UTF-8 (line {line})"
        return result
    result.has_bom = data.startswith(b"\xef\xbb\xbf")
    result.has_crlf = b"\r\n" in data
    # python-dotenv miscounts lines after a CRLF, and line numbers are what we report.
    for binding in parse_stream(io.StringIO(text.replace("\r\n", "\n"))):
        if binding.error:
            result.bad_lines.append(binding.original.line)
        elif binding.key is not None:
            result.values[binding.key] = binding.value
    return result


def load_env_file(path: Path, environ: MutableMapping[str, str]) -> EnvFile:
    """Put `.env` values into the environment; real environment variables win."""
    env_file = read_env_file(path)
    for key, value in env_file.values.items():
        if value is not None:
            environ.setdefault(key, value)
    return env_file


def parse_bool(text: str) -> bool | None:
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


def on_off(value: bool) -> str:
    return "on" if value else "off"


class Env:
    """Typed reads of environment variables that record problems instead of raising."""

    def __init__(self, environ: MutableMapping[str, str]):
        self.environ = environ
        self.problems: list[ConfigProblem] = []

    def _problem(self, code: str, variable: str, message: str) -> None:
        self.problems.append(ConfigProblem(code, variable, message))

    def raw(self, name: str) -> str | None:
        """The stripped value, or None when unset or blank."""
        value = self.environ.get(name, "").strip()
        return value or None

    def str(self, name: str, default: str = "") -> str:
        value = self.raw(name)
        return default if value is None else value

    def bool(self, name: str, default: bool) -> bool:
        value = self.raw(name)
        if value is None:
            return default
        parsed = parse_bool(value)
        if parsed is None:
            self._problem(
                BAD_BOOLEAN,
                name,
                f"{name}={value!r} is not a boolean (use 1/0, true/false, yes/no or on/off); "
                f"using {on_off(default)}",
            )
            return default
        return parsed

    def int(self, name: str, default: int, minimum: int, maximum: int) -> int:
        value = self.raw(name)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            number = None
        if number is None or not minimum <= number <= maximum:
            self._problem(
                BAD_NUMBER,
                name,
                f"{name}={value!r} is not a whole number from {minimum} to {maximum}; "
                f"using {default}",
            )
            return default
        return number

    def seconds(self, name: str, default: float) -> float:
        value = self.raw(name)
        if value is None:
            return default
        try:
            number = float(value)
        except ValueError:
            number = None
        if number is None or not 0 < number <= 600:
            self._problem(
                BAD_NUMBER,
                name,
                f"{name}={value!r} is not a number of seconds from 0 to 600; using {default:g}",
            )
            return default
        return number

    def choice(
        self,
        name: str,
        default: str,
        choices: Iterable[str],
        aliases: dict | None = None,
        fallback: str | None = None,
    ) -> str:
        """One of `choices` (case-insensitive); a bad value gives `fallback` (else `default`)."""
        value = self.raw(name)
        if value is None:
            return default
        word = value.lower()
        word = (aliases or {}).get(word, word)
        choices = tuple(choices)
        if word in choices:
            return word
        safe = default if fallback is None else fallback
        self._problem(
            BAD_CHOICE,
            name,
            f"{name}={value!r} is not one of {', '.join(choices)}; using {safe}",
        )
        return safe

    def list(self, name: str, default: list[str]) -> list[str]:
        """Comma list. Blanks from trailing commas are dropped; inner blanks and padding are kept
        so that the allowed-hosts check can point at them."""
        value = self.environ.get(name)
        if value is None or not value.strip():
            return list(default)
        return value.strip().rstrip(",").split(",")

    def secret_key(self, name: str, dev_default: str, is_dev: bool) -> str:
        value = self.raw(name)
        if value is not None:
            return value
        if is_dev:
            return dev_default
        self._problem(
            MISSING_SECRET_KEY, name, f"{name} is not set; production needs a secret key of its own"
        )
        return ""  # Django then refuses to sign anything rather than use a known key

    def database(self, name: str, default_url: str, base_dir: Path) -> dict:
        """A DATABASES entry; relative SQLite paths are taken from the project directory."""
        import dj_database_url

        value = self.raw(name)
        config = None
        if value is not None:
            try:
                config = dj_database_url.parse(value)
            except Exception as exc:  # dj-database-url raises several types for bad URLs
                scheme = urlsplit(value).scheme or "?"
                self._problem(
                    BAD_DATABASE_URL,
                    name,
                    f"{name} (scheme {scheme!r}) is not a database URL that dj-database-url "
                    f"understands ({type(exc).__name__}); using {default_url}",
                )
        if config is None:
            config = dj_database_url.parse(default_url)
        if config["ENGINE"].endswith("sqlite3") and config["NAME"] != ":memory:":
            config["NAME"] = str(base_dir / config["NAME"])
        if config["ENGINE"].endswith("postgresql"):
            # Without it a silent server would block a request forever.
            config.setdefault("OPTIONS", {}).setdefault("connect_timeout", 10)
        return config
