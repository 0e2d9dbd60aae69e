"""The localisation case's planner runs (insight/whatif.py) on queues small enough to
plan by hand: the figures below are counted on a calendar, not taken from the code.

Rules used (DESIGN.md "Matching", scheduler/scoring.py): a parcel travels at least one
day; a test must end two days (reporting) before the end of its deadline's day.
From Samara's centre to a lab there: samples arrive on 2 December; a 96 h test
(ISO9227-NSS-96) with the deadline 11 December must end by 10 December 00:00, so one
slot holds exactly two of them (2-6 and 6-10 December).
"""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta, timezone

from schemas.regions import REGIONS_BY_CODE
from services.booking.insight.capacity import gaps_of
from services.booking.insight.whatif import Booking, Planner, candidate_regions, gap, month_starts
from services.booking.scheduler.domain import Demand, LabState, Terms
from services.booking.scheduler.settings import SchedulerSettings
from services.booking.scheduler.windows import Window

NOW = datetime(2026, 12, 1, tzinfo=timezone.utc)
SALT_96, SALT_240 = "ISO9227-NSS-96", "ISO9227-NSS-240"
SAMARA = REGIONS_BY_CODE["RU-SAM"]
SETTINGS = SchedulerSettings()


def samara_lab(slots: int = 1) -> LabState:
    window = Window(slots, NOW, datetime(2027, 2, 1, tzinfo=timezone.utc))
    return LabState("lab-samara", SAMARA.lat, SAMARA.lon, True, date(2028, 1, 1), NOW,
                    {SALT_96: Terms(10, 10_000.0, timedelta(hours=96), window)})


def demands(method: str, n: int, deadline: date, origin: str) -> tuple[Demand, ...]:
    return tuple(Demand(f"{method}-{i}", method, 3, deadline, origin) for i in range(n))


def planner(queue: tuple[Demand, ...], labs=(), bookings=()) -> Planner:
    return Planner(queue, tuple(labs), tuple(bookings), NOW, SETTINGS, {"lab-samara": "RU-SAM"})


def test_month_starts_are_now_then_first_days():
    assert month_starts(datetime(2026, 11, 20, 9, tzinfo=timezone.utc)) == [
        datetime(2026, 11, 20, 9, tzinfo=timezone.utc), datetime(2026, 12, 1, tzinfo=timezone.utc),
        datetime(2027, 1, 1, tzinfo=timezone.utc), datetime(2027, 2, 1, tzinfo=timezone.utc)]


def test_one_slot_holds_two_so_two_more_slots_place_the_other_four():
    found = gap(SALT_96, planner(demands(SALT_96, 6, date(2026, 12, 11), "RU-SAM"), [samara_lab()]))
    assert (found.waiting, found.unplaced) == (6, 4)
    s = found.suggestion
    assert (s.region, s.slots, s.available_from, s.placed_more) == ("RU-SAM", 2, date(2026, 12, 1), 4)
    # Opened in January or later, the slots come after every deadline.
    assert [(o.available_from, o.placed_more) for o in found.by_month] == [
        (date(2026, 12, 1), 4), (date(2027, 1, 1), 0), (date(2027, 2, 1), 0), (date(2027, 3, 1), 0)]


def test_a_booked_slot_is_not_free_for_the_queue():
    held = Booking("earlier", "lab-samara", SALT_96, datetime(2026, 12, 2, tzinfo=timezone.utc),
                   datetime(2026, 12, 6, tzinfo=timezone.utc))
    found = gap(SALT_96, planner(demands(SALT_96, 3, date(2026, 12, 11), "RU-SAM"), [samara_lab()], [held]))
    assert (found.unplaced, found.suggestion.slots, found.suggestion.placed_more) == (2, 1, 2)


def test_a_method_no_lab_holds_gets_a_lab_where_its_requests_ship_from():
    # 240 h tests from Tatarstan, due 31 January: one slot from 1 December runs all three
    # (2-12, 12-22 December, 22 December-1 January); from 1 January only two end by 30 January.
    found = gap(SALT_240, planner(demands(SALT_240, 3, date(2027, 1, 31), "RU-TA"), [samara_lab()]))
    assert (found.waiting, found.unplaced) == (3, 3)
    s = found.suggestion
    assert (s.region, s.slots, s.available_from, s.placed_more) == ("RU-TA", 1, date(2026, 12, 1), 3)
    assert [o.placed_more for o in found.by_month] == [3, 2, 0, 0]


def test_the_suggestion_opens_as_late_as_places_as_many():
    # Due in March, from Tatarstan: one slot opened in December or January runs all three.
    found = gap(SALT_240, planner(demands(SALT_240, 3, date(2027, 3, 31), "RU-TA")))
    assert [o.placed_more for o in found.by_month] == [3, 3, 3, 2]
    assert found.suggestion.available_from == date(2027, 2, 1)


def test_nothing_unplaced_means_no_gap_and_the_answer_leaves_the_method_out():
    placed = planner(demands(SALT_96, 2, date(2026, 12, 11), "RU-SAM"), [samara_lab()])
    found = gap(SALT_96, placed)
    assert (found.unplaced, found.suggestion, found.by_month) == (0, None, [])
    short = planner(demands(SALT_240, 3, date(2027, 1, 31), "RU-TA"))
    answer = gaps_of({SALT_96: placed, SALT_240: short}, NOW)
    assert [g.method_code for g in answer.items] == [SALT_240]
    assert (answer.unplaced, answer.placed_more) == (3, 3)


def test_regions_tried_are_the_unplaced_origins_most_first_then_the_labs():
    p = planner(demands(SALT_96, 1, date(2026, 12, 11), "RU-SAM"), [samara_lab()])
    assert candidate_regions(SALT_96, Counter({"RU-TA": 2, "RU-MOW": 5, "RU-NIZ": 2}), p) == [
        "RU-MOW", "RU-NIZ", "RU-TA", "RU-SAM"]


async def test_before_the_supply_is_read_the_answer_is_503_to_come_back():
    from services.booking.insight.capacity import GapsKeeper
    from services.booking.insight.supply import SupplyView
    from services.common.errors import ApiError
    try:
        await GapsKeeper(SETTINGS).gaps(None, SupplyView(), 600)
    except ApiError as exc:
        assert (exc.status, exc.code) == (503, "supply_loading")
    else:
        raise AssertionError("answered before the supply was read")
