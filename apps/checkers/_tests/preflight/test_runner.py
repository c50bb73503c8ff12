import threading
import time

from apps.checkers.preflight import ERROR, OK, WARN, CheckResult, NotApplicable, ok, warn
from apps.checkers.preflight.redact import Redactor
from apps.checkers.preflight.runner import Skipped, run_checks


def as_check(check_id, function):
    function.check_id = check_id
    return function


def test_results_keep_inventory_order_and_get_ids_and_durations(make_context):
    def slow(context):
        time.sleep(0.2)
        return [ok("slow one")]

    def fast(context):
        return [warn("fast one", "do it"), ok("and another")]

    outcome = run_checks(
        [as_check("a.slow", slow), as_check("b.fast", fast)], make_context(), Redactor()
    )
    assert [(r.id, r.level, r.message) for r in outcome.results] == [
        ("a.slow", OK, "slow one"),
        ("b.fast", WARN, "fast one"),
        ("b.fast", OK, "and another"),
    ]
    assert outcome.results[0].duration_ms >= 200
    assert outcome.skipped == []


def test_checks_run_concurrently(make_context):
    barrier = threading.Barrier(3, timeout=2)

    def meets_the_others(context):
        barrier.wait()
        return [ok("met")]

    checks = [as_check(f"c.{n}", meets_the_others) for n in range(3)]
    outcome = run_checks(checks, make_context(), Redactor())
    assert [r.message for r in outcome.results] == ["met"] * 3


def test_a_hung_check_times_out_and_the_run_still_ends(make_context):
    release = threading.Event()

    def hangs(context):
        release.wait(30)
        return [ok("never shown")]

    started = time.monotonic()
    outcome = run_checks(
        [as_check("x.hang", hangs), as_check("x.fine", lambda c: [ok("fine")])],
        make_context(timeout=0.5),
        Redactor(),
    )
    elapsed = time.monotonic() - started
    release.set()
    assert elapsed < 1.5
    assert outcome.results == [
        CheckResult(ERROR, "x.hang timed out after 0.5s", id="x.hang"),
        CheckResult(OK, "fine", id="x.fine"),
    ]


def test_many_hung_checks_cost_one_timeout_not_the_sum(make_context):
    release = threading.Event()
    hung = [as_check(f"h.{n}", lambda c: release.wait(30) and []) for n in range(5)]
    started = time.monotonic()
    outcome = run_checks(hung, make_context(timeout=0.4), Redactor())
    release.set()
    assert time.monotonic() - started < 1.2
    assert [r.level for r in outcome.results] == [ERROR] * 5


def test_an_exception_becomes_one_error_row_naming_the_check(make_context):
    def raises(context):
        raise KeyError("fake-secret-in-exception")

    outcome = run_checks([as_check("x.boom", raises)], make_context(), Redactor())
    assert outcome.results == [CheckResult(ERROR, "x.boom failed: KeyError", id="x.boom")]


def test_not_applicable_is_listed_as_skipped(make_context):
    def skip(context):
        raise NotApplicable("DEPLOY_METHOD=bare")

    outcome = run_checks([as_check("deploy.x", skip)], make_context(), Redactor())
    assert outcome.results == []
    assert outcome.skipped == [Skipped("deploy.x", "DEPLOY_METHOD=bare")]


def test_every_message_hint_and_reason_is_redacted(make_context):
    secret = "fake-planted-token-1234"

    def leaky(context):
        return [warn(f"got {secret}", f"use redis://u:{secret}@h/0")]

    def skip(context):
        raise NotApplicable(f"because {secret}")

    outcome = run_checks(
        [as_check("x.leak", leaky), as_check("x.skip", skip)], make_context(), Redactor([secret])
    )
    [result] = outcome.results
    assert result.message == "got ***" and result.hint == "use redis://u:***@h/0"
    assert outcome.skipped == [Skipped("x.skip", "because ***")]


def test_database_connections_opened_in_workers_are_closed_there(make_context, monkeypatch):
    from django.db import connections

    closed_in = []
    close_all = connections.close_all

    def recording_close_all():
        closed_in.append(threading.current_thread().name)
        close_all()

    monkeypatch.setattr(connections, "close_all", recording_close_all)
    run_checks([as_check("x.orm", lambda c: [ok("x")])], make_context(), Redactor())
    assert closed_in == ["x.orm"]
