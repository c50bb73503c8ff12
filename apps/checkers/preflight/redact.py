"""One redactor that every message, hint and profile value passes through: it masks secrets
and makes text safe to print (no control characters, no unencodable surrogates)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

MASK = "***"
SECRET_NAME = re.compile(r"SECRET|PASSWORD|PASSWD|TOKEN|KEY|CREDENTIAL|_PASS$|_AUTH$", re.I)
# scheme://user:password@host -> scheme://user:***@host. The password runs to the LAST "@" of
# the authority (an unencoded "@" in it is common). Bounded scheme length keeps this linear.
URL_PASSWORD = re.compile(
    r"(?P<head>\b[a-z][a-z0-9+.-]{0,31}://[^:/@\s]*:)(?P<password>[^/\s]*)(?=@[^@/\s]*(?:[/?#\s]|$))",
    re.I,
)
# ...?password=x&api_key=y: query parameters whose name says secret.
QUERY_SECRET = re.compile(
    r"(?P<head>[?&][^=&#\s]*(?:pass|pwd|secret|token|key|auth|credential)[^=&#\s]*=)"
    r"(?P<value>[^&#\s]+)",
    re.I,
)
# C0 controls and DEL: escape sequences and forged rows must not reach a terminal or the log.
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_TEXT = 2000  # characters of one value shown; a pasted blob must not flood a terminal or the log
MIN_SECRET_LENGTH = 4  # shorter values would mask ordinary words; they are not secrets anyway


def url_password(url: str) -> str:
    try:
        return urlsplit(url).password or ""
    except ValueError:
        return ""


class Redactor:
    def __init__(self, secrets: Iterable[str] = ()):
        values = set()
        for secret in secrets:
            for form in (secret, unquote(secret)):
                if form and len(form) >= MIN_SECRET_LENGTH:
                    values.add(form)
        # Longest first, so a secret that contains another is masked whole.
        self.secrets = sorted(values, key=len, reverse=True)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str | None], settings) -> Redactor:
        """Secrets: values of SECRET/PASSWORD/TOKEN/KEY-like variables, URL passwords in any
        variable, and the secrets held in settings."""
        secrets = []
        for name, value in environ.items():
            if not value:
                continue
            if SECRET_NAME.search(name):
                secrets.append(value)
            secrets.append(url_password(value))
        try:
            secrets.append(settings.SECRET_KEY)
        except ImproperlyConfigured:  # prod without a key: nothing to hide
            pass
        for name in ("HUB_API_KEY", "CLUSTER_API_KEY"):
            secrets.append(getattr(settings, name, "") or "")
        for name in ("CELERY_BROKER_URL", "HUB_URL"):
            secrets.append(url_password(getattr(settings, name, "") or ""))
        for database in settings.DATABASES.values():
            secrets.append(database.get("PASSWORD") or "")
        return cls(secrets)

    def text(self, value: str) -> str:
        if not value:
            return value
        if len(value) > MAX_TEXT:
            value = value[:MAX_TEXT] + f"... ({len(value) - MAX_TEXT} more characters)"
        if "://" in value:
            value = URL_PASSWORD.sub(lambda m: m.group("head") + MASK, value)
        if "=" in value:
            value = QUERY_SECRET.sub(lambda m: m.group("head") + MASK, value)
        for secret in self.secrets:
            value = value.replace(secret, MASK)
        value = CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", value)
        # Undecodable bytes from the environment arrive as lone surrogates: print them escaped.
        return value.encode("utf-8", "backslashreplace").decode("utf-8")

    def data(self, value):
        """Redact every string inside JSON-like data."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {key: self.data(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.data(item) for item in value]
        return value
