"""Example tests: each UNMATCHED reason, the score's preferences, event conversion."""
import gc
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from uuid import uuid4

import pytest

from schemas.events import CapacityAdvertised, CapacityItem, LabProfile, RequestSubmitted
from schemas.values import Accreditation, AccreditationStatus, Component, ScopeItem, TestKind
from services.booking.scheduler import outlook, scoring
from services.booking.scheduler.calendar import Calendar, Window
from services.booking.scheduler.matching import (Assignment, Demand, LabState, Unmatched, index_labs, match_exhaustive,
                                                 match_one)

from .factories import METHOD, MOSCOW, NOW, SAMARA, demand, lab, settings, window


def match(d, labs, calendar=None, **over):
    return match_one(d, labs, calendar or Calendar(), NOW, settings(**over))


def reason(d, labs, calendar=None):
    result = match(d, labs, calendar)
    assert isinstance(result, Unmatched), result
    return result.reason


def test_a_fitting_lab_gets_the_job_after_shipping():
    result = match(demand(), [lab()])
    assert isinstance(result, Assignment) and result.lab_id == "lab-a"
    assert result.start == NOW + timedelta(days=1)  # same region: the one-day minimum
    assert result.end == result.start + timedelta(hours=24)
    assert result.completion == result.end + timedelta(days=2)


@pytest.mark.parametrize("labs", [[], [lab(method="ISO6270-2-CH-240")], [lab(active=False)]])
def test_no_accredited_lab(labs):
    assert reason(demand(), labs) == "no_accredited_lab"


def test_accreditation_expires_before_deadline():
    assert reason(demand(), [lab(valid_until=NOW.date() + timedelta(days=2))]) == "accreditation_expires_before_deadline"


def test_samples_exceed_lab_limit():
    assert reason(demand(samples=11), [lab(max_samples=10)]) == "samples_exceed_lab_limit"


def test_silent_agent():
    assert reason(demand(), [lab(heartbeat=NOW - timedelta(hours=73))]) == "lab_agent_offline"
    assert isinstance(match(demand(), [lab(heartbeat=NOW - timedelta(hours=71))]), Assignment)


def test_no_capacity_before_deadline():
    cal = Calendar()
    full = lab(win=window(1, days=10))
    assert cal.reserve("lab-a", METHOD, "other", NOW, NOW + timedelta(days=10), full.terms[METHOD].windows)
    assert reason(demand(), [full], cal) == "no_capacity_before_deadline"
    assert reason(demand(deadline=NOW.date() + timedelta(days=3)), [lab(hours=48)]) == "no_capacity_before_deadline"


def test_all_candidates_declined_and_excluded():
    labs = [lab("lab-a"), lab("lab-b"), lab("lab-c", max_samples=1)]
    assert reason(demand(declined={"lab-a", "lab-b"}), labs) == "all_candidates_declined"
    assert reason(demand(excluded={"lab-a", "lab-b"}), labs) == "excluded_by_supplier"
    assert match(demand(declined={"lab-a"}), labs).lab_id == "lab-b"


def test_the_last_elimination_is_the_reason():
    # One lab lacks samples, the other is silent: the silent one went last.
    labs = [lab("lab-a", max_samples=1), lab("lab-b", heartbeat=None)]
    assert reason(demand(), labs) == "lab_agent_offline"


def test_deadline_counts_to_the_end_of_its_day():
    # Ship 1 day + 24 h test + 2 days report = 4 days: due on NOW's day + 4 is just enough.
    d = demand(deadline=(NOW + timedelta(days=4)).date())
    assert isinstance(match(d, [lab()]), Assignment)
    assert reason(demand(deadline=(NOW + timedelta(days=3)).date()), [lab()]) == "no_capacity_before_deadline"


def test_score_prefers_earlier_completion():
    busy = Calendar()
    a = lab("lab-a", win=window(1))
    busy.reserve("lab-a", METHOD, "x", NOW, NOW + timedelta(days=5), a.terms[METHOD].windows)
    assert match(demand(), [a, lab("lab-b")], busy, weight_load=0).lab_id == "lab-b"


def test_score_prefers_the_nearer_lab():
    far = lab("lab-a", at=MOSCOW)  # ~850 km: two shipping days
    assert match(demand(), [far, lab("lab-z", at=SAMARA)]).lab_id == "lab-z"
    assert match(demand(), [far, lab("lab-z", at=(53.3, 50.2))], weight_completion_per_day=0).lab_id == "lab-z"


def test_score_prefers_the_preferred_lab_and_ties_break_by_id():
    twins = [lab("lab-b"), lab("lab-a")]
    assert match(demand(), twins).lab_id == "lab-a"
    assert match(demand(preferred={"lab-b"}), twins).lab_id == "lab-b"


def test_score_prefers_the_cheaper_and_less_loaded_lab():
    assert match(demand(), [lab("lab-a", price=900_000), lab("lab-b", price=10_000)]).lab_id == "lab-b"


def _profile(scope, status=AccreditationStatus.ACTIVE):
    return LabProfile(lab_id="lab-x", name="Lab", inn="6320000000", region_code="RU-SAM", city="Togliatti",
                      lat=53.5, lon=49.4, accreditation=Accreditation(
                          certificate_no="RA.RU.21AB12", status=status, valid_until=date(2027, 1, 1)),
                      scope=scope, updated_at=NOW)


def test_lab_state_from_events_uses_override_else_catalogue():
    scope = (ScopeItem(method_code=METHOD, max_samples=5, price_rub=Decimal("1000")),
             ScopeItem(method_code="ISO6270-2-CH-240", max_samples=5, price_rub=Decimal("1"), duration_hours=7))
    capacity = CapacityAdvertised(lab_id="lab-x", heartbeat_at=NOW, items=(CapacityItem(
        method_code=METHOD, slots=2, available_from=NOW, available_to=NOW + timedelta(days=30)),))
    state = LabState.from_events(_profile(scope), capacity)
    assert state.terms[METHOD].duration == timedelta(hours=96)
    assert state.terms[METHOD].windows == (Window(2, NOW, NOW + timedelta(days=30)),)
    assert state.terms["ISO6270-2-CH-240"].duration == timedelta(hours=7)
    assert state.terms["ISO6270-2-CH-240"].windows == ()  # no capacity advertised
    assert state.heartbeat_at == NOW and state.active
    assert LabState.from_events(_profile(scope), None).heartbeat_at is None


def test_demand_from_event():
    event = RequestSubmitted(request_id=uuid4(), org_id="org", method_code=METHOD, test_kind=TestKind.VALIDATION,
                             component=Component(name="Door", part_number="1", category="body"), samples=2,
                             deadline=date(2026, 5, 1), ship_from_region="RU-TA", excluded_lab_ids=("lab-q",),
                             submitted_at=datetime(2026, 3, 1, tzinfo=timezone.utc))
    d = Demand.from_event(event, declined=["lab-d"])
    assert d.origin == "RU-TA" and d.excluded == {"lab-q"} and d.declined == {"lab-d"} and d.samples == 2


def test_the_start_is_the_first_free_lane_whichever_way_the_outlook_knows_it():
    """One lane, a 3-hour test, bookings leaving a 4-hour gap: from the same calendar, a
    request arriving before the gap starts in it; one arriving in the gap too late to fit
    waits for the lane, even half an hour before it frees; one arriving later starts on
    arrival. Each as scoring every lab through the calendar gives it."""
    day, hour = timedelta(days=1), timedelta(hours=1)
    cal, win = Calendar(), window()
    labs = [lab(hours=3, win=win)]
    cal.reserve("lab-a", METHOD, "a", NOW + day, NOW + day + 2 * hour, win)
    cal.reserve("lab-a", METHOD, "b", NOW + day + 6 * hour, NOW + day + 10 * hour, win)
    for now, start in ((NOW, NOW + day + 2 * hour), (NOW + 9.5 * hour, NOW + day + 10 * hour),
                       (NOW + 11 * hour, NOW + day + 11 * hour)):
        got = match_one(demand(), labs, cal, now, settings())
        assert got == match_exhaustive(demand(), labs, cal, now, settings())
        assert got.start == start


def test_what_matching_learns_of_a_calendar_is_kept_by_the_lab_index_and_goes_with_the_calendar():
    """A calendar holds bookings only; the outlooks matching keeps of it (outlook.py) live
    on the lab index, and a calendar nobody holds any more takes them with it."""
    labs, calendar = index_labs([lab()]), Calendar()
    assert isinstance(match_one(demand(), labs, calendar, NOW, settings()), Assignment)
    assert list(labs.outlooks) == [calendar] and list(labs.outlooks[calendar]) == [METHOD]
    del calendar
    gc.collect()
    assert not list(labs.outlooks)


def test_the_compiled_search_reads_the_row_layout_scoring_names():
    """numba's cache notices a change of outlook.py, not of scoring's columns the kernels
    froze: outlook recompiles them when the two differ."""
    outlook.compile_search()
    assert outlook._layout() == scoring.LAYOUT
