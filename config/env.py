"""Reading configuration from `.env` and the environment without ever refusing to load.

Settings must always load so that preflight can run and say what is wrong: a missing or bad
value falls back to its safe default and is recorded as a `ConfigProblem`, which the
`checkers` system check reports as `checkers.E0xx`.
"""

from __future__ import annotations

import io
import os
import re
import stat
from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})

# Django system-check codes, one per kind of problem.
BAD_BOOLEAN = "E001"
BAD_NUMBER = "E002"
BAD_CHOICE = "E003"
BAD_DATABASE_URL = "E004"
MISSING_SECRET_KEY = "E005"
THRESHOLDS_OUT_OF_ORDER = "E006"

MAX_FILE_BYTES = 1024 * 1024  # .env and friends are small; anything larger is a mistake
SHOWN_VALUE_LENGTH = 40  # bad values are quoted in messages up to this length

# A commented-out assignment (`# KEY=value`) documents an optional variable in .env.sample.
COMMENTED_KEY = re.compile(r"^\s*#\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=")


@dataclass(frozen=True)
class ConfigProblem:
    code: str
    variable: str
    message: str  # never holds the value of a secret
    fallback: str = ""  # the safe value used instead; "" when there is none to suggest


@dataclass
class EnvFile:
    """What `.env` holds, as python-dotenv parses it, and what is wrong with the file itself."""

    path: Path
    exists: bool = False
    values: dict[str, str] = field(default_factory=dict)
    has_bom: bool = False
    has_crlf: bool = False
    bad_lines: list[int] = field(default_factory=list)
    commented_keys: set[str] = field(default_factory=set)  # from `# KEY=value` lines
    undecodable_lines: list[int] = field(default_factory=list)  # not UTF-8, or a NUL byte
    ends_with_newline: bool = True  # False: text appended to it must start a line first
    error: str = ""  # set when the file exists but cannot be read as text


class UnsafeFile(ValueError):
    """A path that is not a small regular file: reading it could block or never end."""


def read_small_file(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file of at most `limit` bytes, without ever blocking: a FIFO, a
    device (/dev/zero) or a huge file raises UnsafeFile; a missing one FileNotFoundError."""

    def nonblocking(name, flags):
        return os.open(name, flags | os.O_NONBLOCK)

    with open(path, "rb", opener=nonblocking) as stream:
        if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
            raise UnsafeFile("is not a regular file")
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise UnsafeFile(f"is larger than {limit // 1024} KiB")
    return data


def read_env_file(path: Path) -> EnvFile:
    """Parse an env file with python-dotenv, without interpolation, never raising or blocking.
    A line that is not UTF-8 text is ignored (and numbered) rather than losing the file."""
    from dotenv.parser import parse_stream  # imported here: only needed when a file exists

    result = EnvFile(path=path)
    try:
        data = read_small_file(path)
    except FileNotFoundError:
        return result
    except IsADirectoryError:
        result.exists = True
        result.error = "is a directory, not a file"
        return result
    except UnsafeFile as exc:
        result.exists = True
        result.error = str(exc)
        return result
    except OSError as exc:
        result.exists = True
        result.error = f"cannot be read ({exc.strerror or type(exc).__name__})"
        return result
    result.exists = True
    result.has_bom = data.startswith(b"\xef\xbb\xbf")
    result.has_crlf = b"\r\n" in data
    result.ends_with_newline = not data or data.endswith(b"\n")
    # Line by line: python-dotenv miscounts lines after a CRLF, and one bad byte in a comment
    # must not throw away every setting.
    lines = []
    for number, raw in enumerate(data.removeprefix(b"\xef\xbb\xbf").split(b"\n"), start=1):
        try:
            line = raw.removesuffix(b"\r").decode("utf-8")
        except UnicodeDecodeError:
            line = "\x00"
        if "\x00" in line:  # not text (and the OS refuses NUL in a variable)
            result.undecodable_lines.append(number)
            line = ""
        match = COMMENTED_KEY.match(line)
        if match:
            result.commented_keys.add(match.group(1))
        lines.append(line)
    for binding in parse_stream(io.StringIO("\n".join(lines))):
        if binding.error or (binding.key is not None and binding.value is None):
            # A bare word without "=" sets nothing: report its line, never print it (it may be
            # the body of a multi-line secret).
            result.bad_lines.append(binding.original.line)
        elif binding.key is not None:
            result.values[binding.key] = binding.value
    return result


def load_env_file(path: Path, environ: MutableMapping[str, str]) -> EnvFile:
    """Put `.env` values into the environment; real environment variables win."""
    env_file = read_env_file(path)
    for key, value in env_file.values.items():
        environ.setdefault(key, value)
    return env_file


def url_scheme(url: str) -> str:
    return url.split("://", 1)[0] if "://" in url else "?"


def backend_problem(engine: str) -> str:
    """What loading a database backend lacks (a driver, GDAL...), or "" when it loads."""
    from importlib import import_module

    try:
        import_module(f"{engine}.base")
    except Exception as exc:  # ImportError, ImproperlyConfigured, OSError from native libraries
        backend = engine.rsplit(".", 1)[-1]
        return f"the {backend} backend, which cannot load here ({type(exc).__name__})"
    return ""


def shown(value: str) -> str:
    """A bad value as a message quotes it: repr, cut short (it may be a pasted secret)."""
    if len(value) > SHOWN_VALUE_LENGTH:
        value = value[:SHOWN_VALUE_LENGTH] + "..."
    return repr(value)


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

    def _problem(self, code: str, variable: str, message: str, fallback: str = "") -> None:
        self.problems.append(ConfigProblem(code, variable, message, fallback))

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
                f"{name}={shown(value)} is not a boolean (use 1/0, true/false, yes/no or on/off); "
                f"using {on_off(default)}",
                on_off(default),
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
                f"{name}={shown(value)} is not a whole number from {minimum} to {maximum}; "
                f"using {default}",
                str(default),
            )
            return default
        return number

    def thresholds(self, warn_name: str, crit_name: str, warn: int, crit: int) -> tuple[int, int]:
        """A WARN and a CRIT percentage; WARN above CRIT falls back to both defaults."""
        warn_value = self.int(warn_name, warn, 0, 100)
        crit_value = self.int(crit_name, crit, 0, 100)
        if warn_value > crit_value:
            self._problem(
                THRESHOLDS_OUT_OF_ORDER,
                warn_name,
                f"{warn_name}={warn_value} is above {crit_name}={crit_value}; "
                f"using {warn} and {crit}",
                str(min(warn, crit_value)),
            )
            return warn, crit
        return warn_value, crit_value

    def seconds(self, name: str, default: float) -> float:
        value = self.raw(name)
        if value is None:
            return default
        try:
            number = float(value)
        except ValueError:
            number = None
        if number is None or not 0.1 <= number <= 600:
            self._problem(
                BAD_NUMBER,
                name,
                f"{name}={shown(value)} is not a number of seconds from 0.1 to 600; "
                f"using {default:g}",
                f"{default:g}",
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
            f"{name}={shown(value)} is not one of {', '.join(choices)}; using {safe}",
            safe,
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
                self._problem(
                    BAD_DATABASE_URL,
                    name,
                    f"{name} (scheme {url_scheme(value)!r}) is not a database URL that "
                    f"dj-database-url understands ({type(exc).__name__}); using {default_url}",
                    default_url,
                )
            else:
                missing = backend_problem(config["ENGINE"])
                if missing:
                    self._problem(
                        BAD_DATABASE_URL,
                        name,
                        f"{name} (scheme {url_scheme(value)!r}) needs {missing}; "
                        f"using {default_url}",
                        default_url,
                    )
                    config = None
        if config is None:
            config = dj_database_url.parse(default_url)
        if config["ENGINE"].endswith("sqlite3") and config["NAME"] != ":memory:":
            config["NAME"] = str(base_dir / config["NAME"])
        if config["ENGINE"].endswith("postgresql"):
            # Without it a silent server would block a request forever.
            config.setdefault("OPTIONS", {}).setdefault("connect_timeout", 10)
        return config
