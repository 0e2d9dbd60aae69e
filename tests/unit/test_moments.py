"""What a person types as a date-time: a date means a day in the lab's zone, an offset is kept,
a date-time without one is refused with what to add."""
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from schemas.moments import check_offset, parse_moment

SAMARA, VLADIVOSTOK = ZoneInfo("Europe/Samara"), ZoneInfo("Asia/Vladivostok")  # +04:00, +10:00
UTC = timezone.utc


@pytest.mark.parametrize("typed, zone, end_of_day, instant", [
    ("2026-12-01", SAMARA, False, datetime(2026, 11, 30, 20, tzinfo=UTC)),
    ("2026-12-31", SAMARA, True, datetime(2026, 12, 31, 20, tzinfo=UTC)),
    ("2026-12-01", VLADIVOSTOK, False, datetime(2026, 11, 30, 14, tzinfo=UTC)),
    ("2026-12-31", VLADIVOSTOK, True, datetime(2026, 12, 31, 14, tzinfo=UTC)),
    (date(2026, 12, 1), SAMARA, False, datetime(2026, 11, 30, 20, tzinfo=UTC)),  # a TOML date
    (date(2026, 2, 28), VLADIVOSTOK, True, datetime(2026, 2, 28, 14, tzinfo=UTC)),  # to 1 March, not 29 Feb
    (" 2026-12-01 ", SAMARA, False, datetime(2026, 11, 30, 20, tzinfo=UTC)),
])
def test_a_date_is_a_whole_day_in_the_zone(typed, zone, end_of_day, instant):
    at = parse_moment(typed, zone, field="available_from", end_of_day=end_of_day)
    assert at == instant and at.utcoffset() is not None


def test_a_date_reads_as_local_midnight():
    at = parse_moment("2026-12-01", SAMARA, field="available_from")
    assert at.isoformat() == "2026-12-01T00:00:00+04:00"


@pytest.mark.parametrize("typed, instant", [
    ("2026-12-01T09:00:00+03:00", datetime(2026, 12, 1, 6, tzinfo=UTC)),
    ("2026-12-01T09:00:00Z", datetime(2026, 12, 1, 9, tzinfo=UTC)),
    ("2026-12-01t09:00:00z", datetime(2026, 12, 1, 9, tzinfo=UTC)),
    ("2026-12-01 09:00+10:00", datetime(2026, 11, 30, 23, tzinfo=UTC)),
    (datetime(2026, 12, 1, 9, tzinfo=timezone(timedelta(hours=3))), datetime(2026, 12, 1, 6, tzinfo=UTC)),
])
def test_an_offset_is_kept_whatever_the_zone_and_end_of_day(typed, instant):
    for zone in (SAMARA, VLADIVOSTOK):
        for end in (False, True):
            assert parse_moment(typed, zone, field="available_to", end_of_day=end) == instant


def test_the_offset_typed_stays_in_the_answer():
    assert parse_moment("2026-12-01T09:00:00+03:00", SAMARA, field="f").isoformat() == "2026-12-01T09:00:00+03:00"


@pytest.mark.parametrize("typed", ["2026-12-01T09:00:00", "2026-12-01T09:00", datetime(2026, 12, 1, 9)])
def test_a_date_time_without_offset_is_refused_with_what_to_add(typed):
    with pytest.raises(ValueError) as refused:
        parse_moment(typed, SAMARA, field="items[0].available_from")
    message = str(refused.value)
    assert message.startswith("items[0].available_from 2026-12-01T09:00")
    assert "has no time zone: add an offset such as +04:00 (the lab's zone, Europe/Samara) or Z" in message
    assert message.endswith("or give a date 2026-12-01 for the whole day")


def test_without_a_zone_the_refusal_still_says_what_to_add():
    with pytest.raises(ValueError, match=r"^available_to 2026-12-31T18:00:00 has no time zone: add an offset "
                                         r"such as \+03:00 or Z, or give a date 2026-12-31 for the whole day$"):
        check_offset("2026-12-31T18:00:00", field="available_to")
    assert check_offset("2026-12-31", field="available_to") == date(2026, 12, 31)


@pytest.mark.parametrize("typed", ["", "tomorrow", "2026-13-01", "2026-02-30", "01.12.2026", "2026-12-01T25:00Z",
                                   "1700000000", 1700000000, None, ["2026-12-01"], "2026-12-01T09:00:00+03:00 extra"])
def test_garbage_is_refused(typed):
    with pytest.raises(ValueError, match="planned_start .* is neither an ISO date such as 2026-12-01 nor a "
                                         "date-time with an offset"):
        parse_moment(typed, SAMARA, field="planned_start")


@pytest.mark.parametrize("typed, end", [("9999-12-31", True), ("0001-01-01T00:00:00+05:00", False)])
def test_instants_past_the_calendar_are_refused(typed, end):
    with pytest.raises(ValueError, match="out of range"):
        parse_moment(typed, SAMARA, field="available_to", end_of_day=end)
