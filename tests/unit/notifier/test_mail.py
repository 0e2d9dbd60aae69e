"""The email message (services/notifier/mail.py), serialised and parsed back as a client would."""
import email
import email.policy
from datetime import timezone
from email.utils import parsedate_to_datetime

import pytest
from icalendar import Calendar

from schemas.notifications import Kind, Language
from services.notifier.mail import build_message

from .message_contexts import DELIVERY_ID, OCCURRED, REQUEST_ID, full, minimal

NBSP = "\u00a0"
# The kinds whose email carries the job's calendar entry (scheduled) or its cancellation.
CALENDAR_KINDS = frozenset({Kind.REQUEST_SCHEDULED, Kind.JOB_SCHEDULED, Kind.REQUEST_CANCELLED, Kind.JOB_CANCELLED})
SENDER = "labbook <noreply@labbook.local>"
TO = "Иван Петров <ivan@supplier.example>"


def roundtrip(ctx, language=Language.RU, **kwargs):
    raw = build_message(ctx, language, sender=SENDER, to=TO, **kwargs).as_bytes()
    return raw, email.message_from_bytes(raw, policy=email.policy.default)


def test_headers():
    raw, msg = roundtrip(full(Kind.REQUEST_SCHEDULED))
    assert msg["Message-ID"] == "<9f8e7d6c-5b4a-4c3d-9e2f-1a0b9c8d7e6f@labbook.local>"
    assert msg["Subject"] == f"Испытания запланированы: Кронштейн фары, №{NBSP}8450012345"
    assert msg["From"] == SENDER and msg["To"] == TO
    assert parsedate_to_datetime(msg["Date"]) == OCCURRED
    assert msg["Content-Language"] == "ru"
    assert msg["X-Labbook-Kind"] == "request.scheduled"
    assert msg["X-Labbook-Request"] == str(REQUEST_ID)
    headers = raw.split(b"\r\n\r\n", 1)[0]
    assert headers.isascii() and b"Subject: =?utf-8?" in headers  # RFC 2047, no SMTPUTF8 needed


def test_the_message_id_domain_and_the_english_subject():
    _, msg = roundtrip(full(Kind.OFFER_MADE), Language.EN, message_id_domain="mail.labbook.example")
    assert msg["Message-ID"] == f"<{DELIVERY_ID}@mail.labbook.example>"
    assert msg["Subject"] == f"New job offer: Кронштейн фары, P/N{NBSP}8450012345"
    assert msg["Content-Language"] == "en"


def test_both_alternatives():
    _, msg = roundtrip(full(Kind.REQUEST_SUBMITTED))
    plain, html = msg.get_body(("plain",)), msg.get_body(("html",))
    assert plain is not None and html is not None and plain is not html
    assert plain.get_content().startswith("Здравствуйте!")
    assert html.get_content().startswith("<!DOCTYPE html>") and "Здравствуйте!" in html.get_content()
    assert plain.get_content_charset() == "utf-8"


def test_no_request_header_without_a_request():
    _, msg = roundtrip(full(Kind.ACCREDITATION_LAPSING, request_id=None))
    assert msg["X-Labbook-Request"] is None and msg["X-Labbook-Kind"] == "accreditation.lapsing"


def test_an_email_needs_its_delivery_id():
    with pytest.raises(ValueError, match="delivery_id"):
        build_message(full(Kind.REQUEST_SCHEDULED, delivery_id=None), Language.RU, sender=SENDER, to=TO)


@pytest.mark.parametrize("kind", list(Kind))
def test_the_calendar_is_attached_exactly_for_calendar_kinds(kind):
    _, msg = roundtrip(full(kind))
    attachments = list(msg.iter_attachments())
    if kind not in CALENDAR_KINDS:
        assert attachments == []
        return
    [ics] = attachments
    assert ics.get_content_type() == "text/calendar"
    assert ics.get_filename() == "labbook-1a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d.ics"
    expected = "CANCEL" if kind in (Kind.REQUEST_CANCELLED, Kind.JOB_CANCELLED) else "REQUEST"
    assert ics.get_param("method") == expected
    cal = Calendar.from_ical(ics.get_content())
    assert str(cal["METHOD"]) == expected
    assert str(cal.walk("VEVENT")[0]["ORGANIZER"]) == "mailto:noreply@labbook.local"


@pytest.mark.parametrize("kind", sorted(CALENDAR_KINDS))
def test_no_calendar_without_planned_dates_or_request(kind):
    _, msg = roundtrip(minimal(kind, delivery_id=DELIVERY_ID))
    assert list(msg.iter_attachments()) == []
    assert msg.get_body(("plain",)) is not None and msg.get_body(("html",)) is not None


def test_a_schedule_without_planned_end_has_no_calendar():
    _, msg = roundtrip(full(Kind.JOB_SCHEDULED, planned_end=None))
    assert list(msg.iter_attachments()) == []


def test_date_header_of_a_naive_time_is_utc():
    _, msg = roundtrip(full(Kind.REQUEST_SUBMITTED, occurred_at=OCCURRED.replace(tzinfo=None)))
    assert parsedate_to_datetime(msg["Date"]) == OCCURRED.astimezone(timezone.utc)
