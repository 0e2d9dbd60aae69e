"""bench/matching.py --instance runs the matcher on the documented JSON format."""
import json
from datetime import datetime, timezone
from pathlib import Path

from bench.contenders import run_planned
from bench.matching import generate, load, main, run_labbook
from services.booking.scheduler.calendar import Window
from services.booking.scheduler.matching import Assignment
from services.booking.scheduler.settings import SchedulerSettings

EXAMPLE = Path(__file__).resolve().parents[3] / "bench" / "example_instance.json"


def test_instance_mode_writes_one_line_per_request(tmp_path):
    out = tmp_path / "out.jsonl"
    main(["--instance", str(EXAMPLE), "--out", str(out)])
    lines = {row["request_id"]: row for row in map(json.loads, out.read_text().splitlines())}
    assert set(lines) == {"r1", "r2", "r3", "r4", "r5"}
    # r1 and r2 arrive together; r2's 8 samples fit only Togliatti, so the joint batch sends r1 to Moscow.
    assert lines["r1"]["lab_id"] == "lab-moscow" and lines["r2"]["lab_id"] == "lab-togliatti"
    assert lines["r4"] == {"request_id": "r4", "unmatched": "no_accredited_lab"}
    assert lines["r5"]["unmatched"] == "no_capacity_before_deadline"


def test_methods_shared_out_among_processes_get_what_one_process_gives():
    _, labs, demands, arrivals = load(generate(1))
    settings = SchedulerSettings(batch_window_s=3600)  # hour-long windows: joint solves happen
    alone = run_labbook(labs, demands, arrivals, settings)
    assert run_labbook(labs, demands, arrivals, settings, workers=2) == alone
    assert sum(isinstance(r, Assignment) for r in alone) > 1000


def test_planning_ahead_shared_out_among_processes_gives_what_one_process_gives():
    """Each process plans its methods on the same round grid as one process would."""
    _, labs, demands, arrivals = load(generate(1))
    alone = run_planned(labs, demands, arrivals, SchedulerSettings())
    shared = run_planned(labs, demands, arrivals, SchedulerSettings(), workers=2)
    assert (shared.results, shared.commit_at) == (alone.results, alone.commit_at)
    assert sum(isinstance(r, Assignment) for r in alone.results) > 1000


def test_the_loader_keeps_every_window_of_a_method():
    """A lab shut Feb 1-14: both windows load, and a 20-day test arriving too late for
    January's runs in the second (Jan 14 + 1 day shipping leaves 16 days 15 hours)."""
    utc = timezone.utc
    instance = {"now": "2027-01-14T09:00:00+00:00", "labs": [{
        "lab_id": "lab-a", "lat": 53.2077, "lon": 50.1355,
        "accreditation": {"status": "active", "valid_until": "2027-12-31"},
        "heartbeat_at": "2027-01-14T08:00:00+00:00",
        "scope": [{"method_code": "ISO9227-NSS-96", "max_samples": 10, "price_rub": 45000, "duration_hours": 480}],
        "capacity": [{"method_code": "ISO9227-NSS-96", "slots": 2,
                      "available_from": "2027-02-15T00:00:00+00:00", "available_to": "2027-04-01T00:00:00+00:00"},
                     {"method_code": "ISO9227-NSS-96", "slots": 1,
                      "available_from": "2027-01-01T00:00:00+00:00", "available_to": "2027-02-01T00:00:00+00:00"}]}],
        "requests": [{"request_id": "r1", "method_code": "ISO9227-NSS-96", "samples": 3, "deadline": "2027-03-20",
                      "ship_from_region": "RU-SAM", "submitted_at": "2027-01-14T09:00:00+00:00"}]}
    _, labs, demands, arrivals = load(instance)
    assert labs[0].terms["ISO9227-NSS-96"].windows == (
        Window(1, datetime(2027, 1, 1, tzinfo=utc), datetime(2027, 2, 1, tzinfo=utc)),
        Window(2, datetime(2027, 2, 15, tzinfo=utc), datetime(2027, 4, 1, tzinfo=utc)))
    [placed] = run_labbook(labs, demands, arrivals, SchedulerSettings())
    assert (placed.start, placed.end) == (datetime(2027, 2, 15, tzinfo=utc), datetime(2027, 3, 7, tzinfo=utc))
