"""Property tests on random small instances; every check re-derived here, not borrowed from matching."""
import math
from datetime import datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from schemas.regions import REGIONS_BY_CODE, distance_km
from services.booking.scheduler.assignment import assign_batch, assign_greedy
from services.booking.scheduler.calendar import Calendar, Reservation, Window, Windows
from services.booking.scheduler.matching import (Assignment, Demand, LabState, Terms, index_labs, match_exhaustive,
                                                  match_one, screen, screen_lab)

from .factories import NOW, settings

METHODS = ("ISO9227-NSS-96", "ISO6270-2-CH-240", "IEC60068-2-14-NA")
REGIONS = ("RU-SAM", "RU-MOW", "RU-SPE", "RU-NVS", "RU-TA")
SETTINGS = settings()
PROFILE = hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def windows(draw, dense=False):
    """1-3 windows of a method in time order, each with its own lanes, the gaps between
    them from none (touching) to 10 days: a break the lab advertised around."""
    n, start, out = draw(st.integers(1, 3)), NOW + timedelta(hours=draw(st.integers(-48, 48 if dense else 240))), []
    for _ in range(n):
        end = start + timedelta(hours=draw(st.integers(24, 40 * 24 // n)))
        out.append(Window(draw(st.integers(1, 2)), start, end))
        start = end + timedelta(hours=draw(st.integers(0, 240)))
    return Windows(reversed(out))  # in any order: Windows sorts them


@st.composite
def labs(draw, n=st.integers(1, 4), dense=False):
    """`dense`: every lab live and accredited with capacity from about now, so many compete."""
    out = []
    for i in range(draw(n)):
        region = REGIONS_BY_CODE[draw(st.sampled_from(REGIONS))]
        terms = {}
        for method in draw(st.sets(st.sampled_from(METHODS), min_size=1)):
            win = draw(windows(dense))
            terms[method] = Terms(draw(st.integers(1, 6)), draw(st.integers(0, 500_000)),
                                  timedelta(hours=draw(st.sampled_from((8, 24, 60, 96)))),
                                  win if dense else draw(st.one_of(st.just(Windows()), st.just(win), st.just(win),
                                                                   st.just(win))))
        heartbeat = NOW - timedelta(hours=draw(st.integers(0, 10 if dense else 100)))
        out.append(LabState(f"lab-{i}", region.lat + draw(st.floats(-1, 1)), region.lon,
                            dense or draw(st.booleans()) or i == 0,
                            NOW.date() + timedelta(days=draw(st.integers(30 if dense else 0, 60))), heartbeat, terms))
    return out


@st.composite
def demands(draw, n=st.integers(1, 6)):
    return [Demand(f"r{i}", draw(st.sampled_from(METHODS)), draw(st.integers(1, 6)),
                   NOW.date() + timedelta(days=draw(st.integers(0, 45))), draw(st.sampled_from(REGIONS)),
                   frozenset(draw(st.sets(st.sampled_from(("lab-0", "lab-1"))))),
                   frozenset(draw(st.sets(st.sampled_from(("lab-1", "lab-2")), max_size=1))),
                   frozenset(draw(st.sets(st.sampled_from(("lab-3",)))))) for i in range(draw(n))]


def check_hard_constraints(d: Demand, a: Assignment, labs: list[LabState]) -> None:
    lab = next(lab for lab in labs if lab.lab_id == a.lab_id)
    terms = lab.terms[d.method]
    region = REGIONS_BY_CODE[d.origin]
    ship = max(1, math.ceil(distance_km(region.lat, region.lon, lab.lat, lab.lon) / 500))
    midnight_after = lambda day: datetime(day.year, day.month, day.day, tzinfo=timezone.utc) + timedelta(days=1)
    assert lab.active and a.completion <= midnight_after(lab.valid_until)
    assert d.samples <= terms.max_samples
    assert NOW - lab.heartbeat_at <= timedelta(hours=72)
    assert a.lab_id not in d.excluded | d.declined
    assert a.start >= NOW + timedelta(days=ship)
    assert a.end - a.start == terms.duration and a.completion - a.end == timedelta(days=2)
    assert a.completion <= midnight_after(d.deadline)
    assert any(w.start <= a.start and a.end <= w.end for w in terms.windows)  # one window holds it all


def check_not_over_committed(assignments: list[Assignment], labs: list[LabState]) -> None:
    for lab in labs:
        for method, terms in lab.terms.items():
            mine = [a for a in assignments if (a.lab_id, a.method) == (lab.lab_id, method)]
            for probe in mine:  # the peak of overlapping intervals is at some interval's start
                overlapping = [a for a in mine if a.start <= probe.start < a.end]
                lanes = next(w.slots for w in terms.windows if w.start <= probe.start and probe.end <= w.end)
                assert len(overlapping) <= lanes


def placed(results) -> list[Assignment]:
    return [r for r in results if isinstance(r, Assignment)]


@PROFILE
@given(labs(), demands(n=st.just(1)), st.randoms(use_true_random=False))
def test_match_one_never_breaks_a_hard_constraint_and_ignores_input_order(labs, ds, rnd):
    result = match_one(ds[0], labs, Calendar(), NOW, SETTINGS)
    shuffled = list(labs)
    rnd.shuffle(shuffled)
    assert match_one(ds[0], shuffled, Calendar(), NOW, SETTINGS) == result
    if isinstance(result, Assignment):
        check_hard_constraints(ds[0], result, labs)


@PROFILE
@given(labs(n=st.integers(1, 6)), demands(n=st.just(1)), st.integers(-100, 2000))
def test_one_labs_screen_is_that_lab_in_every_labs_screen(labs, ds, hours_on):
    """screen_lab (a plan's placement re-checked on its own lab) keeps exactly the labs
    screen keeps, with the same Option, at any moment."""
    now = NOW + timedelta(hours=hours_on)
    kept, _ = screen(ds[0], labs, now, SETTINGS)
    by_lab = {o.lab.lab_id: o for o in kept}
    assert {lab.lab_id: screen_lab(ds[0], lab, now, SETTINGS) for lab in labs} == {
        lab.lab_id: by_lab.get(lab.lab_id) for lab in labs}


@PROFILE
@given(st.one_of(labs(n=st.integers(2, 8)), labs(n=st.integers(4, 10), dense=True)), demands(),
       st.lists(st.tuples(st.integers(0, 9), st.sampled_from(METHODS), st.integers(0, 600),
                                           st.integers(1, 300)), max_size=40),
       st.sampled_from((0.0, 2.0, 50.0)))
def test_best_first_search_finds_what_scoring_every_lab_finds(labs, ds, booked, weight_load):
    """The shortlist's early stop and its vectorised checks change nothing: same lab, slot,
    score and reason as scoring every lab, on calendars that are partly booked."""
    calendar = Calendar()
    for n, (i, method, hours, length) in enumerate(booked):
        if i < len(labs) and method in labs[i].terms:
            start = NOW + timedelta(hours=hours)
            calendar.load(labs[i].lab_id, method, Reservation(f"x{n}", start, start + timedelta(hours=length)))
    tuned = settings(weight_load=weight_load)
    for d in ds:
        assert match_one(d, labs, calendar, NOW, tuned) == match_exhaustive(d, labs, calendar, NOW, tuned)


@hsettings(PROFILE, max_examples=200)
@given(labs(n=st.integers(4, 10), dense=True), demands(n=st.integers(2, 6)),
       st.lists(st.tuples(st.integers(0, 9), st.integers(0, 400), st.integers(1, 200)), min_size=5, max_size=40),
       st.fixed_dictionaries({"weight_load": st.sampled_from((0.0, 2.0, 50.0)),
                              "weight_completion_per_day": st.sampled_from((0.0, 0.25, 1.0, 4.0)),
                              "weight_distance_per_100km": st.sampled_from((0.0, 0.1, 2.0)),
                              "weight_price_per_10k_rub": st.sampled_from((0.0, 0.05, 1.0)),
                              "bonus_preferred": st.sampled_from((0.0, 3.0, 40.0))}))
def test_the_fast_path_agrees_with_the_reference_under_any_weights_on_contested_labs(labs, ds, booked, weights):
    """Every lab live with capacity from about now and bookings on the demands' method, so
    many labs compete; the weights vary, since both implementations take them (and the
    terms) from scoring.py: a change to the rule must leave them agreeing."""
    calendar, method = Calendar(), min(labs[0].terms)
    for n, (i, hours, length) in enumerate(booked):
        if i < len(labs) and method in labs[i].terms:
            start = NOW + timedelta(hours=hours)
            calendar.load(labs[i].lab_id, method, Reservation(f"x{n}", start, start + timedelta(hours=length)))
    tuned, labs = settings(**weights), index_labs(labs)
    for d in ds:
        d = Demand(d.request_id, method, d.samples, d.deadline, d.origin, d.preferred, d.excluded, d.declined)
        assert match_one(d, labs, calendar, NOW, tuned) == match_exhaustive(d, labs, calendar, NOW, tuned)


@hsettings(PROFILE, max_examples=500)  # a release that matters is rare in a random sequence
@given(labs(n=st.integers(3, 10), dense=True), demands(n=st.integers(4, 12)),
       st.lists(st.tuples(st.integers(0, 30), st.booleans()), min_size=12, max_size=12),
       st.sampled_from((0.0, 2.0, 50.0)))
def test_what_earlier_searches_learned_never_changes_an_answer(labs, ds, steps, weight_load):
    """The lab index keeps what searches learned of a calendar (outlook.py): booking,
    releasing and time passing must leave every answer as scoring every lab from scratch
    gives it."""
    calendar, by_id, now, booked = Calendar(), {lab.lab_id: lab for lab in labs}, NOW, []
    tuned, method = settings(weight_load=weight_load), min(labs[0].terms)  # one method: they compete
    labs = index_labs(labs)  # one index all along, as the scheduler keeps it: its shortlists persist
    for n, (d, (hours, release)) in enumerate(zip(ds * 2, steps)):
        d = Demand(f"{d.request_id}-{n}", method, d.samples, d.deadline, d.origin, d.preferred, d.excluded,
                   d.declined)
        result = match_one(d, labs, calendar, now, tuned)
        assert result == match_exhaustive(d, labs, calendar, now, tuned)
        if isinstance(result, Assignment):
            assert calendar.reserve(result.lab_id, d.method, d.request_id, result.start, result.end,
                                    by_id[result.lab_id].terms[d.method].windows)
            booked.append(result)
        if release and booked:
            gone = booked.pop(-1 if hours % 2 else 0)
            assert calendar.release(gone.lab_id, gone.method, gone.request_id)
        now += timedelta(hours=hours)


@PROFILE
@given(labs(), demands())
def test_batch_is_feasible_deterministic_and_no_worse_than_greedy(labs, ds):
    joint = assign_batch(ds, labs, Calendar(), NOW, SETTINGS)
    assert assign_batch(ds, labs, Calendar(), NOW, SETTINGS) == joint
    for d, r in zip(ds, joint):
        assert r.request_id == d.request_id
        if isinstance(r, Assignment):
            check_hard_constraints(d, r, labs)
    check_not_over_committed(placed(joint), labs)
    assert len(placed(joint)) >= len(placed(assign_greedy(ds, labs, Calendar(), NOW, SETTINGS)))


@PROFILE
@given(labs(), demands())
def test_reserving_a_batch_never_over_commits(labs, ds):
    calendar, by_id = Calendar(), {lab.lab_id: lab for lab in labs}
    for r in placed(assign_batch(ds, labs, calendar, NOW, SETTINGS)):
        assert calendar.reserve(r.lab_id, r.method, r.request_id, r.start, r.end,
                                by_id[r.lab_id].terms[r.method].windows)
    # A second wave on top of the booked calendar must respect what is already there.
    second = [Demand(f"b{d.request_id}", d.method, d.samples, d.deadline, d.origin) for d in ds]
    for r in placed(assign_batch(second, labs, calendar, NOW, SETTINGS)):
        assert calendar.reserve(r.lab_id, r.method, r.request_id, r.start, r.end,
                                by_id[r.lab_id].terms[r.method].windows)
    everything = [Assignment(x.key, lab_id, method, x.start, x.end, x.end, 0.0)
                  for lab_id, lab in by_id.items() for method in lab.terms
                  for x in calendar.reservations(lab_id, method)]
    check_not_over_committed(everything, labs)
