import pytest

from apps.checkers.preflight.dashboard import build_profile, display_path, profile_rows, role


@pytest.mark.parametrize(
    ("hub_url", "cluster", "expected"),
    [
        ("", False, "standalone"),
        ("https://hub.example", False, "agent"),
        ("", True, "hub"),
        ("https://hub.example", True, "agent+hub"),
    ],
)
def test_role(settings, hub_url, cluster, expected):
    settings.HUB_URL, settings.CLUSTER_ENABLED = hub_url, cluster
    assert role(settings) == expected


def test_display_path(tmp_path):
    assert display_path(tmp_path / "logs", tmp_path) == "logs/"
    assert display_path("/var/log/app", tmp_path) == "/var/log/app/"


def test_profile_of_a_dev_machine(settings, tmp_path):
    settings.BASE_DIR = tmp_path
    settings.DJANGO_ENV, settings.DEBUG, settings.DEPLOY_METHOD = "dev", True, "bare"
    settings.DATABASES = {
        "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "db.sqlite3")}
    }
    settings.CELERY_BROKER_URL, settings.CELERY_TASK_ALWAYS_EAGER = "redis://localhost:6379/0", True
    settings.METRICS_BACKEND, settings.INSTANCE_ID = "logging", ""
    settings.HUB_URL, settings.CLUSTER_ENABLED = "", False
    settings.LOGS_DIR = tmp_path / "logs"
    profile = build_profile(settings)
    assert profile == {
        "role": "standalone",
        "environment": "dev",
        "debug": True,
        "deploy_method": "bare",
        "database_vendor": "SQLite",
        "database": "db.sqlite3",
        "celery_broker": "redis://localhost:6379/0",
        "celery_eager": True,
        "metrics_backend": "logging",
        "instance_id": "",
        "logs_dir": "logs/",
        "fallbacks": [],
    }
    assert profile_rows(profile) == [
        ("Role", "standalone"),
        ("Environment", "dev (DEBUG=on)"),
        ("Deploy", "bare"),
        ("Database", "SQLite @ db.sqlite3"),
        ("Celery", "redis://localhost:6379/0 (eager)"),
        ("Metrics", "logging"),
        ("Logs", "logs/"),
    ]


def test_profile_of_a_prod_agent(settings):
    settings.DJANGO_ENV, settings.DEBUG = "prod", False
    settings.DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": "app",
            "USER": "app",
            "PASSWORD": "fake-db-pw",
            "HOST": "127.0.0.1",
            "PORT": "5432",
        }
    }
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.HUB_URL, settings.INSTANCE_ID = "https://hub.example", "web-1"
    rows = dict(profile_rows(build_profile(settings)))
    assert rows["Environment"] == "prod (DEBUG=off)"
    assert rows["Database"] == "PostgreSQL @ 127.0.0.1:5432/app"
    assert rows["Celery"].endswith("(async)")
    assert rows["Instance ID"] == "web-1"
    assert "fake-db-pw" not in str(rows)


def test_rows_showing_a_fallback_say_so(settings):
    from config.env import ConfigProblem

    settings.CONFIG_PROBLEMS = [
        ConfigProblem("E003", "DEPLOY_METHOD", "bad", "bare"),
        ConfigProblem("E001", "DJANGO_DEBUG", "bad", "on"),
        ConfigProblem("E002", "PREFLIGHT_TIMEOUT", "bad", "5"),
    ]
    settings.DEPLOY_METHOD = "bare"
    profile = build_profile(settings)
    assert profile["fallbacks"] == ["DEPLOY_METHOD", "DJANGO_DEBUG", "PREFLIGHT_TIMEOUT"]
    rows = dict(profile_rows(profile))
    assert rows["Deploy"] == "bare (fallback: DEPLOY_METHOD is invalid)"
    assert rows["Environment"].endswith("(fallback: DJANGO_DEBUG is invalid)")
    assert "fallback" not in rows["Role"]
