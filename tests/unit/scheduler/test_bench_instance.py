"""bench/matching.py --instance runs the matcher on the documented JSON format."""
import json
from pathlib import Path

from bench.matching import generate, load, main, run_labbook
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
