"""The stuck rule (health.py): a worker is stuck when a partition has held unprocessed
events for SCHEDULER_STUCK_AFTER_S without one of its events being finished. Clocks are
plain numbers here (monotonic seconds)."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from services.booking.scheduler.health import Stalls, Verdict, held, judge, report

RES2 = ("labbook.reservations.v1", 2)
REQ0 = ("labbook.requests.v1", 0)
AFTER = 60.0


def look(stalls: Stalls, holding: dict, now: float) -> Verdict:
    return judge(holding, stalls.waited(holding, now), AFTER)


def test_an_idle_worker_with_nothing_to_do_is_healthy_however_long_it_idles():
    stalls = Stalls()
    stalls.finished_one(RES2, 0.0)
    assert look(stalls, {}, 10_000.0) == Verdict(False)


def test_events_held_without_progress_past_the_limit_make_it_stuck_and_say_where():
    stalls = Stalls()
    assert not look(stalls, {RES2: 1}, 100.0).stuck  # first seen holding: the wait starts
    assert not look(stalls, {RES2: 1}, 159.0).stuck
    verdict = look(stalls, {RES2: 1}, 162.0)
    assert verdict == Verdict(True, "holds 1 unprocessed event on labbook.reservations.v1[2], "
                                    "no progress for 62 s")


def test_the_limit_itself_counts_as_stuck():
    stalls = Stalls()
    look(stalls, {RES2: 3}, 0.0)
    assert look(stalls, {RES2: 3}, AFTER).stuck


def test_a_long_idle_partition_that_just_received_an_event_is_not_stuck():
    stalls = Stalls()
    stalls.finished_one(RES2, 0.0)  # its last event, an hour ago
    assert not look(stalls, {RES2: 1}, 3600.0).stuck


def test_a_partition_finishing_events_is_healthy_however_long_its_backlog_lasts():
    stalls = Stalls()
    for now in range(0, 600, 10):
        stalls.finished_one(RES2, float(now))
        assert not look(stalls, {RES2: 500}, now + 5.0).stuck


def test_progress_on_one_partition_does_not_excuse_another():
    stalls = Stalls()
    look(stalls, {RES2: 2, REQ0: 4}, 0.0)
    stalls.finished_one(REQ0, 61.0)
    verdict = look(stalls, {RES2: 2, REQ0: 4}, 61.0)
    assert verdict.stuck and verdict.detail.startswith("holds 2 unprocessed events on labbook.reservations.v1[2],")


def test_every_stalled_partition_is_named_with_their_events_summed():
    stalls = Stalls()
    look(stalls, {RES2: 2, REQ0: 4}, 0.0)
    assert look(stalls, {RES2: 2, REQ0: 4}, 70.0).detail == (
        "holds 6 unprocessed events on labbook.requests.v1[0], labbook.reservations.v1[2], no progress for 70 s")


def test_a_partition_that_emptied_starts_a_new_wait_when_it_holds_again():
    stalls = Stalls()
    look(stalls, {RES2: 1}, 0.0)
    look(stalls, {}, 50.0)  # drained (e.g. committed past it) without our noticing an event
    assert not look(stalls, {RES2: 1}, 100.0).stuck
    assert look(stalls, {RES2: 1}, 160.0).stuck


def test_table_recovery_advancing_counts_as_progress_everywhere():
    stalls = Stalls()
    look(stalls, {RES2: 5}, 0.0)
    stalls.progressed(50.0)
    assert not look(stalls, {RES2: 5}, 100.0).stuck
    assert look(stalls, {RES2: 5}, 110.0).stuck


def test_held_is_the_lag_or_at_least_the_events_in_hand():
    # While a rebalance revokes a partition Faust forgets its committed offset: the lag
    # reads 0, but the events taken and never acknowledged are still held.
    assert held({RES2: 0, REQ0: 7}, {RES2: 1, REQ0: 2}) == {RES2: 1, REQ0: 7}
    assert held({RES2: 0}, {}) == {}


def test_the_report_is_503_with_the_reason_when_stuck_or_kafka_is_down():
    stuck = Verdict(True, "holds 1 unprocessed event on labbook.reservations.v1[2], no progress for 62 s")
    assert report("scheduler", True, Verdict(False)) == (
        {"service": "scheduler", "status": "ok", "checks": {"kafka": "ok", "progress": "ok"}}, 200)
    assert report("scheduler", True, stuck) == (
        {"service": "scheduler", "status": "stuck", "checks": {"kafka": "ok", "progress": "stuck"},
         "detail": stuck.detail}, 503)
    body, status = report("scheduler", False, Verdict(False))
    assert status == 503 and body["status"] == "unavailable" and body["checks"]["kafka"] == "down"


@given(st.dictionaries(st.sampled_from([RES2, REQ0]), st.integers(1, 1000), min_size=1),
       st.floats(0, 1e6), st.floats(0, 1e6))
def test_an_event_finished_on_every_held_partition_makes_it_healthy_at_once(holding, first, later):
    stalls = Stalls()
    look(stalls, holding, first)
    for partition in holding:
        stalls.finished_one(partition, first + later)
    assert not look(stalls, holding, first + later).stuck
