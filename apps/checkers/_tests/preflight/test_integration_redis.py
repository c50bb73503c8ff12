"""The broker check against the real Redis on loopback, through `manage.py preflight`."""

import pytest

from .conftest import closed_port

pytestmark = [pytest.mark.integration]


@pytest.mark.redis
def test_real_redis_answers_and_the_profile_shows_the_url(project_copy):
    run = project_copy.preflight(
        "--json", CELERY_BROKER_URL="redis://127.0.0.1:6379/0", CELERY_TASK_ALWAYS_EAGER="0"
    )
    [row] = run.rows("config.celery_broker")
    assert row["level"] == "ok" and "127.0.0.1:6379" in row["message"]
    profile = run.json()["profile"]
    assert (profile["celery_broker"], profile["celery_eager"]) == (
        "redis://127.0.0.1:6379/0",
        False,
    )


@pytest.mark.redis
def test_a_password_redis_does_not_expect_is_refused_and_never_shown(project_copy):
    run = project_copy.preflight(
        "--json",
        CELERY_BROKER_URL="redis://:fake-redis-pw-PLANTED@127.0.0.1:6379/0",
        CELERY_TASK_ALWAYS_EAGER="0",
    )
    [row] = run.rows("config.celery_broker")
    # Redis answers "AUTH <password> called without any password configured": so would Celery.
    assert row["level"] == "error" and "authentication failed" in row["message"]
    assert "PLANTED" not in run.everything()
    assert run.json()["profile"]["celery_broker"] == "redis://:***@127.0.0.1:6379/0"


def test_closed_port_is_unreachable_fast(project_copy):
    run = project_copy.preflight(
        "--json",
        CELERY_BROKER_URL=f"redis://:fake-pw@127.0.0.1:{closed_port()}/0",
        CELERY_TASK_ALWAYS_EAGER="0",
    )
    [row] = run.rows("config.celery_broker")
    assert row["level"] == "error" and "unreachable" in row["message"]
    assert row["duration_ms"] < 1000


def test_silent_broker_times_out_within_the_deadline(project_copy, silent_listener):
    run = project_copy.preflight(
        "--json",
        CELERY_BROKER_URL=f"redis://127.0.0.1:{silent_listener.port}/0",
        CELERY_TASK_ALWAYS_EAGER="0",
        PREFLIGHT_TIMEOUT="2",
    )
    [row] = run.rows("config.celery_broker")
    assert row["level"] == "error" and "timed out" in row["message"]
    assert row["duration_ms"] <= 3000
    assert run.seconds < 2 + 2.5
