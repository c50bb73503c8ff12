"""Reading and editing the project's .env with python-dotenv's own parser.

The engine of bin/set_env.sh (run as `PYTHON env_file.py ROOT ARGS...` with the project's Python,
which has python-dotenv); bin/set_production.sh imports it to read the current values.

python-dotenv's parse_stream yields one binding per assignment, comment, blank run or line it
cannot parse, and their `original.string`s, joined, are the text it read (without a byte-order
mark). A key is set by replacing the text of its bindings; every other byte stays as it was.
"""

from __future__ import annotations

import getpass
import io
import os
import re
import sys
import tempfile
import time
from typing import NamedTuple

try:
    from dotenv.parser import Binding, parse_stream
except ImportError:  # not the project's Python
    sys.exit(
        f"bin/lib/env_file.py needs python-dotenv, which {sys.executable} does not have: run "
        "`uv sync` in the repository, or set PREFLIGHT_PYTHON to the project's Python; "
        "nothing changed."
    )

PROG = "set_env.sh"
USAGE = f"usage: bin/{PROG} [--quiet] [--comment '# TEXT'] [--ask KEY] KEY=VALUE ... (see --help)"
KEY_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# The same names the preflight redactor treats as secret.
SECRET_NAME = re.compile(r"SECRET|PASSWORD|PASSWD|TOKEN|KEY|CREDENTIAL|_PASS$|_AUTH$", re.I)
# scheme://user:password@host -> scheme://user:***@host, as the preflight redactor masks it (the
# password runs to the last "@" of the authority).
URL_PASSWORD = re.compile(
    r"(?P<head>\b[a-z][a-z0-9+.-]{0,31}://[^:/@\s]*:)(?P<password>[^/\s]*)"
    r"(?=@[^@/\s]*(?:[/?#\s]|$))",
    re.I,
)
# Values written without quotes: nothing python-dotenv (or a shell sourcing .env) would read
# differently. Anything else is single-quoted.
PLAIN_VALUE = re.compile(r"[A-Za-z0-9_@%+=:,./~^-]*\Z")
# What surrounds the assignment in a binding's text, kept when it is rewritten: the blank lines
# and indentation python-dotenv counts in it, an `export ` prefix, and the line ending.
LAYOUT = re.compile(
    r"(?P<indent>\s*)(?P<export>export[^\S\r\n]+)?.*?(?P<end>\r\n|\n|\r)?\Z", re.DOTALL
)


class Refused(Exception):
    """Nothing was changed; the message says why. `status` is the exit status."""

    def __init__(self, message: str, status: int = 1):
        super().__init__(message)
        self.status = status


def parse(text: str) -> list[Binding]:
    """python-dotenv's bindings of `text` (a byte-order mark removed), comments included."""
    return list(parse_stream(io.StringIO(text)))


def values(bindings: list[Binding]) -> dict[str, str | None]:
    """What settings read: the last binding of each key wins."""
    return {binding.key: binding.value for binding in bindings if binding.key is not None}


def bad_lines(bindings: list[Binding]) -> list[int]:
    """The numbers of the lines where text python-dotenv cannot parse starts, counted as
    config/env.py counts them: python-dotenv's `original.line` is that of the blank lines before
    the text, and is one too many after such text in a CRLF file."""
    numbers, line = [], 1
    for binding in bindings:
        text = binding.original.string
        if binding.error:
            numbers.append(line + LAYOUT.match(text)["indent"].count("\n"))
        line += text.count("\n")
    return numbers


def quote(value: str) -> str:
    """The value as written in .env, so that python-dotenv reads back exactly `value`."""
    if PLAIN_VALUE.match(value):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def is_secret(key: str) -> bool:
    return bool(SECRET_NAME.search(key))


def shown(value: str | None) -> str:
    """A value as it may be printed: never a secret's, never a URL's password."""
    if not value:
        return "empty"
    return URL_PASSWORD.sub(lambda m: m.group("head") + "***", quote(value))


def decode(data: bytes, name: str = ".env") -> tuple[str, str]:
    """(byte-order mark, text) of a file's bytes."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise Refused(f"{name} is not valid UTF-8 (line {line})") from None
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    return bom, text[len(bom) :]


class Change(NamedTuple):
    key: str
    value: str
    status: str  # "added", "replaced" or "unchanged"
    old: list  # the values replaced


def rewritten(binding: Binding, value: str) -> str:
    """The binding's text with `value` in place of its assignment, keeping what LAYOUT keeps (an
    inline comment goes with the old value)."""
    layout = LAYOUT.match(binding.original.string)
    export, end = layout["export"] or "", layout["end"] or ""
    return f"{layout['indent']}{export}{binding.key}={quote(value)}{end}"


def update(text: str, pairs: list[tuple[str, str]], comment: str = "") -> tuple[str, list[Change]]:
    """`text` with each key set: every binding of a key whose value differs is rewritten in place,
    a key with no binding is appended at the end, under `comment` when one is given. Nothing
    else changes."""
    bindings = parse(text)
    wanted = dict(pairs)  # a key given twice: the last value counts
    replaced: dict[str, dict] = {}  # key -> the values replaced, in order (dict keys: once each)
    pieces = []
    for binding in bindings:
        if binding.key in wanted and binding.value != wanted[binding.key]:
            replaced.setdefault(binding.key, {})[binding.value] = None
            pieces.append(rewritten(binding, wanted[binding.key]))
        else:
            pieces.append(binding.original.string)
    new = "".join(pieces)
    before = values(bindings)
    changes, appended = [], []
    for key, value in wanted.items():
        if key not in before:
            appended.append(f"{key}={quote(value)}")
            changes.append(Change(key, value, "added", []))
        elif key in replaced:
            changes.append(Change(key, value, "replaced", list(replaced[key])))
        else:
            changes.append(Change(key, value, "unchanged", []))
    if appended:
        newline = "\r\n" if "\r\n" in text else "\n"
        block = ([comment] if comment else []) + appended
        if new and not new.endswith("\n"):
            new += newline
        if comment and new.strip():
            new += newline
        new += newline.join(block)
        if text.endswith("\n") or not text:  # a missing final newline stays missing
            new += newline
    # The result must read back as intended, every other key as before: a stray quote on a
    # line python-dotenv cannot parse could otherwise swallow what was appended.
    if values(parse(new)) != {**before, **wanted}:
        lines = ", ".join(str(line) for line in bad_lines(bindings))
        raise Refused(
            f"cannot set {', '.join(wanted)} safely: .env has lines that python-dotenv cannot "
            f"parse (line {lines}); fix them first"
        )
    return new, changes


# Writing ----------------------------------------------------------------------------------------


def keep_owner(path: str, like) -> None:
    """Run as root on someone else's .env: the new file stays theirs."""
    if like is not None and os.geteuid() == 0 and (like.st_uid, like.st_gid) != (0, 0):
        try:
            os.chown(path, like.st_uid, like.st_gid)
        except OSError:
            pass


def write_new(path: str, data: bytes, like) -> None:
    """Write `data` to a temp file beside `path` and move it over `path` atomically, mode 600."""
    directory = os.path.dirname(path)
    fd, temp = tempfile.mkstemp(prefix=".env.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(temp, 0o600)
        keep_owner(temp, like)
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def backup(env_path: str, data: bytes, like) -> str:
    """Copy the old .env to .env.bak.<timestamp> (never overwriting one), mode 600."""
    base = f"{env_path}.bak.{time.strftime('%Y%m%d-%H%M%S')}"
    for n in range(1, 1000):
        name = base if n == 1 else f"{base}-{n}"
        try:
            fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(name, 0o600)
        keep_owner(name, like)
        return name
    raise Refused("could not find a free backup name")


def read_file(path: str, name: str) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except IsADirectoryError:
        raise Refused(f"{name} is not a regular file") from None
    except OSError as exc:
        raise Refused(f"cannot read {name} ({exc.strerror or type(exc).__name__})") from None


# The command ------------------------------------------------------------------------------------


def parse_args(args: list[str]) -> tuple[list[tuple[str, str | None]], bool, str]:
    """(pairs in order, with None for a value to ask for; quiet; comment)."""
    pairs, quiet, comment = [], False, ""
    options = True
    args = list(args)
    position = 0
    while args:
        arg = args.pop(0)
        position += 1
        if options and arg == "--":
            options = False
        elif options and arg in ("-q", "--quiet"):
            quiet = True
        elif options and arg in ("--ask", "--comment"):
            if not args:
                raise Refused(f"{arg} needs an argument\n{USAGE}", 2)
            value = args.pop(0)
            if arg == "--comment":
                if not value.startswith("#") or "\n" in value or "\r" in value:
                    raise Refused("--comment must be one line starting with #", 2)
                comment = value
            else:
                check_key(value)
                pairs.append((value, None))
        elif options and arg.startswith("-"):
            raise Refused(f"unknown option {arg}\n{USAGE}", 2)
        else:
            key, equals, value = arg.partition("=")
            if not equals:
                # The argument may be a mistyped secret: it is not repeated.
                raise Refused(f"argument {position} is not KEY=VALUE\n{USAGE}", 2)
            check_key(key)
            pairs.append((key, value))
    if not pairs:
        raise Refused(f"nothing to set\n{USAGE}", 2)
    return pairs, quiet, comment


def check_key(key: str) -> None:
    if not KEY_NAME.match(key):
        shown_key = key if len(key) <= 40 else key[:39] + "…"
        raise Refused(
            f"{shown_key!r} is not a variable name (letters, digits and _, not starting "
            "with a digit)",
            2,
        )


def ask(key: str) -> str:
    """The value of `key` from the terminal without echo, or one line of stdin."""
    if sys.stdin.isatty():
        value = getpass.getpass(f"{key}: ")
    else:
        value = sys.stdin.readline()
        value = value[:-1] if value.endswith("\n") else value
    if not value:
        raise Refused(f"no value given for {key}")
    return value


def check_value(key: str, value: str) -> None:
    if "\n" in value or "\r" in value or "\0" in value:
        raise Refused(f"the value of {key} spans lines: {PROG} writes one-line values only", 2)


def report_line(change: Change) -> str:
    if is_secret(change.key):
        if change.status == "unchanged":
            return f"  {change.key} unchanged"
        return f"  {change.key} set ({change.status})"
    line = f"  {change.key}={shown(change.value)}"
    if change.status == "replaced":
        return f"{line} (was {', '.join(shown(old) for old in change.old)})"
    return f"{line} ({change.status})"


def set_env(root: str, args: list[str]) -> None:
    pairs, quiet, comment = parse_args(args)
    env_path = os.path.join(root, ".env")
    real = os.path.realpath(env_path)  # a symlinked .env: rewrite the file it points at
    created = ""
    if os.path.lexists(env_path) and not os.path.exists(real):
        raise Refused(f"{env_path} is a symlink to {real}, which does not exist")
    if not os.path.exists(real):
        sample = os.path.join(root, ".env.sample")
        if os.path.exists(sample):
            data = read_file(sample, ".env.sample")
            created = "Created .env from .env.sample (mode 600)"
        else:
            data = b""
            created = "Created an empty .env (there is no .env.sample; mode 600)"
        like = None
    else:
        if not os.path.isfile(real):
            raise Refused(f"{env_path} is not a regular file")
        data = read_file(real, ".env")
        like = os.stat(real)
    bom, text = decode(data, ".env.sample" if created else ".env")
    pairs = [(key, ask(key) if value is None else value) for key, value in pairs]
    for key, value in pairs:
        check_value(key, value)
    new_text, changes = update(text, pairs, comment)
    new_data = (bom + new_text).encode("utf-8")
    changed = bool(created) or new_data != data
    if created:
        write_new(real, new_data, None)
        print(created)
    elif changed:
        saved = backup(env_path, data, like)
        write_new(real, new_data, like)
        print(f"Backed up .env to {os.path.basename(saved)}")
    elif like.st_mode & 0o777 != 0o600:
        os.chmod(real, 0o600)
        print(".env permissions set to 600.")
    if quiet:
        return
    if changed:
        print(".env updated (mode 600):")
        print("\n".join(report_line(change) for change in changes))
    else:
        print(".env already has these values; nothing changed.")
    for key in dict(pairs):
        if key in os.environ:
            print(
                f"Note: {key} is also set in the environment, which wins over .env; "
                "unset it for the .env value to apply.",
                file=sys.stderr,
            )


def main(argv: list[str]) -> int:
    root, args = argv[1], argv[2:]
    try:
        set_env(root, args)
    except Refused as exc:
        end = "; nothing changed." if exc.status == 1 else ""
        print(f"{PROG}: {exc}{end}", file=sys.stderr)
        return exc.status
    except OSError as exc:
        where = f" {exc.filename}" if exc.filename else ""
        print(f"{PROG}: cannot write{where} ({exc.strerror}); .env not changed.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"\n{PROG}: interrupted; nothing changed.", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
