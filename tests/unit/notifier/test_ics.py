"""The calendar attachment (services/notifier/ics.py), read back with icalendar."""
from datetime import datetime, timezone

import pytest
from icalendar import Calendar

from schemas.notifications import Kind, Language
from services.notifier.ics import calendar_for

from .message_contexts import OCCURRED, REQUEST_ID, TITLE_EN, TITLE_RU, full, minimal

UID = f"{REQUEST_ID}@labbook"


def parse(data: bytes):
    cal = Calendar.from_ical(data)
    events = cal.walk("VEVENT")
    assert len(events) == 1
    return cal, events[0]


@pytest.mark.parametrize("kind", [Kind.REQUEST_SCHEDULED, Kind.JOB_SCHEDULED])
def test_a_schedule_is_a_request_for_the_planned_time(kind):
    cal, event = parse(calendar_for(full(kind), Language.RU, organizer="noreply@labbook.local"))
    assert str(cal["METHOD"]) == "REQUEST"
    assert str(event["UID"]) == "1a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d@labbook"
    assert int(event["SEQUENCE"]) == 6
    assert event.decoded("DTSTART") == datetime(2026, 11, 20, 6, 0, tzinfo=timezone.utc)
    assert event.decoded("DTEND") == datetime(2026, 11, 30, 15, 30, tzinfo=timezone.utc)
    assert event.decoded("DTSTAMP") == OCCURRED
    assert str(event["SUMMARY"]) == f"{TITLE_RU} — Кронштейн фары"
    assert str(event["LOCATION"]) == "ИЦ «Автотест», Казань"
    assert f"https://labbook.example/requests/{REQUEST_ID}" in str(event["DESCRIPTION"])
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["ORGANIZER"]) == "mailto:noreply@labbook.local"


def test_the_summary_is_in_the_readers_language():
    _, event = parse(calendar_for(full(Kind.REQUEST_SCHEDULED), Language.EN))
    assert str(event["SUMMARY"]) == f"{TITLE_EN} — Кронштейн фары"
    assert "ORGANIZER" not in event


def test_a_later_schedule_updates_the_same_event():
    _, first = parse(calendar_for(full(Kind.REQUEST_SCHEDULED, seq=6), Language.RU))
    _, moved = parse(calendar_for(full(Kind.REQUEST_SCHEDULED, seq=8,
                                       planned_start=datetime(2026, 11, 21, 6, 0, tzinfo=timezone.utc)), Language.RU))
    assert str(moved["UID"]) == str(first["UID"]) and int(moved["SEQUENCE"]) > int(first["SEQUENCE"])


@pytest.mark.parametrize(("scheduled", "cancelled"), [
    (Kind.REQUEST_SCHEDULED, Kind.REQUEST_CANCELLED), (Kind.JOB_SCHEDULED, Kind.JOB_CANCELLED)])
@pytest.mark.parametrize("cancel_seq", [7, 6, None])
def test_a_cancellation_cancels_the_same_event_with_a_higher_sequence(scheduled, cancelled, cancel_seq):
    _, booked = parse(calendar_for(full(scheduled, seq=6), Language.RU))
    cal, cancel = parse(calendar_for(full(cancelled, seq=cancel_seq), Language.RU))
    assert str(cal["METHOD"]) == "CANCEL"
    assert str(cancel["STATUS"]) == "CANCELLED"
    assert str(cancel["UID"]) == str(booked["UID"]) == UID
    if cancel_seq is not None:  # without a number the lab side cannot outrank what it never saw
        assert int(cancel["SEQUENCE"]) > int(booked["SEQUENCE"])
    else:
        assert int(cancel["SEQUENCE"]) == 1


def test_a_cancellation_without_planned_times_still_names_the_event():
    cal, event = parse(calendar_for(minimal(Kind.REQUEST_CANCELLED, request_id=REQUEST_ID), Language.EN))
    assert str(cal["METHOD"]) == "CANCEL" and str(event["UID"]) == UID and "DTSTART" not in event


@pytest.mark.parametrize("kind", [k for k in Kind if k not in (
    Kind.REQUEST_SCHEDULED, Kind.JOB_SCHEDULED, Kind.REQUEST_CANCELLED, Kind.JOB_CANCELLED)])
def test_other_kinds_have_no_calendar(kind):
    assert calendar_for(full(kind), Language.RU) is None


@pytest.mark.parametrize("missing", ["planned_start", "planned_end", "request_id"])
def test_no_schedule_without_its_times_or_request(missing):
    assert calendar_for(full(Kind.REQUEST_SCHEDULED, **{missing: None}), Language.RU) is None


def test_no_cancellation_without_a_request():
    assert calendar_for(full(Kind.JOB_CANCELLED, request_id=None), Language.RU) is None


def test_naive_times_are_utc():
    _, event = parse(calendar_for(full(Kind.JOB_SCHEDULED, planned_start=datetime(2026, 11, 20, 6, 0),
                                       planned_end=datetime(2026, 11, 21, 6, 0)), Language.RU))
    assert event.decoded("DTSTART") == datetime(2026, 11, 20, 6, 0, tzinfo=timezone.utc)


def test_without_a_method_or_component_the_summary_is_generic():
    _, event = parse(calendar_for(full(Kind.JOB_SCHEDULED, method_code=None, component_name=None), Language.RU))
    assert str(event["SUMMARY"]) == "Испытания labbook"
