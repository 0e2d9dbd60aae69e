"""The retry schedule and request URL settings (settings.py) and the API's bodies and
queries (domain.py): what people type is accepted, what cannot work is refused clearly."""
from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from schemas.notifications import Channel, Language
from services.notifier.domain import SubscriptionBody, decode_cursor, encode_cursor, parse_since
from services.notifier.settings import NotifierSettings, parse_durations

# --- parse_durations --------------------------------------------------------------------


def test_the_default_schedule():
    assert parse_durations("5s,5m,30m,2h,5h,10h,24h") == (5, 300, 1800, 7200, 18000, 36000, 86400)


@pytest.mark.parametrize(("text", "seconds"), [
    ("500ms", (0.5,)),
    ("1d", (86400,)),
    ("1.5h", (5400,)),
    (" 5s , 10 m ", (5, 600)),
])
def test_one_duration(text, seconds):
    assert parse_durations(text) == seconds


@pytest.mark.parametrize("text", ["5 minutes", "", "x", "5", "5s,", "-5s", "5S"])
def test_bad_durations_say_how_to_write_one(text):
    with pytest.raises(ValueError, match=r"is not a duration; write e\.g\. 500ms, 5s, 5m, 2h or 1d"):
        parse_durations(text)


# --- NotifierSettings -------------------------------------------------------------------


def test_the_request_url_needs_a_place_for_the_id(monkeypatch):
    monkeypatch.setenv("NOTIFIER_REQUEST_URL", "https://labbook.example/requests/")
    with pytest.raises(ValidationError, match=r"must contain \{id\}"):
        NotifierSettings()


def test_a_request_url_with_the_id_is_kept(monkeypatch):
    monkeypatch.setenv("NOTIFIER_REQUEST_URL", "https://labbook.example/requests/{id}")
    assert NotifierSettings().request_url == "https://labbook.example/requests/{id}"


def test_the_retry_schedule_setting(monkeypatch):
    monkeypatch.setenv("NOTIFIER_RETRY_SCHEDULE", "5s,1m")
    assert NotifierSettings().retry_delays() == (5, 60)
    monkeypatch.setenv("NOTIFIER_RETRY_SCHEDULE", "5 minutes")
    with pytest.raises(ValidationError, match="is not a duration"):
        NotifierSettings()


# --- SubscriptionBody -------------------------------------------------------------------

EMAIL = "ops@acme.example"
HOOK = "https://hooks.acme.example/labbook"


def test_channel_and_language_in_any_case():
    body = SubscriptionBody(channel="EMAIL", target=EMAIL, language="RU")
    assert body.channel is Channel.EMAIL
    assert body.language is Language.RU
    body = SubscriptionBody(channel=" Webhook ", target=HOOK, language="En")
    assert body.channel is Channel.WEBHOOK
    assert body.language is Language.EN
    assert body.target == HOOK


def test_defaults():
    body = SubscriptionBody(channel="email", target=EMAIL)
    assert body.language is Language.RU
    assert body.events == []


def test_events_as_kinds_or_status_names_deduplicated_in_order():
    body = SubscriptionBody(channel="email", target=EMAIL,
                            events=["offered", "REPORT_ISSUED", "offer.made", "offered"])
    assert body.events == ["request.offered", "request.report_issued", "offer.made"]


def test_an_unknown_event_names_the_known_kinds():
    with pytest.raises(ValidationError) as caught:
        SubscriptionBody(channel="email", target=EMAIL, events=["offer.eaten"])
    message = str(caught.value)
    assert "unknown event 'offer.eaten'" in message
    for kind in ("request.offered", "offer.made", "job.cancelled", "subscription.disabled"):
        assert kind in message


def test_an_email_target_is_normalised():
    body = SubscriptionBody(channel="email", target="  Ops@Acme.EXAMPLE ")
    assert body.target == "Ops@acme.example"


@pytest.mark.parametrize("target", ["not-an-address", "ops@", "@acme.example", "ops at acme.example"])
def test_a_non_address_is_refused(target):
    with pytest.raises(ValidationError, match="target is not an email address"):
        SubscriptionBody(channel="email", target=target)


@pytest.mark.parametrize(("target", "says"), [
    ("ftp://x", "must start with https:// or http://"),
    ("http://user:pw@host/", "remove the user name and password"),
])
def test_a_bad_webhook_target_is_refused(target, says):
    with pytest.raises(ValidationError, match=says):
        SubscriptionBody(channel="webhook", target=target)


def test_an_extra_field_is_refused():
    with pytest.raises(ValidationError, match="secret"):
        SubscriptionBody(channel="webhook", target=HOOK, secret="s3cr3t")


def test_an_unknown_channel_is_refused():
    with pytest.raises(ValidationError, match="channel"):
        SubscriptionBody(channel="sms", target="+79990000000")


# --- parse_since ------------------------------------------------------------------------


def test_a_date_is_midnight_utc():
    assert parse_since("2026-12-01") == datetime(2026, 12, 1, 0, 0, tzinfo=timezone.utc)
    assert parse_since(" 2026-12-01 ").tzinfo is timezone.utc


def test_a_date_time_keeps_its_offset():
    moment = parse_since("2026-12-01T09:00:00+03:00")
    assert moment == datetime(2026, 12, 1, 6, 0, tzinfo=timezone.utc)
    assert moment.utcoffset() == timedelta(hours=3)
    assert moment.hour == 9


def test_z_means_utc():
    assert parse_since("2026-12-01T09:00:00Z") == datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


def test_a_date_time_without_an_offset_is_refused():
    with pytest.raises(ValueError, match="offset"):
        parse_since("2026-12-01T09:00:00")


@pytest.mark.parametrize("text", ["yesterday", "", "2026-13-01", "01.12.2026"])
def test_garbage_is_refused(text):
    with pytest.raises(ValueError, match="is neither an ISO date"):
        parse_since(text)


# --- cursors ----------------------------------------------------------------------------


@pytest.mark.parametrize("seq", [0, 1, 10**15])
def test_cursors_round_trip(seq):
    assert decode_cursor(encode_cursor(seq)) == seq


def test_a_cursor_is_unpadded_url_safe_base64():
    assert encode_cursor(0) == "bjA"  # base64("n0") == "bjA="
    assert encode_cursor(1) == "bjE"


@pytest.mark.parametrize("cursor", [
    "",
    "abc",
    base64.urlsafe_b64encode(b"x1").decode(),
    base64.urlsafe_b64encode(b"n").decode(),
    base64.urlsafe_b64encode(b"n-1").decode(),
    base64.urlsafe_b64encode(b"n" + b"1" * 20).decode(),
    "%%%%",
])
def test_a_cursor_the_notifier_did_not_make_is_refused(cursor):
    with pytest.raises(ValueError, match="invalid cursor"):
        decode_cursor(cursor)


def test_the_lease_must_outlast_a_wait_and_a_send(monkeypatch):
    monkeypatch.setenv("NOTIFIER_WEBHOOK_TIMEOUT_S", "10")
    monkeypatch.setenv("NOTIFIER_LEASE_S", "40")  # the claim runs 4 concurrencies ahead: 4 x 10 s
    with pytest.raises(ValidationError, match="must exceed 4 times the longer send timeout"):
        NotifierSettings()
    monkeypatch.setenv("NOTIFIER_LEASE_S", "41")
    assert NotifierSettings().lease_s == 41
