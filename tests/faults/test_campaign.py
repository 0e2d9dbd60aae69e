"""The fault campaign, short: each process killed once, the broker and PostgreSQL
restarted once, under a few hundred requests; `make faults` runs the long one."""
import pytest

from .campaign import Campaign
from .invariants import report

pytestmark = pytest.mark.integration


async def test_nothing_is_lost_doubled_double_booked_or_stuck_when_processes_die(tmp_path, capsys):
    record = await Campaign(tmp_path, requests=300, kills=1, infra=True, seed=3).run()
    with capsys.disabled():
        report(record)
    failed = [(name, detail) for name, ok, detail in record.checks if not ok]
    assert record.checks and not failed, failed
    assert sorted(record.recoveries) == ["Kafka broker restart", "PostgreSQL restart", "a second scheduler joins",
                                         "kill -9 booking", "kill -9 labs", "kill -9 notifier", "kill -9 scheduler"]
