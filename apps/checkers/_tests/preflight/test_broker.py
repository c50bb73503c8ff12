import socket
import threading
import time

import pytest

from apps.checkers.preflight.broker import (
    AuthenticationError,
    BrokerReplyError,
    command,
    redis_ping,
)


class FakeRedis:
    """A loopback server that answers each command with the next canned reply."""

    def __init__(self, *replies: bytes):
        self.replies = list(replies)
        self.received = b""
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(1)
        self.port = self.server.getsockname()[1]
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        conn, _ = self.server.accept()
        with conn:
            for reply in self.replies:
                data = conn.recv(4096)
                self.received += data
                conn.sendall(reply)

    def close(self):
        self.thread.join(2)
        self.server.close()


def test_command_is_resp():
    assert (
        command("AUTH", "u", "pässword")
        == b"*3\r\n$4\r\nAUTH\r\n$1\r\nu\r\n$9\r\np\xc3\xa4ssword\r\n"
    )


def test_pong():
    server = FakeRedis(b"+PONG\r\n")
    redis_ping(f"redis://127.0.0.1:{server.port}/0", 2)
    server.close()
    assert server.received == command("PING")


def test_auth_with_user_and_percent_encoded_password():
    server = FakeRedis(b"+OK\r\n", b"+PONG\r\n")
    redis_ping(f"redis://app:p%40ss-fake@127.0.0.1:{server.port}/0", 2)
    server.close()
    assert server.received == command("AUTH", "app", "p@ss-fake") + command("PING")


def test_auth_with_password_only():
    server = FakeRedis(b"+OK\r\n", b"+PONG\r\n")
    redis_ping(f"redis://:fake-pw@127.0.0.1:{server.port}", 2)
    server.close()
    assert server.received.startswith(command("AUTH", "fake-pw"))


def test_wrong_password_reply_gives_only_its_first_word():
    server = FakeRedis(b"-WRONGPASS invalid username-password pair or user is disabled.\r\n")
    with pytest.raises(AuthenticationError) as caught:
        redis_ping(f"redis://:fake-pw@127.0.0.1:{server.port}", 2)
    server.close()
    assert str(caught.value) == "WRONGPASS"


def test_a_reply_other_than_pong():
    server = FakeRedis(b"-DENIED Redis is running in protected mode\r\n")
    with pytest.raises(BrokerReplyError, match="^DENIED$"):
        redis_ping(f"redis://127.0.0.1:{server.port}", 2)
    server.close()


def test_server_that_closes_the_connection():
    server = FakeRedis(b"")
    with pytest.raises(ConnectionError):
        redis_ping(f"redis://127.0.0.1:{server.port}", 2)
    server.close()


def test_silent_server_times_out():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        redis_ping(f"redis://127.0.0.1:{listener.getsockname()[1]}", 0.3)
    assert time.monotonic() - started < 1.5
    listener.close()


def test_rediss_wraps_the_socket_in_tls():
    server = FakeRedis(b"")  # speaks no TLS: the handshake fails
    with pytest.raises(OSError):  # ssl.SSLError or a reset, both OSErrors
        redis_ping(f"rediss://127.0.0.1:{server.port}/0?ssl_cert_reqs=none", 2)
    server.close()


def test_rediss_verifies_by_default():
    server = FakeRedis(b"")
    with pytest.raises(OSError):
        redis_ping(f"rediss://127.0.0.1:{server.port}/0", 2)
    server.close()


@pytest.mark.redis
def test_real_redis():
    redis_ping("redis://127.0.0.1:6379/0", 2)
