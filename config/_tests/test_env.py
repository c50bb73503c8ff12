from pathlib import Path

import pytest

from config import env as env_module
from config.env import (
    BAD_BOOLEAN,
    BAD_CHOICE,
    BAD_DATABASE_URL,
    BAD_NUMBER,
    MISSING_SECRET_KEY,
    Env,
    load_env_file,
    parse_bool,
    read_env_file,
)


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


class TestReadEnvFile:
    def test_missing_file(self, tmp_path):
        result = read_env_file(tmp_path / ".env")
        assert not result.exists
        assert result.values == {}

    def test_plain_values_without_interpolation(self, tmp_path):
        path = write(tmp_path / ".env", b"A=1\nB=${A}x\n# C=3\nD\n")
        result = read_env_file(path)
        assert result.exists and not result.error
        assert result.values == {"A": "1", "B": "${A}x"}
        assert result.bad_lines == [4]  # a bare word sets nothing
        assert (result.has_bom, result.has_crlf) == (False, False)

    def test_bom_crlf_export_quotes_and_hash(self, tmp_path):
        data = b'\xef\xbb\xbfA=1\r\nexport B="x # y"\r\nC=5 # comment\r\n'
        result = read_env_file(write(tmp_path / ".env", data))
        assert result.values == {"A": "1", "B": "x # y", "C": "5"}
        assert result.has_bom and result.has_crlf

    def test_lines_that_do_not_parse_are_numbered(self, tmp_path):
        result = read_env_file(write(tmp_path / ".env", b"A=1\nnot a line\nB=2\n'x\n"))
        assert result.bad_lines == [2, 4]
        assert result.values == {"A": "1", "B": "2"}

    def test_lines_that_are_not_text_are_ignored_alone(self, tmp_path):
        data = b"A=1\nB=caf\xe9\n# caf\xe9\nC=x\x00y\nD=4"
        result = read_env_file(write(tmp_path / ".env", data))
        assert result.exists and not result.error
        assert result.undecodable_lines == [2, 3, 4]
        assert result.values == {"A": "1", "D": "4"}

    def test_multi_line_secret_body_is_never_a_key(self, tmp_path):
        data = b"K=-----BEGIN FAKE KEY-----\nMIIFAKEBODYPLANTED\n-----END FAKE KEY-----\nA=1\n"
        result = read_env_file(write(tmp_path / ".env", data))
        assert set(result.values) == {"K", "A"}
        assert result.bad_lines == [2, 3]

    def test_fifo_does_not_block(self, tmp_path):
        import os

        os.mkfifo(tmp_path / ".env")
        assert read_env_file(tmp_path / ".env").error == "is not a regular file"

    def test_device_is_not_read_forever(self, tmp_path):
        (tmp_path / ".env").symlink_to("/dev/zero")
        assert read_env_file(tmp_path / ".env").error == "is not a regular file"

    def test_huge_file(self, tmp_path):
        write(tmp_path / ".env", b"A=" + b"x" * (1024 * 1024))
        assert read_env_file(tmp_path / ".env").error == "is larger than 1024 KiB"

    def test_directory(self, tmp_path):
        (tmp_path / ".env").mkdir()
        result = read_env_file(tmp_path / ".env")
        assert result.exists and result.error == "is a directory, not a file"

    def test_unreadable(self, tmp_path, monkeypatch):
        path = write(tmp_path / ".env", b"A=1\n")

        def denied(name, flags, *args):
            raise PermissionError(13, "Permission denied")

        monkeypatch.setattr(env_module.os, "open", denied)
        result = read_env_file(path)
        assert result.exists and result.error == "cannot be read (Permission denied)"

    def test_os_error_without_strerror(self, tmp_path, monkeypatch):
        write(tmp_path / ".env", b"A=1\n")

        def broken(name, flags, *args):
            raise OSError

        monkeypatch.setattr(env_module.os, "open", broken)
        assert read_env_file(tmp_path / ".env").error == "cannot be read (OSError)"

    def test_symlink_loop(self, tmp_path):
        (tmp_path / ".env").symlink_to(tmp_path / ".env")
        assert read_env_file(tmp_path / ".env").error.startswith("cannot be read (Too many levels")


def test_load_env_file_keeps_real_environment(tmp_path):
    path = write(tmp_path / ".env", b"A=from-file\nB=from-file\nC\n")
    environ = {"A": "real"}
    result = load_env_file(path, environ)
    assert environ == {"A": "real", "B": "from-file"}
    assert "C" not in result.values


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", True),
        (" TRUE ", True),
        ("yes\r", True),
        ("On", True),
        ("0", False),
        ("false", False),
        ("NO", False),
        ("off", False),
        ("maybe", None),
        ("", None),
    ],
)
def test_parse_bool(text, expected):
    assert parse_bool(text) is expected


class TestEnv:
    def test_str_and_raw_treat_blank_as_unset(self):
        env = Env({"A": "  x  ", "B": "   "})
        assert env.str("A") == "x"
        assert env.str("B", "default") == "default"
        assert env.str("MISSING", "default") == "default"
        assert env.problems == []

    def test_bool(self):
        env = Env({"A": "on", "B": "maybe"})
        assert env.bool("A", default=False) is True
        assert env.bool("MISSING", default=True) is True
        assert env.bool("B", default=False) is False
        [problem] = env.problems
        assert problem.code == BAD_BOOLEAN and problem.variable == "B"
        assert "B='maybe' is not a boolean" in problem.message and "using off" in problem.message

    @pytest.mark.parametrize("value", ["abc", "0", "99999"])
    def test_int_out_of_range_or_not_a_number(self, value):
        env = Env({"PORT": value})
        assert env.int("PORT", 8125, 1, 65535) == 8125
        [problem] = env.problems
        assert problem.code == BAD_NUMBER
        assert (
            problem.message == f"PORT={value!r} is not a whole number from 1 to 65535; using 8125"
        )

    def test_int(self):
        env = Env({"PORT": "9125"})
        assert env.int("PORT", 8125, 1, 65535) == 9125
        assert env.int("MISSING", 8125, 1, 65535) == 8125
        assert env.problems == []

    @pytest.mark.parametrize("value", ["abc", "0", "-1", "601", "nan", "1e-300"])
    def test_seconds_rejects(self, value):
        env = Env({"T": value})
        assert env.seconds("T", 5.0) == 5.0
        assert env.problems[0].code == BAD_NUMBER
        assert env.problems[0].message.endswith("using 5")

    def test_seconds(self):
        env = Env({"T": "2.5"})
        assert env.seconds("T", 5.0) == 2.5
        assert env.seconds("MISSING", 5.0) == 5.0

    def test_choice(self):
        env = Env({"E": "Production", "D": "banana", "F": "DOCKER"})
        assert env.choice("E", "dev", ("dev", "prod"), aliases={"production": "prod"}) == "prod"
        assert env.choice("F", "bare", ("bare", "docker")) == "docker"
        assert env.choice("MISSING", "bare", ("bare", "docker")) == "bare"
        assert env.choice("D", "bare", ("bare", "docker")) == "bare"
        assert env.choice("D", "dev", ("dev", "prod"), fallback="prod") == "prod"
        assert [p.code for p in env.problems] == [BAD_CHOICE, BAD_CHOICE]
        assert env.problems[0].message == "D='banana' is not one of bare, docker; using bare"

    def test_list(self):
        env = Env({"H": "a.com, b.com,,", "E": " ", "I": "a,,b"})
        assert env.list("H", ["x"]) == ["a.com", " b.com"]
        assert env.list("I", []) == ["a", "", "b"]
        assert env.list("E", ["x"]) == ["x"]
        assert env.list("MISSING", ["x"]) == ["x"]

    def test_secret_key(self):
        env = Env({"K": "s" * 60})
        assert env.secret_key("K", "dev", is_dev=False) == "s" * 60
        assert env.secret_key("MISSING", "dev-key", is_dev=True) == "dev-key"
        assert env.problems == []
        assert env.secret_key("MISSING", "dev-key", is_dev=False) == ""
        [problem] = env.problems
        assert problem.code == MISSING_SECRET_KEY and problem.variable == "MISSING"

    def test_database_sqlite_relative_to_project(self, tmp_path):
        env = Env({})
        config = env.database("DATABASE_URL", "sqlite:///db.sqlite3", tmp_path)
        assert config["NAME"] == str(tmp_path / "db.sqlite3")
        assert env.problems == []

    def test_database_sqlite_memory_and_absolute(self, tmp_path):
        env = Env({"A": "sqlite://", "B": "sqlite:////srv/data/app.db"})
        assert env.database("A", "sqlite:///x", tmp_path)["NAME"] == ":memory:"
        assert env.database("B", "sqlite:///x", tmp_path)["NAME"] == "/srv/data/app.db"

    def test_database_postgres_gets_connect_timeout(self, tmp_path):
        env = Env({"DATABASE_URL": "postgres://app:fake-pw@db.example:5432/app"})
        config = env.database("DATABASE_URL", "sqlite:///db.sqlite3", tmp_path)
        assert config["ENGINE"] == "django.db.backends.postgresql"
        assert config["OPTIONS"]["connect_timeout"] == 10

    def test_database_bad_url_falls_back_without_leaking(self, tmp_path):
        env = Env({"DATABASE_URL": "nonsense://user:fake-secret-pw@host/db"})
        config = env.database("DATABASE_URL", "sqlite:///db.sqlite3", tmp_path)
        assert config["ENGINE"] == "django.db.backends.sqlite3"
        [problem] = env.problems
        assert problem.code == BAD_DATABASE_URL
        assert "scheme 'nonsense'" in problem.message
        assert "fake-secret-pw" not in problem.message

    def test_url_that_urlsplit_rejects(self, tmp_path):
        env = Env({"DATABASE_URL": "postgres://u:fake-pw@[::1"})
        env.database("DATABASE_URL", "sqlite:///db.sqlite3", tmp_path)
        assert "scheme 'postgres'" in env.problems[0].message
        assert "fake-pw" not in env.problems[0].message

    @pytest.mark.parametrize("url", ["mysql://u:fake-pw@127.0.0.1:1/x", "postgis://u:fake-pw@h/x"])
    def test_backend_that_cannot_load_falls_back(self, tmp_path, url):
        env = Env({"DATABASE_URL": url})
        config = env.database("DATABASE_URL", "sqlite:///db.sqlite3", tmp_path)
        assert config["ENGINE"] == "django.db.backends.sqlite3"
        [problem] = env.problems
        assert "backend, which cannot load here" in problem.message
        assert "fake-pw" not in problem.message

    def test_long_bad_values_are_cut_short(self):
        env = Env({"B": "x" * 500})
        env.bool("B", default=False)
        assert "x" * 40 + "...'" in env.problems[0].message
        assert "x" * 41 not in env.problems[0].message

    def test_database_url_without_scheme(self, tmp_path):
        env = Env({"DATABASE_URL": "just-words"})
        env.database("DATABASE_URL", "sqlite:///db.sqlite3", tmp_path)
        assert "scheme '?'" in env.problems[0].message


def test_commented_keys_document_optional_variables(tmp_path):
    path = write(tmp_path / ".env.sample", b"A=1\n# B=2\n#export C=\n# not a key\n  #  D_1 = x\r\n")
    result = read_env_file(path)
    assert result.values == {"A": "1"}
    assert result.commented_keys == {"B", "C", "D_1"}


class TestThresholds:
    def test_defaults_and_values(self):
        env = Env({"C_WARN": "70"})
        assert env.thresholds("C_WARN", "C_CRIT", 80, 95) == (70, 95)
        assert env.problems == []

    def test_warn_above_crit_falls_back_to_both_defaults(self):
        env = Env({"C_WARN": "96"})
        assert env.thresholds("C_WARN", "C_CRIT", 80, 95) == (80, 95)
        [problem] = env.problems
        assert (problem.code, problem.variable, problem.fallback) == ("E006", "C_WARN", "80")
        assert problem.message == "C_WARN=96 is above C_CRIT=95; using 80 and 95"

    def test_crit_below_the_warn_default_suggests_the_crit(self):
        env = Env({"C_CRIT": "50"})
        assert env.thresholds("C_WARN", "C_CRIT", 80, 95) == (80, 95)
        assert env.problems[0].fallback == "50"


def test_every_problem_names_its_safe_fallback(tmp_path):
    env = Env({"B": "maybe", "N": "x", "S": "x", "C": "banana", "DATABASE_URL": "nonsense://"})
    env.bool("B", default=True)
    env.int("N", 8125, 1, 65535)
    env.seconds("S", 5.0)
    env.choice("C", "bare", ("bare", "docker"))
    env.database("DATABASE_URL", "sqlite:///db.sqlite3", tmp_path)
    env.secret_key("K", "dev", is_dev=False)
    assert [p.fallback for p in env.problems] == [
        "on",
        "8125",
        "5",
        "bare",
        "sqlite:///db.sqlite3",
        "",
    ]


def test_test_settings_ignore_this_checkouts_env(settings):
    import os

    assert os.environ["DJANGO_ENV"] == "" and settings.DJANGO_ENV == "dev"
    assert settings.SETTINGS_MODULE == "config.test_settings"
