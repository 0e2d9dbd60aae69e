"""bench/bound.py: the max-flow bound counts what capacity allows, and never less than a schedule places."""
from datetime import timedelta

from bench import bound
from bench.matching import generate, load, run_fcfs
from services.booking.scheduler.calendar import Window, Windows
from services.booking.scheduler.matching import Assignment, index_labs

from .factories import NOW, demand, lab, settings, window


def test_one_lane_bounds_the_count_by_how_many_jobs_end_before_the_deadline():
    # 48 h jobs on one lane from NOW; a deadline 6 days out leaves room for 2 (shipping, reporting).
    labs = index_labs([lab("lab-a", hours=48, win=window(1, days=30))])
    ds = [demand(f"r{i}", deadline=(NOW + timedelta(days=6)).date()) for i in range(5)]
    assert bound.upper_bound(labs, ds, [NOW] * 5, settings()) == (2, "lab")
    two_lanes = index_labs([lab("lab-a", hours=48, win=window(2, days=30))])
    assert bound.upper_bound(two_lanes, ds, [NOW] * 5, settings()) == (4, "lab")


def test_each_window_bounds_its_own_jobs_and_none_spans_the_gap():
    # Two 3-day windows a day apart hold one 48 h job each, not the three 7 days would.
    day = timedelta(days=1)
    ds = [demand(f"r{i}", deadline=(NOW + 10 * day).date()) for i in range(5)]
    split = Windows((Window(1, NOW, NOW + 3 * day), Window(1, NOW + 4 * day, NOW + 7 * day)))
    assert bound.upper_bound(index_labs([lab("lab-a", hours=48, win=split)]), ds, [NOW] * 5, settings()) == (2, "lab")
    wider = Windows((Window(1, NOW, NOW + 3 * day), Window(2, NOW + 4 * day, NOW + 7 * day)))
    assert bound.upper_bound(index_labs([lab("lab-a", hours=48, win=wider)]), ds, [NOW] * 5, settings()) == (3, "lab")


def test_the_bound_is_never_below_a_real_schedule_and_pooling_only_loosens_it(monkeypatch):
    _, labs, demands, arrivals = load(generate(1, seed=11))
    labs = index_labs(labs)
    placed = sum(isinstance(r, Assignment) for r in run_fcfs(labs, demands, arrivals, settings()))
    per_lab, kind = bound.upper_bound(labs, demands, arrivals, settings())
    assert kind == "lab" and placed <= per_lab
    monkeypatch.setattr(bound, "MAX_LAB_ARCS", 0)
    pooled, kind = bound.upper_bound(labs, demands, arrivals, settings())
    assert kind == "pooled" and per_lab <= pooled
