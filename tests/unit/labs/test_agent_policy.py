"""The agent's auto-accept policy and its lab.toml."""
from datetime import datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from services.labs.agent import Policy, load_config, refusal
from tests.support.lab_toml import capacity

NOW = datetime(2026, 7, 1, 12, tzinfo=timezone.utc)


def offer(method="ISO9227-NSS-96", hours_ahead=48) -> dict:
    return {"id": "o1", "method_code": method, "planned_start": (NOW + timedelta(hours=hours_ahead)).isoformat()}


POLICY = Policy(auto_accept=True, methods=("ISO9227-NSS-96",), max_concurrent_jobs=2, min_lead_time_hours=24)


@pytest.mark.parametrize("the_offer, policy, active, reason", [
    (offer(), POLICY, 0, None),
    (offer(), Policy(), 0, "auto-accept is off"),
    (offer("IEC60068-2-6"), POLICY, 0, "not in the policy"),
    (offer(), POLICY, 2, "allows 2"),
    (offer(hours_ahead=3), POLICY, 0, "needs 24 h"),
    (offer("IEC60068-2-6"), Policy(auto_accept=True, max_concurrent_jobs=5), 4, None),
])
def test_policy(the_offer, policy, active, reason):
    why = refusal(the_offer, policy, active, NOW)
    assert (why is None) if reason is None else (reason in why)


def test_lab_toml_is_read_and_checked(tmp_path):
    path = tmp_path / "lab.toml"
    path.write_text("heartbeat_seconds = 30\n[policy]\nauto_accept = true\n"
                    + capacity("ISO9227-NSS-96", 2, "2026-07-01T00:00:00Z", "2026-09-01T00:00:00Z"))
    config = load_config(path)
    assert config.heartbeat_seconds == 30 and config.policy.auto_accept and config.capacity[0].slots == 2
    path.write_text("heartbeat_seconds = 0\n")
    with pytest.raises(ValidationError):
        load_config(path)
    path.write_text("surprise = 1\n")
    with pytest.raises(ValidationError):
        load_config(path)


def test_lab_toml_takes_dates_and_sends_them_as_dates(tmp_path):
    """TOML dates are whole days the API places in the lab's zone; offsets are sent as written."""
    path = tmp_path / "lab.toml"
    path.write_text(capacity("ISO9227-NSS-96", 2, "2026-12-01", "2026-12-31")
                    + capacity("ISO9227-NSS-240", 1, "2026-12-01T09:00:00+04:00", '"2027-01-15"'))
    sent = [w.model_dump(mode="json") for w in load_config(path).capacity]
    assert sent == [
        {"method_code": "ISO9227-NSS-96", "slots": 2, "available_from": "2026-12-01", "available_to": "2026-12-31"},
        {"method_code": "ISO9227-NSS-240", "slots": 1, "available_from": "2026-12-01T09:00:00+04:00",
         "available_to": "2027-01-15"},
    ]


@pytest.mark.parametrize("bound", ["2026-12-01T09:00:00", "2026-12-01 09:00:00"])  # TOML local date-times
def test_lab_toml_refuses_a_local_date_time_saying_what_to_add(tmp_path, bound):
    path = tmp_path / "lab.toml"
    path.write_text(capacity("ISO9227-NSS-96", 2, bound, "2026-12-31"))
    with pytest.raises(ValidationError, match=r"available_from 2026-12-01T09:00:00 has no time zone: add an offset "
                                              r"such as \+03:00 or Z, or give a date 2026-12-01 for the whole day"):
        load_config(path)
