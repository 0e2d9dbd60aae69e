"""bench/pipeline_support.py's statistics, with values worked out by hand."""
from __future__ import annotations

import math
from datetime import date

from bench.pipeline_support import SLOTS, bench_world, percentile, poison_points, steady_rate


def test_percentile_interpolates_between_ranks():
    values = [40.0, 10.0, 30.0, 20.0]  # sorted: 10 20 30 40
    assert percentile(values, 0) == 10.0
    assert percentile(values, 50) == 25.0  # rank 1.5
    assert percentile(values, 99) == 39.7  # rank 2.97: 30 + 0.97 * 10
    assert percentile(values, 100) == 40.0
    assert percentile([7.0], 99) == 7.0
    assert math.isnan(percentile([], 50))


def test_steady_rate_drops_ramp_up_and_tail():
    # 20 completions: a slow start (one a second), then ten a second, then a straggler.
    times = [0.0, 1.0, 2.0] + [2.0 + 0.1 * i for i in range(1, 17)] + [10.0]
    # trim 10 %: from index 2 (t=2.0) to index 17 (t=3.5): 15 completions in 1.5 s
    assert math.isclose(steady_rate(times), 10.0)
    assert math.isclose(steady_rate(list(range(11)), trim=0.0), 1.0)  # 10 gaps in 10 s
    assert math.isnan(steady_rate([1.0, 2.0]))
    assert math.isnan(steady_rate([5.0] * 10))


def test_poison_points_spread_the_share_evenly():
    assert poison_points(1000, 0.01) == [50, 150, 250, 350, 450, 550, 650, 750, 850, 950]
    assert poison_points(400, 0.01) == [50, 150, 250, 350]
    assert poison_points(10, 0.01) == [5]  # at least one
    assert poison_points(1000, 0.0) == []


def test_bench_world_has_room_for_every_request():
    world = bench_world(30, today=date(2026, 12, 2))
    assert len(world.requests) == 30 and len({r.key for r in world.requests}) == 30
    held = {m: n for lab in world.labs for m, n, _ in lab.scope}
    assert all(r.body["method_code"] in held for r in world.requests)
    assert all(r.body["deadline"] == "2027-09-28" for r in world.requests)  # 300 days on
    assert all(w.slots == SLOTS for lab in world.labs for w in lab.capacity)
