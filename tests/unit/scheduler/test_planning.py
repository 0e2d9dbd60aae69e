"""planning.py: provisional plans re-solved each round, offers committed only when due.
Expectations are worked out by hand from the lab's window, the 24 h test, 1 day of
shipping (Samara to Samara), the 48 h offer TTL and the 12 h lead margin."""
from datetime import date, timedelta

from services.booking.scheduler.calendar import Calendar
from services.booking.scheduler.matching import Assignment
from services.booking.scheduler.planning import offer_due, plan_round

from .factories import METHOD, NOW, demand, lab, settings, window

DAY = timedelta(days=1)
LAB = lab("lab-a", win=window(slots=1, days=90))


def _busy_until(days: int) -> Calendar:
    """The lab's one lane already committed (pinned) from NOW for `days` days."""
    calendar = Calendar()
    assert calendar.reserve("lab-a", METHOD, "committed", NOW, NOW + days * DAY, LAB.terms[METHOD].windows)
    return calendar


def test_offer_is_due_ttl_shipping_and_lead_before_the_start():
    a = Assignment("r1", "lab-a", METHOD, NOW + 10 * DAY, NOW + 11 * DAY, NOW + 13 * DAY, 0.0)
    # 10 days out, less 1 day shipping, 48 h TTL and 12 h lead: 6.5 days from NOW.
    assert offer_due(a, demand("r1"), LAB, settings()) == NOW + timedelta(days=6, hours=12)


def test_an_urgent_request_commits_at_once():
    # Free lane: the earliest start is NOW + 1 day (shipping), so its offer was due 2.5 days ago.
    done = plan_round([demand("r1")], {}, [LAB], Calendar(), NOW, settings())
    assert [a.request_id for a in done.commit] == ["r1"]
    assert done.commit[0].start == NOW + DAY and done.next_due is None


def test_deferring_lets_a_later_tighter_request_place_too():
    calendar = _busy_until(10)
    far = demand("far", deadline=date(2026, 4, 30))
    first = plan_round([far], {}, [LAB], calendar, NOW, settings())
    # Planned at the lane's first free moment, 03-12 09:00; due 6.5 days from now: not yet.
    assert first.commit == [] and first.plan["far"].start == NOW + 10 * DAY
    assert first.next_due == NOW + timedelta(days=6, hours=12)
    # Its report must be out by 03-15, so its test must end by 03-14 00:00: only the
    # slot 03-12 09:00 - 03-13 09:00 does. Committed on arrival, `far` would hold it.
    near = demand("near", deadline=date(2026, 3, 15))
    second = plan_round([far, near], first.plan, [LAB], calendar, NOW + timedelta(minutes=5), settings())
    assert second.plan["near"].start == NOW + 10 * DAY
    assert second.plan["far"].start == NOW + 11 * DAY
    assert second.commit == [] and second.solved == {METHOD}


def test_a_committed_booking_is_never_moved():
    calendar = _busy_until(10)
    done = plan_round([demand("r1")], {}, [LAB], calendar, NOW, settings())
    assert [(r.start, r.end) for r in calendar.reservations("lab-a", METHOD)] == [(NOW, NOW + 10 * DAY)]
    assert done.plan["r1"].start == NOW + 10 * DAY  # planned around it, and the calendar left as it was


def test_a_round_never_places_fewer_than_the_previous_plan():
    calendar = _busy_until(10)
    a, b = demand("a", deadline=date(2026, 4, 30)), demand("b", deadline=date(2026, 4, 30))
    previous = {"a": Assignment("a", "lab-a", METHOD, NOW + 10 * DAY, NOW + 11 * DAY, NOW + 13 * DAY, 9.0),
                "b": Assignment("b", "lab-a", METHOD, NOW + 11 * DAY, NOW + 12 * DAY, NOW + 14 * DAY, 9.0)}
    # `late` must end by 03-14 00:00, so only the slot a holds fits it; a and b have weeks
    # of slack, so the round moves a later rather than leave anyone out.
    late = demand("late", deadline=date(2026, 3, 15))
    done = plan_round([a, b, late], previous, [LAB], calendar, NOW + timedelta(minutes=5), settings())
    placed = {rid for rid, r in done.plan.items() if isinstance(r, Assignment)}
    assert placed == {"a", "b", "late"}  # three slots before April 30 hold all three
    assert done.plan["late"].start == NOW + 10 * DAY


def test_a_method_where_nothing_changed_keeps_its_plan():
    calendar = _busy_until(10)
    previous = {"a": Assignment("a", "lab-a", METHOD, NOW + 20 * DAY, NOW + 21 * DAY, NOW + 23 * DAY, 9.0)}
    done = plan_round([demand("a", deadline=date(2026, 4, 30))], previous, [LAB], calendar, NOW, settings())
    assert done.plan == previous and done.solved == frozenset()


def test_the_benchmark_run_places_what_first_come_first_served_gives_away():
    """bench/contenders.py run_planned drives plan_round in simulated time. The lab's
    window opens 10 days out; `far` arrives first, `near` (test ended by 03-14 00:00)
    five minutes later. On arrival `far` takes the only slot `near` could use; planned
    ahead, neither is committed before `near` arrives, so both are placed."""
    from bench.contenders import run_fcfs, run_planned

    late = lab("lab-a", win=window(slots=1, days=80, start=NOW + 10 * DAY))
    demands = [demand("far", deadline=date(2026, 4, 30)), demand("near", deadline=date(2026, 3, 15))]
    arrivals = [NOW, NOW + timedelta(minutes=5)]
    fcfs = run_fcfs([late], demands, arrivals, settings())
    assert [type(r).__name__ for r in fcfs] == ["Assignment", "Unmatched"]
    planned = run_planned([late], demands, arrivals, settings())
    assert [(r.request_id, r.start) for r in planned.results] == [("far", NOW + 11 * DAY), ("near", NOW + 10 * DAY)]


def test_without_planning_ahead_every_placement_is_offered_in_its_round():
    calendar = _busy_until(10)
    done = plan_round([demand("far")], {}, [LAB], calendar, NOW, settings(plan_ahead=False))
    assert [(a.request_id, a.start) for a in done.commit] == [("far", NOW + 10 * DAY)] and done.next_due is None


def test_a_slot_that_opens_earlier_moves_the_plan_there_when_supply_changed():
    """Planned into the lab's window 20 days out; the lab then opens one from now. Named
    as changed, the method is planned jointly again and takes the earlier slot (a
    lower score: the report days sooner); not named, the plan stands as it was."""
    far = demand("far", deadline=date(2026, 4, 30))
    later = lab("lab-a", win=window(slots=1, days=60, start=NOW + 20 * DAY))
    first = plan_round([far], {}, [later], Calendar(), NOW, settings())
    assert first.plan["far"].start == NOW + 20 * DAY and first.commit == []
    sooner = lab("lab-a", win=window(slots=1, days=80))
    kept = plan_round([far], first.plan, [sooner], Calendar(), NOW, settings())
    assert kept.plan["far"].start == NOW + 20 * DAY and kept.solved == frozenset()
    moved = plan_round([far], first.plan, [sooner], Calendar(), NOW, settings(), changed=[METHOD])
    # The earliest the samples arrive (a day's shipping): due at once, so committed.
    assert [(a.request_id, a.start) for a in moved.commit] == [("far", NOW + DAY)]


def test_unplaced_is_final_only_when_no_lab_could_take_it_even_free():
    """The lane is booked for 60 days: neither `near` nor `far` fits, but each would if
    the booking went, so both wait in the plan; `late` (report by 03-04: shipping, the
    test and reporting take 4 days) no lab could do at all. Without planning ahead every
    request left out is final, as matching on arrival had it."""
    calendar = _busy_until(60)
    near, far = demand("near", deadline=date(2026, 3, 15)), demand("far", deadline=date(2026, 4, 30))
    done = plan_round([near, far], {}, [LAB], calendar, NOW, settings())
    assert all(type(r).__name__ == "Unmatched" for r in done.plan.values())
    assert done.final == frozenset()  # with its lane free, lab-a could do both
    hopeless = demand("late", deadline=date(2026, 3, 4))  # shipping + test + reporting: 4 days at least
    done = plan_round([near, far, hopeless], {}, [LAB], calendar, NOW, settings())
    assert done.final == {"late"}
    done = plan_round([near, far], {}, [LAB], calendar, NOW, settings(plan_ahead=False))
    assert done.final == {"near", "far"}
