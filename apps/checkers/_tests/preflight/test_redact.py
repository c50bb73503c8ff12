from apps.checkers.preflight.redact import MASK, Redactor, url_password


def test_url_passwords_are_masked_anywhere_in_text():
    redactor = Redactor()
    text = "broker redis://:fake-pw@127.0.0.1:6379/0 and postgres://app:other-pw@db/app"
    assert (
        redactor.text(text) == "broker redis://:***@127.0.0.1:6379/0 and postgres://app:***@db/app"
    )


def test_urls_without_password_are_untouched():
    redactor = Redactor()
    assert redactor.text("redis://localhost:6379/0") == "redis://localhost:6379/0"
    assert redactor.text("https://user@example.com/x") == "https://user@example.com/x"
    assert redactor.text("") == ""


def test_known_secrets_and_their_url_decoded_forms():
    redactor = Redactor(["p%40ss-fake-word", "abc", ""])
    assert redactor.text("p@ss-fake-word p%40ss-fake-word abc") == f"{MASK} {MASK} abc"


def test_longest_secret_wins():
    redactor = Redactor(["fake-key", "fake-key-long-version"])
    assert redactor.text("x fake-key-long-version y") == f"x {MASK} y"


def test_from_environment(settings):
    settings.SECRET_KEY = "fake-django-secret-key-for-tests-only-0123456789abcdef"
    settings.HUB_API_KEY = "fake-hub-api-key"
    settings.CLUSTER_API_KEY = ""
    settings.CELERY_BROKER_URL = "redis://:fake-broker-pw@127.0.0.1:6379/0"
    settings.HUB_URL = "https://agent:fake-hub-url-pw@hub.example"
    settings.DATABASES = {"default": {"ENGINE": "x", "PASSWORD": "fake-db-pw"}}
    environ = {
        "MY_TOKEN": "fake-token-value",
        "SOME_URL": "amqp://u:fake-amqp-pw@h/",
        "EMPTY_PASSWORD": "",
        "PLAIN": "visible-value",
    }
    redactor = Redactor.from_environment(environ, settings)
    for secret in [
        settings.SECRET_KEY,
        "fake-hub-api-key",
        "fake-broker-pw",
        "fake-hub-url-pw",
        "fake-db-pw",
        "fake-token-value",
        "fake-amqp-pw",
    ]:
        assert redactor.text(f"[{secret}]") == f"[{MASK}]", secret
    assert redactor.text("visible-value") == "visible-value"


def test_from_environment_without_a_secret_key(settings):
    settings.SECRET_KEY = ""
    settings.DATABASES = {"default": {"ENGINE": "x"}}
    assert Redactor.from_environment({}, settings).text("hello") == "hello"


def test_url_password_of_a_broken_url():
    assert url_password("http://[::1") == ""
    assert url_password("not a url") == ""


def test_data_redacts_nested_strings_only():
    redactor = Redactor(["fake-secret-value"])
    data = {"a": ["x fake-secret-value", 3, None, ("fake-secret-value",)], "b": True}
    assert redactor.data(data) == {"a": [f"x {MASK}", 3, None, [MASK]], "b": True}


def test_an_unencoded_at_sign_in_a_password_is_masked_whole():
    text = "redis://:FAKE@SECRET-123@127.0.0.1:1/0 then postgres://u:a@b@h/db"
    assert Redactor().text(text) == "redis://:***@127.0.0.1:1/0 then postgres://u:***@h/db"


def test_passwords_in_query_strings():
    redactor = Redactor()
    assert redactor.text("redis://h:6379/0?password=FAKE-SECRET-123&db=1") == (
        "redis://h:6379/0?password=***&db=1"
    )
    assert redactor.text("amqp://h/?ssl=1&api_key=FAKE-K#x") == "amqp://h/?ssl=1&api_key=***#x"
    assert redactor.text("a=b&c=d") == "a=b&c=d"


def test_long_words_are_redacted_in_linear_time():
    import time

    started = time.monotonic()
    for text in ("a" * 200_000, "x://" + "a" * 200_000, "?" + "k" * 200_000 + "=v"):
        Redactor(["fake-secret"]).text(text)
    assert time.monotonic() - started < 1


def test_control_characters_and_undecodable_bytes_are_escaped():
    redactor = Redactor()
    assert redactor.text("\x1b[31mRED\x1b[2J\nERR forged") == "\\x1b[31mRED\\x1b[2J\\x0aERR forged"
    assert redactor.text("ab\udcffcd") == "ab\\udcffcd"
