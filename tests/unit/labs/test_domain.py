"""Pure rules of the labs service: INN check digits, registry, capacity and job checks."""
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from schemas.states import RequestStatus
from schemas.lab_rules import accreditation_usable, inn_valid, merged_accreditation
from schemas.labs_api import AcceptBody, AccreditationPatch, CapacityBody, JobEventBody, RegisterLab, validate
from schemas.values import Accreditation
from services.labs.capacity import capacity_items
from services.labs.domain import decode_cursor, effective_status, encode_cursor

TODAY = date(2026, 6, 1)
SAMARA = ZoneInfo("Europe/Samara")  # +04:00


@pytest.mark.parametrize("inn, ok", [
    ("7707083893", True),    # Sberbank
    ("7707083894", False),
    ("500100732259", True),  # a 12-digit entrepreneur INN
    ("500100732250", False),
    ("500100732269", False),
    ("770708389", False), ("77070838931", False), ("77O7083893", False),
])
def test_inn_check_digits(inn, ok):
    assert inn_valid(inn) is ok


def lab(**overrides) -> dict:
    data = {"name": "Lab", "inn": "7707083893", "region_code": "RU-TA", "city": "Kazan", "lat": 55.79, "lon": 49.12,
            "accreditation": {"certificate_no": "RA.RU.21AB12", "status": "active", "valid_until": "2027-01-01"},
            "scope": [{"method_code": "ISO9227-NSS-96", "max_samples": 10, "price_rub": 1000}]}
    return {**data, **overrides}


def test_a_good_lab_validates():
    assert validate(RegisterLab, lab(), TODAY).region_code == "RU-TA"


@pytest.mark.parametrize("change, needle", [
    ({"region_code": "UZ-TO"}, "not in Russia"),
    ({"accreditation": {"certificate_no": "RA.RU.21AB12", "status": "active", "valid_until": "2026-06-01"}},
     "has passed"),
    ({"accreditation": {"certificate_no": "ROSS.RU.1", "status": "active", "valid_until": "2027-01-01"}}, "RA.RU"),
    ({"scope": [{"method_code": "ISO9227-NSS-96", "max_samples": 1, "price_rub": 1}] * 2}, "twice"),
    ({"scope": []}, "at least 1"),
    ({"id": "Bad Id!"}, "pattern"),
])
def test_bad_labs_are_refused_with_a_reason(change, needle):
    with pytest.raises(ValidationError, match=needle):
        validate(RegisterLab, lab(**change), TODAY)


def test_a_suspended_accreditation_may_have_lapsed():
    body = lab(accreditation={"certificate_no": "RA.RU.21AB12", "status": "suspended", "valid_until": "2020-01-01"})
    assert validate(RegisterLab, body, TODAY).accreditation.status == "suspended"


def test_patching_the_accreditation_keeps_the_rules():
    current = Accreditation(certificate_no="RA.RU.21AB12", status="active", valid_until=date(2027, 1, 1))
    suspended = merged_accreditation(current, AccreditationPatch(status="suspended"), TODAY)
    assert suspended.status == "suspended" and suspended.valid_until == date(2027, 1, 1)
    with pytest.raises(ValueError, match="has passed"):
        merged_accreditation(current, AccreditationPatch(valid_until=date(2026, 1, 1)), TODAY)


def item(method: str, start: int, end: int) -> dict:
    base = datetime(2026, 7, 1, tzinfo=timezone.utc)
    return {"method_code": method, "slots": 1, "available_from": (base + timedelta(days=start)).isoformat(),
            "available_to": (base + timedelta(days=end)).isoformat()}


def windows(*items: dict, zone=SAMARA):
    return capacity_items(CapacityBody.model_validate({"items": list(items)}), zone)


def test_capacity_windows_may_touch_but_not_overlap_or_invert():
    windows(item("A", 0, 10), item("A", 10, 20), item("B", 5, 15))
    with pytest.raises(ValueError, match="overlapping"):
        windows(item("A", 0, 10), item("A", 9, 20))
    with pytest.raises(ValueError, match="after available_from"):
        windows(item("A", 10, 10))


def test_capacity_dates_are_whole_days_in_the_labs_zone():
    day = {"method_code": "A", "slots": 1, "available_from": "2026-12-01", "available_to": "2026-12-01"}
    (one_day,) = windows(day)  # from and to the same date: that one day
    assert one_day.available_from == datetime(2026, 11, 30, 20, tzinfo=timezone.utc)
    assert one_day.available_to == datetime(2026, 12, 1, 20, tzinfo=timezone.utc)
    # The next day starts where the first ends: touching, not overlapping.
    windows(day, {**day, "available_from": "2026-12-02", "available_to": "2026-12-31"})
    with pytest.raises(ValueError, match="overlapping"):  # the 1st 23:30 in Samara is inside the 1st
        windows(day, {**day, "available_from": "2026-12-01T23:30:00+04:00", "available_to": "2026-12-03"})


def test_a_capacity_bound_without_offset_passes_the_body_and_is_refused_in_the_labs_zone():
    body = CapacityBody.model_validate({"items": [item("A", 0, 10), {**item("A", 20, 30),
                                                                     "available_from": "2026-12-01T09:00:00"}]})
    with pytest.raises(ValueError, match=r"^items\[1\]\.available_from 2026-12-01T09:00:00 has no time zone: add "
                                         r"an offset such as \+04:00 \(the lab's zone, Europe/Samara\) or Z"):
        capacity_items(body, SAMARA)
    with pytest.raises(ValidationError, match="is neither an ISO date"):
        CapacityBody.model_validate({"items": [{**item("A", 0, 1), "available_to": "next week"}]})


def test_accept_body_takes_a_date_or_an_aware_date_time():
    assert AcceptBody.model_validate({"planned_start": "2026-12-10"}).planned_start == date(2026, 12, 10)
    assert AcceptBody.model_validate({}).planned_start is None
    with pytest.raises(ValidationError, match="is neither an ISO date"):
        AcceptBody.model_validate({"planned_start": "10.12.2026"})


def test_job_events_need_a_report_url_only_for_the_report():
    with pytest.raises(ValidationError, match="report_url is required"):
        JobEventBody.model_validate({"type": "REPORT_ISSUED"})
    with pytest.raises(ValidationError, match="belong to REPORT_ISSUED"):
        JobEventBody.model_validate({"type": "SAMPLES_RECEIVED", "report_url": "https://x"})


def test_an_accepted_job_counts_as_scheduled():
    assert effective_status("ACCEPTED") == RequestStatus.SCHEDULED
    assert effective_status("IN_TESTING") == RequestStatus.IN_TESTING


def test_accreditation_usable_on_its_last_day_only_when_active():
    assert accreditation_usable("active", TODAY, TODAY)
    assert not accreditation_usable("active", TODAY - timedelta(days=1), TODAY)
    assert not accreditation_usable("suspended", TODAY + timedelta(days=9), TODAY)


def test_cursor_round_trip_and_garbage():
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    assert decode_cursor(encode_cursor(at, "lab-x")) == (at, "lab-x")
    for junk in ("", "garbage", encode_cursor(at, "")):
        with pytest.raises(ValueError):
            decode_cursor(junk)
