"""Booking's pure rules: what a supplier may submit, and by when."""
from datetime import date, datetime, timedelta, timezone
from uuid import uuid4

import pytest
from pydantic import ValidationError

from schemas.catalogue import CATALOGUE
from schemas.booking_api import ListQuery, earliest_deadline, validate_submission
from services.booking.domain import decode_cursor, encode_cursor

TODAY = date(2026, 3, 2)
METHOD = CATALOGUE["ISO9227-NSS-96"]  # 96 h of testing


def body(**overrides):
    data = {
        "method_code": METHOD.code, "test_kind": "certification",
        "component": {"name": "Brake caliper", "part_number": "BC-1", "category": "brakes"},
        "samples": 3, "deadline": (TODAY + timedelta(days=60)).isoformat(), "ship_from_region": "RU-SAM",
    }
    return {**data, **overrides}


def errors_for(data):
    with pytest.raises(ValidationError) as info:
        validate_submission(data, today=TODAY)
    return {e["loc"][0] if e["loc"] else "": e["msg"] for e in info.value.errors()}


def test_a_valid_body_passes_with_defaults():
    accepted = validate_submission(body(), today=TODAY)
    assert accepted.preferred_lab_ids == [] and accepted.notes is None


def test_earliest_deadline_adds_shipping_rounds_testing_up_to_days_and_adds_reporting():
    # shipping (at least 1 day) + testing in whole days + reporting (2 days), as the scheduler plans
    assert earliest_deadline(METHOD, TODAY) == TODAY + timedelta(days=1 + 4 + 2)
    odd = METHOD.model_copy(update={"duration_hours": 25})
    assert earliest_deadline(odd, TODAY) == TODAY + timedelta(days=1 + 2 + 2)


def test_deadline_on_the_earliest_day_is_accepted():
    validate_submission(body(deadline=str(earliest_deadline(METHOD, TODAY))), today=TODAY)


def test_too_close_deadline_names_the_earliest_date():
    close = earliest_deadline(METHOD, TODAY) - timedelta(days=1)
    message = errors_for(body(deadline=str(close)))["deadline"]
    assert str(earliest_deadline(METHOD, TODAY)) in message


def test_past_deadline_is_refused():
    assert "past" in errors_for(body(deadline=str(TODAY - timedelta(days=1))))["deadline"]


@pytest.mark.parametrize(("field", "value"), [
    ("method_code", "NO-SUCH-METHOD"), ("ship_from_region", "DE-BY"), ("ship_from_region", "RU-XXX"),
    ("samples", 0), ("samples", 1001), ("test_kind", "homologation"), ("notes", "x" * 2001),
    ("excluded_lab_ids", [1, 2]),
])
def test_bad_fields_are_refused_by_name(field, value):
    assert field in errors_for(body(**{field: value}))


@pytest.mark.parametrize("region", ["RU-SAM", "BY-MI", "UZ-TO"])
def test_regions_of_every_country_are_accepted(region):
    validate_submission(body(ship_from_region=region), today=TODAY)


def test_unknown_fields_are_refused():
    assert "colour" in errors_for(body(colour="red"))


def test_unknown_method_does_not_also_fail_the_deadline():
    assert set(errors_for(body(method_code="NOPE"))) == {"method_code"}


def test_cursor_round_trips_and_rejects_garbage():
    at, rid = datetime(2026, 1, 2, 3, 4, 5, 678, tzinfo=timezone.utc), uuid4()
    assert decode_cursor(encode_cursor(at, str(rid))) == (at, rid)
    for bad in ["", "!!!", encode_cursor(at, "nope"), "MjAyNnxhYmM"]:
        with pytest.raises(ValueError):
            decode_cursor(bad)


@pytest.mark.parametrize("query", [{"limit": "0"}, {"limit": "201"}, {"limit": "x"}, {"status": "DONE"}])
def test_list_query_bounds(query):
    with pytest.raises(ValidationError):
        ListQuery.model_validate(query)
