"""The thin agent layer with Faust's test_context(): decode, route, store, send, and
never let an exception escape. Real sends are patched (they deliver nothing here)."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from functools import partial
from unittest import mock

import faust
import pytest
from faust.serializers import codecs
from faust.types import TP

from schemas import events as ev
from schemas.envelope import Envelope
from schemas.faust_codec import Decoded
from schemas.topics import REQUESTS, topic_for_event
from services.booking.scheduler import flow, state
from services.booking.scheduler.agents import READERS
from services.booking.scheduler.app import create_worker
from services.booking.scheduler.labrecords import LabSide
from services.booking.scheduler.settings import SchedulerSettings
from services.booking.scheduler.state import RequestState
from tests.support import waits

from .factories import METHOD, NOW
from .test_flow import submitted
from .test_state import OLD_OFFERED


@pytest.fixture(scope="module")
async def worker():  # async, so the app takes the running loop instead of making its own
    built = create_worker(SchedulerSettings(app_id=f"test-agents-{uuid.uuid4().hex[:6]}"))
    app = built.app
    app.finalize()  # once per app
    app.flow_control.resume()
    yield built
    # The consumer (made by stream.events()) owns a thread loop that only a started
    # consumer closes; close it so its sockets don't leak into later tests.
    thread = getattr(app.consumer, "_thread", None)
    if thread is not None and not thread.thread_loop.is_closed():
        thread.thread_loop.close()


@pytest.fixture
def app(worker):
    return worker.app


MISROUTED: dict[str, str] = {}  # event type -> the topic a test puts it on instead of its own


@pytest.fixture(autouse=True)
def on_its_topic():
    """test_context() names no topic for an agent of several ("<internal>"): give each
    message the topic the registry puts its event on, as the broker would."""
    real = faust.agents.agent.AgentTestWrapper.to_message

    def to_message(self, key, value, **kwargs):
        message = real(self, key, value, **kwargs)
        if isinstance(value, Decoded):
            kind = value.envelope.type
            message.topic = MISROUTED.get(kind) or topic_for_event(kind).name
            message.tp = TP(message.topic, message.partition)
        return message

    with mock.patch.object(faust.agents.agent.AgentTestWrapper, "to_message", to_message):
        yield
    MISROUTED.clear()


@pytest.fixture
def sent():
    calls = []

    async def fake_send(self, *args, **kwargs):
        calls.append((self.get_topic_name(), kwargs))

    with mock.patch.object(faust.topics.Topic, "send", fake_send):
        yield calls


def of(sent, topic: str) -> list:
    return [kw["value"].event() for name, kw in sent if name == topic]


# put() returns once the agent takes the value; the window's solver runs in an executor.
until = partial(waits.until, timeout=10, what="the awaited condition", interval=0.05)


def decoded(event) -> Decoded:
    return Decoded(Envelope.wrap(event, producer="test"), event)


async def test_submission_is_stored_and_its_statuses_sent(app, sent):
    event = submitted(method_code="NO-SUCH-METHOD")
    async with app.agents["scheduler-requests"].test_context() as agent:
        await agent.put(decoded(event), key=str(event.request_id).encode())
        await agent.put(decoded(ev.MatchWindowClosed(partition=0)), key=b"window-0")
        await until(lambda: len(of(sent, "labbook.status.v1")) == 2)
    statuses = of(sent, "labbook.status.v1")
    assert [(s.seq, s.status, s.reason) for s in statuses] == [
        (2, "MATCHING", None), (3, "UNMATCHED", "no_accredited_lab")]
    state = app.tables["requests"][str(event.request_id)]
    assert state.status == "UNMATCHED" and state.seq == 3


async def test_a_failing_handler_is_dead_lettered_and_the_agent_goes_on(app, sent):
    bad, good = submitted(method_code="NO-SUCH-METHOD"), submitted(method_code="NO-SUCH-METHOD")
    real = flow.submitted

    def explode_once(state, event, *args):
        if event.request_id == bad.request_id:
            raise RuntimeError("boom")
        return real(state, event, *args)

    with mock.patch.dict(flow.HANDLERS, {ev.RequestSubmitted: explode_once}):
        async with app.agents["scheduler-requests"].test_context() as agent:
            await agent.put(decoded(bad), key=str(bad.request_id).encode())
            await agent.put(decoded(good), key=str(good.request_id).encode())
            await agent.put(decoded(ev.MatchWindowClosed(partition=0)), key=b"window-0")
            await until(lambda: app.tables["requests"][str(good.request_id)].status == "UNMATCHED")
    letters = [kw["value"].event() for topic, kw in sent if topic == "labbook.dlq.v1"]
    assert len(letters) == 1 and "RuntimeError: boom" in letters[0].reason
    assert app.tables["requests"][str(good.request_id)].status == "UNMATCHED"


async def test_an_event_on_a_topic_that_does_not_carry_it_is_dead_lettered_not_handled(app, sent):
    grant = ev.SlotGranted(reservation_id=uuid.uuid4(), request_id=uuid.uuid4(), lab_id="lab-x",
                           method_code=METHOD, start=NOW, end=NOW + timedelta(days=1))
    MISROUTED["SlotGranted"] = REQUESTS.name
    async with app.agents["scheduler-requests"].test_context() as agent:
        await agent.put(decoded(grant), key=str(grant.request_id).encode())
        await until(lambda: of(sent, "labbook.dlq.v1"))
    letters = of(sent, "labbook.dlq.v1")
    assert [(x.topic, x.reason) for x in letters] == [
        ("labbook.requests.v1", "labbook.requests.v1 does not carry SlotGranted")]
    assert of(sent, "labbook.reservations.v1") == []  # an unknown grant would be released: not handled


async def test_requests_in_one_window_are_assigned_together(app, sent):
    profile = ev.LabProfile(
        lab_id="lab-w", name="W", inn="6312345670", region_code="RU-SAM", city="Samara", lat=53.2, lon=50.1,
        updated_at=NOW, accreditation={"certificate_no": "RA.RU.21AB12", "status": "active",
                                       "valid_until": "2030-01-01"},
        scope=({"method_code": METHOD, "max_samples": 10, "price_rub": 1000},))
    capacity = ev.CapacityAdvertised(lab_id="lab-w", heartbeat_at=flow_now(), items=(
        {"method_code": METHOD, "slots": 1, "available_from": flow_now(),
         "available_to": flow_now() + timedelta(days=200)},))
    first, second = (submitted(deadline=(flow_now() + timedelta(days=120)).date()) for _ in range(2))
    async with app.agents["scheduler-requests"].test_context() as agent:
        await agent.put(decoded(ev.SupplyChanged(lab_id="lab-w", profile=profile, capacity=capacity)),
                        key=b"lab-w")
        for r in (first, second):
            await agent.put(decoded(r), key=str(r.request_id).encode())
        assert not [kw for topic, kw in sent if topic == "labbook.reservations.v1"]  # waiting for the window
        await agent.put(decoded(ev.MatchWindowClosed(partition=0)), key=b"window-0")
        await until(lambda: len(of(sent, "labbook.reservations.v1")) + len(planned(sent)) == 2)
    asks, plans = of(sent, "labbook.reservations.v1"), planned(sent)
    assert {a.request_id for a in (*asks, *plans)} == {first.request_id, second.request_id}
    # One slot: the joint plan puts them one after the other (which first is a tie: both
    # were submitted at once). The first is offered at once (its samples must leave
    # now); the other, weeks later, waits in the plan.
    assert len(asks) == 1 and [p.lab_id for p in plans] == ["lab-w"]
    assert asks[0].end <= plans[0].planned_start
    stored = app.tables["requests"][str(plans[0].request_id)]
    assert stored.status == "MATCHING" and stored.queued and stored.plan.start == plans[0].planned_start


def planned(sent) -> list[ev.RequestPlanned]:
    return [e for e in of(sent, "labbook.status.v1") if isinstance(e, ev.RequestPlanned)]


def flow_now():
    return datetime.now(timezone.utc)


OTHER = "ISO6270-2-CH-240"  # no other test's lab holds it (the app and its tables live per module)


def profile_of(lab_id: str, price: int) -> ev.LabProfile:
    return ev.LabProfile(
        lab_id=lab_id, name=lab_id, inn="6312345670", region_code="RU-SAM", city="Samara", lat=53.2, lon=50.1,
        updated_at=NOW, accreditation={"certificate_no": "RA.RU.21AB12", "status": "active",
                                       "valid_until": "2030-01-01"},
        scope=({"method_code": OTHER, "max_samples": 10, "price_rub": price},))


def capacity_of(lab_id: str) -> ev.CapacityAdvertised:
    return ev.CapacityAdvertised(lab_id=lab_id, heartbeat_at=flow_now(), items=(
        {"method_code": OTHER, "slots": 1, "available_from": flow_now(),
         "available_to": flow_now() + timedelta(days=200)},))


async def test_a_granted_slot_reaches_every_request_partition_and_steers_matching(app, sent):
    """The labs agent broadcasts a lab's bookings after a grant; the requests agent keeps
    them, so the next request sees the cheaper lab busy and asks the other one."""
    ask = ev.ReserveSlot(reservation_id=uuid.uuid4(), request_id=uuid.uuid4(), lab_id="lab-cheap",
                         method_code=OTHER, start=flow_now() + timedelta(days=1),
                         end=flow_now() + timedelta(days=5))
    async with app.agents["scheduler-labs"].test_context() as labs:
        for event in (profile_of("lab-cheap", 1000), capacity_of("lab-cheap"), ask):
            await labs.put(decoded(event), key=b"lab-cheap")
        await until(lambda: len(of(sent, "labbook.lab-state.v1")) == 4 + 4 + 4)  # supply twice, bookings
    changes = [e for e in of(sent, "labbook.lab-state.v1") if isinstance(e, ev.BookingsChanged)]
    assert [type(e) for e in of(sent, "labbook.matching.v1")] == [ev.SlotGranted]
    assert len(changes) == 4 and [b.reservation_id for b in changes[0].bookings] == [ask.reservation_id]
    sent.clear()
    request = submitted(method_code=OTHER, deadline=(flow_now() + timedelta(days=60)).date())
    async with app.agents["scheduler-requests"].test_context() as agent:
        for lab_id, price in (("lab-cheap", 1000), ("lab-dear", 20_000)):
            await agent.put(decoded(ev.SupplyChanged(lab_id=lab_id, profile=profile_of(lab_id, price),
                                                     capacity=capacity_of(lab_id))), key=lab_id.encode())
        await agent.put(decoded(changes[0]), key=b"lab-cheap")
        await agent.put(decoded(request), key=str(request.request_id).encode())
        await agent.put(decoded(ev.MatchWindowClosed(partition=0)), key=b"window-0")
        await until(lambda: of(sent, "labbook.reservations.v1"))
    booked = changes[0].bookings[0]
    assert app.tables["bookings"][f"lab-cheap|{OTHER}|{ask.reservation_id}"] == [booked.start.isoformat(),
                                                                                 booked.end.isoformat()]
    # lab-cheap is busy for four days; 19,000 RUB more costs under a day.
    assert of(sent, "labbook.reservations.v1")[0].lab_id == "lab-dear"


async def test_a_revoked_partition_is_forgotten_by_the_index(worker, app, sent):
    event = submitted(method_code="NO-SUCH-METHOD")
    async with app.agents["scheduler-requests"].test_context() as agent:
        await agent.put(decoded(event), key=str(event.request_id).encode())
        await agent.put(decoded(ev.MatchWindowClosed(partition=0)), key=b"window-0")
        await until(lambda: app.tables["requests"][str(event.request_id)].status == "UNMATCHED")
    watch = worker.watch
    assert 0 in watch.built and str(event.request_id) in watch.supply_sensitive[0]
    await app.on_partitions_revoked.send({TP("labbook.requests.v1", 0)})
    assert 0 not in watch.built and not watch.supply_sensitive[0]


def booked_slot(days: int) -> ev.BookedSlot:
    return ev.BookedSlot(reservation_id=uuid.uuid4(), start=flow_now() + timedelta(days=days),
                         end=flow_now() + timedelta(days=days + 2))


async def test_booking_changes_keep_one_entry_per_reservation_and_a_legacy_whole_list_is_taken_over(app, sent):
    """A change carries only what changed; the requests agent keeps one table entry per
    reservation, and a lab+method still kept as one whole list (as before) becomes
    entries on its next change, less what that change released."""
    lab, method, table = "lab-delta", OTHER, app.tables["bookings"]
    old_a, old_b, new = booked_slot(1), booked_slot(3), booked_slot(5)
    rows = lambda *slots: [[str(s.reservation_id), s.start.isoformat(), s.end.isoformat()] for s in slots]
    async with app.agents["scheduler-requests"].test_context() as agent:
        # the whole list an earlier version stored, then a change: new booked, old_b released
        await agent.put(decoded(ev.BookingsChanged(lab_id=lab, method_code=method, bookings=(old_a, old_b))),
                        key=lab.encode())
        assert table[f"{lab}|{method}|{old_b.reservation_id}"] == rows(old_b)[0][1:]
        # as an earlier version kept it (its store directly: the table is written in streams only)
        del table.data[f"{lab}|{method}|{old_a.reservation_id}"], table.data[f"{lab}|{method}|{old_b.reservation_id}"]
        table.data[f"{lab}|{method}"] = rows(old_a, old_b)
        change = ev.BookingsChanged(lab_id=lab, method_code=method, replace=False, bookings=(new,),
                                    released=(old_b.reservation_id,))
        await agent.put(decoded(change), key=lab.encode())
        await agent.put(decoded(change), key=lab.encode())  # every partition hears it: the same again
    mine = sorted(k for k in table.keys() if k.startswith(f"{lab}|"))
    assert mine == sorted(f"{lab}|{method}|{s.reservation_id}" for s in (old_a, new))
    assert table[f"{lab}|{method}|{new.reservation_id}"] == rows(new)[0][1:]
    # a full list replaces everything the lab+method had
    async with app.agents["scheduler-requests"].test_context() as agent:
        await agent.put(decoded(ev.BookingsChanged(lab_id=lab, method_code=method, bookings=(old_b,))),
                        key=lab.encode())
    assert sorted(k for k in table.keys() if k.startswith(f"{lab}|")) == [f"{lab}|{method}|{old_b.reservation_id}"]
    assert of(sent, "labbook.dlq.v1") == []


async def test_the_requests_table_writes_and_recovers_its_changelog_through_the_state_codec(app):
    """What recovery reads back is a RequestState, from what this version writes and from
    a plain dict an earlier one wrote."""
    table = app.tables["requests"]
    assert table.value_serializer == table.changelog_topic.value_serializer == state.CODEC_NAME
    old = RequestState.model_validate(OLD_OFFERED)
    written = app.serializers.dumps_value(table.value_type, old.but(asked=2), serializer=table.value_serializer)
    assert table.data._decode_value(written) == old.but(asked=2)
    assert table.data._decode_value(codecs.dumps("json", OLD_OFFERED)) == old


def test_each_agent_reads_the_topics_that_carry_what_its_side_handles():
    """By hand: the request side's inputs and the lab side's, one agent each."""
    assert {name: {t.name for t in topics} for name, topics in READERS.items()} == {
        "scheduler-requests": {"labbook.requests.v1", "labbook.lab-responses.v1", "labbook.matching.v1",
                               "labbook.lab-state.v1"},
        "scheduler-labs": {"labbook.labs.v1", "labbook.capacity.v1", "labbook.reservations.v1"}}


def test_a_side_out_of_step_with_its_topics_refuses_to_start():
    with mock.patch.object(LabSide, "EVENTS", LabSide.EVENTS - {"ReleaseSlot"}), \
            pytest.raises(RuntimeError, match="scheduler-labs reads .*ReleaseSlot"):
        create_worker(SchedulerSettings(app_id=f"test-step-{uuid.uuid4().hex[:6]}"))
