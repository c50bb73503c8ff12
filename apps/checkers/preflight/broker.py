"""A Redis PING without redis-py: importing redis-py costs 120-250 ms and ~20 MB, more than
preflight's whole budget over `manage.py check`. A PING is one command and one reply line."""

from __future__ import annotations

import socket
import ssl
from urllib.parse import parse_qs, unquote, urlsplit


class BrokerReplyError(Exception):
    """The broker answered, but not as expected; the message is the reply's first word."""


class AuthenticationError(BrokerReplyError):
    """The broker refused the URL's credentials (or has none configured)."""


def command(*words: str) -> bytes:
    """One command in Redis's wire format (RESP): an array of bulk strings."""
    parts = [f"*{len(words)}\r\n".encode()]
    for word in words:
        data = word.encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


def read_line(sock: socket.socket) -> bytes:
    line = b""
    while not line.endswith(b"\r\n"):
        chunk = sock.recv(1)
        if not chunk:
            raise ConnectionError("the broker closed the connection")
        line += chunk
    return line[:-2]


def expect(sock: socket.socket, wanted: bytes, failure: type[BrokerReplyError]) -> None:
    reply = read_line(sock)
    if reply != wanted:
        # Only the first word ("-WRONGPASS", "-NOAUTH", "-DENIED"): never the rest of the line.
        raise failure(reply.split(b" ", 1)[0].lstrip(b"-+").decode("ascii", "replace"))


def redis_ping(url: str, seconds: float) -> None:
    """Raise unless the Redis server at `url` answers PING, each step bounded by `seconds`."""
    parts = urlsplit(url)
    host, port = parts.hostname or "localhost", parts.port or 6379
    sock = socket.create_connection((host, port), timeout=seconds)
    try:
        sock.settimeout(seconds)
        if parts.scheme == "rediss":
            context = ssl.create_default_context()
            if parse_qs(parts.query).get("ssl_cert_reqs", [""])[0].lower() in ("none", "cert_none"):
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            sock = context.wrap_socket(sock, server_hostname=host)
        if parts.password:
            credentials = [unquote(parts.password)]
            if parts.username:
                credentials.insert(0, unquote(parts.username))
            sock.sendall(command("AUTH", *credentials))
            expect(sock, b"+OK", AuthenticationError)
        sock.sendall(command("PING"))
        expect(sock, b"+PONG", BrokerReplyError)
    finally:
        sock.close()
