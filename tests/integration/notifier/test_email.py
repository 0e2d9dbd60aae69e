"""Email to a real SMTP server (the catcher, a subprocess): both languages, Russian
plurals, one Message-ID per (event, recipient), calendar entries, SMTP refusals logged."""
from __future__ import annotations

from datetime import timedelta

import pytest
from icalendar import Calendar

from .conftest import TOPICS, now, org, profile, status, submitted

pytestmark = pytest.mark.integration

TITLE_RU = "Испытания в нейтральном соляном тумане"
TITLE_EN = "neutral salt spray"


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def calendars(message) -> list[Calendar]:
    return [Calendar.from_ical(part.get_payload(decode=True))
            for part in message.walk() if part.get_content_type() == "text/calendar"]


async def _journey(notifier, supplier: str, lab: str, samples: int):
    """A request from submission to SCHEDULED, published as booking and the scheduler do."""
    req = submitted(supplier, samples=samples)
    start = now() + timedelta(days=7)
    await notifier.publish(TOPICS["labs"], lab, profile(lab))
    await notifier.publish(TOPICS["requests"], str(req.request_id), req)
    steps = [("SUBMITTED", None, {}), ("MATCHING", "SUBMITTED", {}), ("OFFERED", "MATCHING", {"lab_id": lab}),
             ("ACCEPTED", "OFFERED", {"lab_id": lab}),
             ("SCHEDULED", "ACCEPTED", {"lab_id": lab, "planned_start": start,
                                        "planned_end": start + timedelta(hours=100)})]
    for seq, (to, previous, fields) in enumerate(steps, start=1):
        await notifier.publish(TOPICS["status"], str(req.request_id), status(req, seq, to, previous, **fields))
    return req


async def test_every_status_reaches_the_supplier_in_russian_and_english_with_the_calendar(notifier, smtp):
    supplier, lab = org("acme"), org("lab")
    headers = notifier.auth("supplier", supplier)
    await notifier.subscribe(headers, "email", "ivan@acme.example", language="ru")
    await notifier.subscribe(headers, "email", "john@acme.example", language="EN")
    await notifier.subscribe(notifier.auth("lab", lab), "email", "desk@lab.example", language="ru",
                             events=["job.scheduled"])
    req = await _journey(notifier, supplier, lab, samples=5)

    mail = await smtp.wait_for(11)
    by_to = {}
    for message in mail:
        by_to.setdefault(message["To"], []).append(message)
    assert sorted(by_to) == ["desk@lab.example", "ivan@acme.example", "john@acme.example"]
    ru, en, desk = by_to["ivan@acme.example"], by_to["john@acme.example"], by_to["desk@lab.example"]
    assert len(ru) == len(en) == 5 and len(desk) == 1
    assert len({m["Message-ID"] for m in mail}) == 11
    assert all(m["X-Labbook-Request"] == str(req.request_id) for m in mail)
    assert all(m.get_body(preferencelist=("html",)) is not None for m in mail)
    scheduled_ru = next(m for m in ru if m["X-Labbook-Kind"] == "request.scheduled")
    text = text_of(scheduled_ru)
    assert "5 образцов" in text and TITLE_RU in text and "Тольяттинский испытательный центр" in text
    assert "Brake pad" in text and str(req.request_id) in text
    assert TITLE_EN in text_of(next(m for m in en if m["X-Labbook-Kind"] == "request.scheduled"))
    assert "5 samples" in text_of(en[0])
    for message in (scheduled_ru, desk[0]):
        [cal] = calendars(message)
        assert cal["METHOD"] == "REQUEST"
        [event] = [c for c in cal.walk() if c.name == "VEVENT"]
        assert str(event["UID"]) == f"{req.request_id}@labbook"
    assert [calendars(m) for m in ru if m["X-Labbook-Kind"] != "request.scheduled"] == [[]] * 4


async def test_russian_plurals_follow_cldr(notifier, smtp):
    supplier = org("acme")
    await notifier.subscribe(notifier.auth("supplier", supplier), "email", "olga@acme.example", language="ru")
    for samples in (1, 2, 21):
        req = submitted(supplier, samples=samples)
        await notifier.publish(TOPICS["requests"], str(req.request_id), req)
        await notifier.publish(TOPICS["status"], str(req.request_id), status(req, 1, "SUBMITTED", None))
    mail = await smtp.wait_for(3)
    texts = " ".join(text_of(m) for m in mail)
    for phrase in ("1 образец", "2 образца", "21 образец"):
        assert phrase in texts


async def test_a_refused_recipient_is_recorded_with_the_servers_reply(notifier, smtp):
    supplier = org("acme")
    headers = notifier.auth("supplier", supplier)
    await notifier.subscribe(headers, "email", "reject-me@acme.example")
    await notifier.subscribe(headers, "email", "tempfail-me@acme.example")
    await notifier.subscribe(headers, "email", "fine@acme.example")
    req = submitted(supplier)
    await notifier.publish(TOPICS["requests"], str(req.request_id), req)
    await notifier.publish(TOPICS["status"], str(req.request_id), status(req, 1, "SUBMITTED", None))
    items = await notifier.until_deliveries(
        headers, lambda i: len(i) == 3 and all(d["status"] in ("delivered", "failed") for d in i))
    by_target = {d["target"]: d for d in items}
    rejected, deferred = by_target["reject-me@acme.example"], by_target["tempfail-me@acme.example"]
    assert rejected["status"] == "failed" and len(rejected["attempts"]) == 1  # permanent: not retried
    assert rejected["attempts"][0]["status_code"] == 550 and "mailbox unavailable" in rejected["attempts"][0]["reply"]
    assert deferred["status"] == "failed" and [a["status_code"] for a in deferred["attempts"]] == [451] * 4
    assert by_target["fine@acme.example"]["status"] == "delivered"
    assert [m["To"] for m in smtp.messages()] == ["fine@acme.example"]


async def test_a_redelivered_email_keeps_its_message_id(notifier, smtp):
    supplier = org("acme")
    headers = notifier.auth("supplier", supplier)
    await notifier.subscribe(headers, "email", "anna@acme.example", language="en")
    req = submitted(supplier)
    await notifier.publish(TOPICS["requests"], str(req.request_id), req)
    await notifier.publish(TOPICS["status"], str(req.request_id), status(req, 1, "SUBMITTED", None))
    [first] = await smtp.wait_for(1)
    [delivery] = await notifier.until_deliveries(headers, lambda i: i and i[0]["status"] == "delivered")
    code, _ = await notifier.post(f"/v1/deliveries/{delivery['id']}/redeliver", headers)
    assert code == 200
    first_copy, second = await smtp.wait_for(2)
    assert first_copy["Message-ID"] == second["Message-ID"] == f"<{delivery['id']}@labbook.local>"
    [again] = await notifier.until_deliveries(headers, lambda i: len(i[0]["attempts"]) == 2)
    assert [a["outcome"] for a in again["attempts"]] == ["delivered", "delivered"]
