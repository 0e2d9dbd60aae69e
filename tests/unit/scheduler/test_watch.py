"""The scheduler's per-partition index of requests to look at (watch.py) follows the flow's states."""
from __future__ import annotations

from datetime import timedelta

from schemas.states import RequestStatus
from services.booking.scheduler import flow
from services.booking.scheduler.watch import Watch

from .factories import NOW
from .test_flow import ctx, offered, submitted


def key_of(state) -> str:
    return str(state.request_id)


def test_an_offered_request_is_watched_for_expiry_and_supply_until_it_moves_on():
    c = ctx()
    state, _ = offered(c)
    watch = Watch()
    watch.note(key_of(state), state)
    assert key_of(state) in watch.supply_sensitive[0]
    later = NOW + timedelta(seconds=c.settings.offer_ttl_s + 1)
    assert watch.expired({0}, later) == [key_of(state)]
    assert watch.expired({0}, NOW) == [] and watch.expired({1}, later) == []
    state = state.but(cancelled=True)
    watch.note(key_of(state), state)
    assert watch.expired({0}, later) == [] and key_of(state) not in watch.supply_sensitive[0]


def test_queued_requests_are_found_per_partition_and_rebuilt_from_the_table():
    c = ctx(partition=2, batch_window_s=1.0)
    out: list = []
    queued = flow.submitted(None, submitted(), c, out)
    assert queued.queued
    table = {key_of(queued): queued, "other": None}
    watch = Watch()
    watch.build(2, table.items())
    assert watch.queued[2] == {key_of(queued)} and 2 in watch.built
    watch.forget(2)
    assert not watch.queued[2] and 2 not in watch.built
    unmatched_elsewhere = queued.but(partition=3, queued=False, status=RequestStatus.UNMATCHED)
    watch.build(3, {"x": unmatched_elsewhere, key_of(queued): queued}.items())
    assert watch.supply_sensitive[3] == {"x"} and not watch.queued[3]
