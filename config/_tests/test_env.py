from pathlib import Path

import pytest

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
        assert result.values == {"A": "1", "B": "${A}x", "D": None}
        assert (result.has_bom, result.has_crlf, result.bad_lines) == (False, False, [])

    def test_bom_crlf_export_quotes_and_hash(self, tmp_path):
        data = b'\xef\xbb\xbfA=1\r\nexport B="x # y"\r\nC=5 # comment\r\n'
        result = read_env_file(write(tmp_path / ".env", data))
        assert result.values == {"A": "1", "B": "x # y", "C": "5"}
        assert result.has_bom and result.has_crlf

    def test_lines_that_do_not_parse_are_numbered(self, tmp_path):
        result = read_env_file(write(tmp_path / ".env", b"A=1\nnot a line\nB=2\n'x\n"))
        assert result.bad_lines == [2, 4]
        assert result.values == {"A": "1", "B": "2"}

    def test_not_utf8_names_the_line(self, tmp_path):
        result = read_env_file(write(tmp_path / ".env", b"A=1\nB=caf\xe9\n"))
        assert result.exists
        assert result.error == "is not valid UTF-8 (line 2)"
        assert result.values == {}

    def test_directory(self, tmp_path):
        (tmp_path / ".env").mkdir()
        result = read_env_file(tmp_path / ".env")
        assert result.exists and result.error == "is a directory, not a file"

    def test_unreadable(self, tmp_path, monkeypatch):
        path = write(tmp_path / ".env", b"A=1\n")

        def denied(self):
            raise PermissionError(13, "Permission denied")

        monkeypatch.setattr(Path, "read_bytes", denied)
        result = read_env_file(path)
        assert result.exists and result.error == "cannot be read (Permission denied)"

    def test_os_error_without_strerror(self, tmp_path, monkeypatch):
        def broken(self):
            raise OSError

        monkeypatch.setattr(Path, "read_bytes", broken)
        assert read_env_file(tmp_path / ".env").error == "cannot be read (OSError)"


def test_load_env_file_keeps_real_environment(tmp_path):
    path = write(tmp_path / ".env", b"A=from-file\nB=from-file\nC\n")
    environ = {"A": "real"}
    result = load_env_file(path, environ)
    assert environ == {"A": "real", "B": "from-file"}
    assert result.values["C"] is None


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

    @pytest.mark.parametrize("value", ["abc", "0", "-1", "601", "nan"])
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

    def test_database_url_without_scheme(self, tmp_path):
        env = Env({"DATABASE_URL": "just-words"})
        env.database("DATABASE_URL", "sqlite:///db.sqlite3", tmp_path)
        assert "scheme '?'" in env.problems[0].message
