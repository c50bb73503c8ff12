"""Reading and editing the project's .env exactly as python-dotenv reads it.

The engine of bin/set_env.sh (run as `python3 env_file.py ROOT ARGS...`); bin/set_production.sh
imports it to read the current values. Standard library only: the scripts run it with the
system python3, before any virtualenv exists.

The parser is a line-for-line port of python-dotenv's (1.x), so a binding found here is one
that settings will read, and a line that python-dotenv would not parse is never touched.
"""

from __future__ import annotations

import codecs
import getpass
import os
import re
import sys
import tempfile
import time
from typing import NamedTuple

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

# python-dotenv's grammar (dotenv/parser.py).
_multiline_whitespace = re.compile(r"\s*", re.MULTILINE)
_whitespace = re.compile(r"[^\S\r\n]*")
_export = re.compile(r"(?:export[^\S\r\n]+)?")
_single_quoted_key = re.compile(r"'([^']+)'")
_unquoted_key = re.compile(r"([^=\#\s]+)")
_equal_sign = re.compile(r"(=[^\S\r\n]*)")
_single_quoted_value = re.compile(r"'((?:\\.|[^'\\])*)'", re.DOTALL)
_double_quoted_value = re.compile(r'"((?:\\.|[^"\\])*)"', re.DOTALL)
_unquoted_value = re.compile(r"([^\r\n]*)")
_comment = re.compile(r"(?:[^\S\r\n]*#[^\r\n]*)?")
_end_of_line = re.compile(r"[^\S\r\n]*(?:\r\n|\n|\r|$)")
_rest_of_line = re.compile(r"[^\r\n]*(?:\r|\n|\r\n)?")
_double_quote_escapes = re.compile(r"\\[\\'\"abfnrtv]")
_single_quote_escapes = re.compile(r"\\[\\']")


class Binding(NamedTuple):
    """One `KEY=value` as python-dotenv reads it. text[start:end] is the assignment from its
    `export`/key to the end of its value and inline comment, without indentation or line end;
    text[start:key_end] is `export KEY` (or `KEY`)."""

    key: str
    value: str | None
    start: int
    key_end: int
    end: int
    line: int


class Refused(Exception):
    """Nothing was changed; the message says why. `status` is the exit status."""

    def __init__(self, message: str, status: int = 1):
        super().__init__(message)
        self.status = status


class _NoMatch(Exception):
    pass


def _match(regex, text: str, pos: int):
    match = regex.match(text, pos)
    if match is None:
        raise _NoMatch
    return match


def _decode(regex, value: str) -> str:
    return regex.sub(lambda m: codecs.decode(m.group(0), "unicode-escape"), value)


def _value(text: str, pos: int) -> tuple[str, int]:
    char = text[pos : pos + 1]
    if char == "'":
        match = _match(_single_quoted_value, text, pos)
        return _decode(_single_quote_escapes, match.group(1)), match.end()
    if char == '"':
        match = _match(_double_quoted_value, text, pos)
        return _decode(_double_quote_escapes, match.group(1)), match.end()
    if char in ("", "\n", "\r"):
        return "", pos
    match = _unquoted_value.match(text, pos)
    return re.sub(r"\s+#.*", "", match.group(1)).rstrip(), match.end()


def parse(text: str) -> tuple[list[Binding], list[int]]:
    """(the bindings that have a key, the numbers of the lines that do not parse)."""
    bindings, bad_lines = [], []
    pos = 0
    while pos < len(text):
        pos = _multiline_whitespace.match(text, pos).end()
        if pos >= len(text):
            break
        start = pos
        line = text.count("\n", 0, start) + 1
        try:
            pos = _export.match(text, pos).end()
            key = None
            if text.startswith("'", pos):
                match = _match(_single_quoted_key, text, pos)
                key, pos = match.group(1), match.end()
            elif not text.startswith("#", pos):
                match = _match(_unquoted_key, text, pos)
                key, pos = match.group(1), match.end()
            key_end = pos
            pos = _whitespace.match(text, pos).end()
            value = None
            if text.startswith("=", pos):
                equal_sign = _equal_sign.match(text, pos)
                pos = equal_sign.end()
                if len(equal_sign.group(1)) > 1 and text.startswith("#", pos):
                    value = ""
                else:
                    value, pos = _value(text, pos)
            pos = _comment.match(text, pos).end()
            end = pos
            pos = _match(_end_of_line, text, pos).end()
        except _NoMatch:
            bad_lines.append(line)
            pos = _rest_of_line.match(text, pos).end()
            continue
        if key is not None:
            bindings.append(Binding(key, value, start, key_end, end, line))
    return bindings, bad_lines


def values(bindings: list[Binding]) -> dict[str, str | None]:
    """What settings read: the last binding of each key wins."""
    return {binding.key: binding.value for binding in bindings}


def quote(value: str) -> str:
    """The value as written in .env, so that python-dotenv reads back exactly `value`."""
    if PLAIN_VALUE.match(value):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def is_secret(key: str) -> bool:
    return bool(SECRET_NAME.search(key))


def shown(key: str, value: str | None) -> str:
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


def update(text: str, pairs: list[tuple[str, str]], comment: str = "") -> tuple[str, list[Change]]:
    """`text` with each key set: every binding of a key whose value differs is rewritten in place
    (keeping `export `; an inline comment goes with the old value), a key with no binding is
    appended at the end, under `comment` when one is given. Nothing else changes."""
    bindings, _bad = parse(text)
    wanted = dict(pairs)  # a key given twice: the last value counts
    edits, appended, changes = [], [], []
    for key, value in wanted.items():
        mine = [binding for binding in bindings if binding.key == key]
        wrong = [binding for binding in mine if binding.value != value]
        edits.extend((binding, value) for binding in wrong)
        if not mine:
            appended.append(f"{key}={quote(value)}")
            changes.append(Change(key, value, "added", []))
        elif wrong:
            old = []
            for binding in wrong:
                if binding.value not in old:
                    old.append(binding.value)
            changes.append(Change(key, value, "replaced", old))
        else:
            changes.append(Change(key, value, "unchanged", []))
    new = text
    for binding, value in sorted(edits, key=lambda edit: edit[0].start, reverse=True):
        head = new[binding.start : binding.key_end]
        new = f"{new[: binding.start]}{head}={quote(value)}{new[binding.end :]}"
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
    expected = {**values(bindings), **wanted}
    after, bad_lines = parse(new)
    if values(after) != expected:
        lines = ", ".join(str(line) for line in bad_lines)
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
    line = f"  {change.key}={shown(change.key, change.value)}"
    if change.status == "replaced":
        return f"{line} (was {', '.join(shown(change.key, old) for old in change.old)})"
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
