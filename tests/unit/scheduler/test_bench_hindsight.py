"""bench/hindsight.py: the proven optimum of tiny instances counted by hand, release times kept."""
from datetime import datetime, timedelta, timezone

from bench.contenders import run_fcfs
from bench.hindsight import optimum
from bench.instances import Contested, generate_contested, load
from services.booking.scheduler.matching import Assignment

from .factories import settings

UTC = timezone.utc
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _instance(*requests: tuple[str, str, str | None]) -> dict:
    """One Samara lab, one lane of 48 h jobs for 30 days; requests from Samara (1 day's
    shipping), submitted at NOW: (id, deadline, release_at or None)."""
    lab = {"lab_id": "lab-a", "lat": 53.2077, "lon": 50.1355,
           "accreditation": {"status": "active", "valid_until": "2027-01-01"},
           "heartbeat_at": "2026-03-30T00:00:00+00:00",
           "scope": [{"method_code": "ISO9227-NSS-96", "max_samples": 10, "price_rub": 50000, "duration_hours": 48}],
           "capacity": [{"method_code": "ISO9227-NSS-96", "slots": 1, "available_from": NOW.isoformat(),
                         "available_to": (NOW + timedelta(days=30)).isoformat()}]}
    reqs = [{"request_id": rid, "method_code": "ISO9227-NSS-96", "samples": 3, "deadline": deadline,
             "ship_from_region": "RU-SAM", "submitted_at": NOW.isoformat()} | ({"release_at": at} if at else {})
            for rid, deadline, at in requests]
    return {"now": NOW.isoformat(), "labs": [lab], "requests": reqs}


def _placed(results) -> dict:
    return {r.request_id: r for r in results if isinstance(r, Assignment)}


def test_the_optimum_puts_the_tight_deadlines_first_where_first_come_first_served_loses_one():
    # Samples arrive Mar 3 09:00; jobs end Mar 5, 7, 9 09:00. A Mar 9 deadline needs the
    # test over by Mar 8 00:00 (2 days' reporting), so r2 and r3 fit only as the first two.
    _, labs, demands, arrivals = load(_instance(("r1", "2026-04-30", None), ("r2", "2026-03-09", None),
                                                ("r3", "2026-03-09", None)))
    assert set(_placed(run_fcfs(labs, demands, arrivals, settings()))) == {"r1", "r2"}
    best = optimum(labs, demands, arrivals, settings(), limit_s=5)
    assert best.proven and best.placed == best.bound == 3
    plan = _placed(best.results)
    assert plan["r1"].start == datetime(2026, 3, 7, 9, tzinfo=UTC)


def test_no_request_is_planned_before_its_release():
    # r4 released Mar 20: samples arrive Mar 21 09:00, its test ends by Mar 25 00:00.
    # r5 released Mar 24 can no longer make its Mar 26 deadline; submitted at NOW it could
    # (the lane is free from Mar 9 to Mar 21).
    requests = [("r1", "2026-04-30", None), ("r2", "2026-03-09", None), ("r3", "2026-03-09", None),
                ("r4", "2026-03-26", "2026-03-20T09:00:00+00:00"), ("r5", "2026-03-26", "2026-03-24T09:00:00+00:00")]
    _, labs, demands, arrivals = load(_instance(*requests))
    assert [d.request_id for d in demands] == ["r1", "r2", "r3", "r4", "r5"]
    best = optimum(labs, demands, arrivals, settings(), limit_s=5)
    assert best.proven and best.placed == 4
    plan = _placed(best.results)
    assert "r5" not in plan and datetime(2026, 3, 21, 9, tzinfo=UTC) <= plan["r4"].start
    assert all(a.start >= datetime(2026, 3, 3, 9, tzinfo=UTC) for a in plan.values())
    _, labs, demands, arrivals = load(_instance(*((rid, deadline, None) for rid, deadline, _ in requests)))
    assert optimum(labs, demands, arrivals, settings(), limit_s=5).placed == 5


def test_out_of_time_the_optimum_is_no_fewer_than_its_hint_and_says_it_is_not_proven():
    _, labs, demands, arrivals = load(generate_contested(1, stream=True, shape=Contested(labs=3)))
    fcfs = run_fcfs(labs, demands, arrivals, settings())
    best = optimum(labs, demands, arrivals, settings(), limit_s=0.01, hints=[fcfs])
    assert not best.proven
    assert sum(isinstance(r, Assignment) for r in fcfs) <= best.placed <= best.bound
    # Falling back on its hint, it counts the hint's placements, not its Unmatched too.
    assert best.placed == sum(isinstance(r, Assignment) for r in best.results)
    for m in best.methods:
        assert m.placed <= m.bound and (m.placed == m.bound or not m.proven)
