"""bench/instances.py's contested instances: capacity binds, so first-come-first-served
places clearly less than the max-flow bound; and they are shaped as the issue asks."""
from collections import defaultdict
from datetime import date, datetime, timedelta

import pytest

from bench.bound import upper_bound
from bench.contenders import run_fcfs
from bench.instances import Contested, generate_contested, load
from schemas.catalogue import CATALOGUE
from services.booking.scheduler.matching import Assignment, index_labs

from .factories import settings

SMALL = Contested(labs=3)


@pytest.mark.parametrize("shape", [SMALL, Contested()], ids=["small", "quick"])
@pytest.mark.parametrize("stream", [False, True], ids=["backlog", "stream"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_first_come_first_served_places_at_most_092_of_the_bound(seed, stream, shape):
    _, labs, demands, arrivals = load(generate_contested(seed, stream, shape))
    labs = index_labs(labs)
    fcfs = sum(isinstance(r, Assignment) for r in run_fcfs(labs, demands, arrivals, settings()))
    bound, _ = upper_bound(labs, demands, arrivals, settings())
    assert fcfs <= 0.92 * bound


@pytest.mark.parametrize("seed", [1, 2])
def test_demand_exceeds_the_windows_and_labs_share_chambers_between_methods(seed):
    instance = generate_contested(seed, stream=False)
    held, asked = defaultdict(float), defaultdict(float)
    for lab in instance["labs"]:
        assert len(lab["scope"]) >= 2
        for c in lab["capacity"]:
            span = datetime.fromisoformat(c["available_to"]) - datetime.fromisoformat(c["available_from"])
            held[c["method_code"]] += c["slots"] * span / timedelta(hours=1)
    for r in instance["requests"]:
        asked[r["method_code"]] += CATALOGUE[r["method_code"]].duration_hours
    durations = {CATALOGUE[m].duration_hours for m in asked}
    assert min(durations) <= 72 and max(durations) >= 480  # short EMC and long corrosion tests
    assert all(asked[m] > 1.1 * held[m] for m in held)


def test_a_backlog_arrives_mostly_at_once_and_a_stream_over_three_weeks():
    backlog, stream = (generate_contested(1, stream=s)["requests"] for s in (False, True))
    t0 = min(datetime.fromisoformat(r["submitted_at"]) for r in backlog)
    at_once = sum(datetime.fromisoformat(r["submitted_at"]) == t0 for r in backlog)
    assert at_once >= 0.8 * len(backlog)
    days = [(datetime.fromisoformat(r["submitted_at"]) - t0) / timedelta(days=1) for r in stream]
    assert max(days) <= 21 and min(days) < 1 and max(days) > 20
    for r in backlog + stream:
        ahead = date.fromisoformat(r["deadline"]) - datetime.fromisoformat(r["submitted_at"]).date()
        assert timedelta(weeks=2) <= ahead <= timedelta(weeks=16)
