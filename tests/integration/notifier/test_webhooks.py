"""Webhooks to a real HTTP receiver: signed per Standard Webhooks, retried under one
webhook-id, failed into the dead-letter topic, disabled by 410."""
from __future__ import annotations

import base64
import json
from uuid import UUID

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from schemas.envelope import decode
from schemas.events import DeadLetter
from schemas.topics import DLQ
from tests.integration.booking.conftest import collect, kafka_tail

from .conftest import TOPICS, offer, org, profile, status, submitted

pytestmark = pytest.mark.integration


async def test_a_flaky_receiver_gets_one_success_after_three_attempts_under_one_webhook_id(notifier, receiver):
    supplier = org("acme")
    headers = notifier.auth("supplier", supplier)
    receiver.script("/flaky", [500, 503, 200])
    sub = await notifier.subscribe(headers, "webhook", receiver.url("/flaky"), language="en")
    req = submitted(supplier)
    await notifier.publish(TOPICS["requests"], str(req.request_id), req)
    envelope = await notifier.publish(TOPICS["status"], str(req.request_id), status(req, 1, "SUBMITTED", None))

    got = await receiver.wait_for("/flaky", 3)
    assert [r.status for r in got] == [500, 503, 200]
    assert len({r.headers["webhook-id"] for r in got}) == 1
    for r in got:  # every attempt verifies with the reference library
        Webhook(sub["secret"]).verify(r.body, dict(r.headers))
    body = json.loads(got[-1].body)
    assert body["event_id"] == str(envelope.event_id) and body["type"] == "StatusChanged"
    assert body["kind"] == "request.submitted"
    assert body["request"] == {"id": str(req.request_id), "status": "SUBMITTED", "seq": 1}

    items = await notifier.until_deliveries(headers, lambda i: i and i[0]["status"] == "delivered")
    assert len(items) == 1 and items[0]["id"] == got[0].headers["webhook-id"]
    assert [(a["attempt"], a["outcome"], a["status_code"]) for a in items[0]["attempts"]] == [
        (1, "retry", 500), (2, "retry", 503), (3, "delivered", 200)]


async def test_a_receiver_that_always_fails_ends_failed_dead_lettered_and_redeliverable(notifier, receiver, settings):
    lab = org("lab")
    headers = notifier.auth("lab", lab)
    receiver.script("/down", [500])
    await notifier.subscribe(headers, "webhook", receiver.url("/down"), events=["offer.made"])
    req = submitted(org("acme"))
    async with kafka_tail(settings.kafka_bootstrap, DLQ) as dlq:
        await notifier.publish(TOPICS["offers"], lab, offer(req, lab))
        items = await notifier.until_deliveries(headers, lambda i: i and i[0]["status"] == "failed",
                                                status="failed")
        letters = await collect(dlq, lambda e, d: isinstance(d, DeadLetter) and items[0]["id"] in d.reason, count=1)
    assert len(items) == 1 and len(items[0]["attempts"]) == 4  # the first try and the three retries
    assert "gave up after 4 attempts" in items[0]["last_error"]
    assert len(letters) == 1
    letter = letters[0][3]
    assert letter.topic == TOPICS["offers"] and letter.consumer == "notifier-deliveries"
    original, event = decode(base64.b64decode(letter.original_b64))
    assert event.request_id == req.request_id

    receiver.script("/down", [200])
    status_code, answer = await notifier.post(f"/v1/deliveries/{items[0]['id']}/redeliver", headers)
    assert status_code == 200 and answer["ids"] == [items[0]["id"]]
    again = await notifier.until_deliveries(headers, lambda i: i and i[0]["status"] == "delivered")
    assert [a["attempt"] for a in again[0]["attempts"]] == [1, 2, 3, 4, 5]
    assert {r.headers["webhook-id"] for r in receiver.requests("/down")} == {items[0]["id"]}


async def test_410_disables_the_subscription_and_tells_its_owner(notifier, receiver):
    supplier = org("acme")
    headers = notifier.auth("supplier", supplier)
    receiver.script("/gone", [410])
    sub = await notifier.subscribe(headers, "webhook", receiver.url("/gone"))
    req = submitted(supplier)
    await notifier.publish(TOPICS["status"], str(req.request_id), status(req, 1, "SUBMITTED", None))
    await receiver.wait_for("/gone", 1)
    items = await notifier.until_deliveries(headers, lambda i: i and i[0]["status"] == "failed")
    assert items[0]["attempts"][0]["outcome"] == "disabled"
    code, view = await notifier.get(f"/v1/subscriptions/{sub['id']}", headers)
    assert code == 200 and view["status"] == "disabled" and "410" in view["disabled_reason"]
    code, feed = await notifier.get("/v1/notifications", headers, language="en")
    kinds = [n["kind"] for n in feed["items"]]
    assert kinds[0] == "subscription.disabled" and "request.submitted" in kinds
    # Nothing more goes to it, and a redelivery says why.
    await notifier.publish(TOPICS["status"], str(req.request_id), status(req, 2, "MATCHING", "SUBMITTED"))
    code, error = await notifier.post(f"/v1/deliveries/{items[0]['id']}/redeliver", headers)
    assert code == 409 and error["error"]["code"] == "subscription_inactive"


async def test_a_rotated_secret_signs_beside_the_new_one(notifier, receiver):
    lab = org("lab")
    headers = notifier.auth("lab", lab)
    sub = await notifier.subscribe(headers, "webhook", receiver.url("/hook"))
    code, rotated = await notifier.post(f"/v1/subscriptions/{sub['id']}/rotate-secret", headers)
    assert code == 200 and rotated["secret"].startswith("whsec_") and rotated["secret"] != sub["secret"]
    assert len(base64.b64decode(rotated["secret"].removeprefix("whsec_"))) >= 24
    req = submitted(org("acme"))
    await notifier.publish(TOPICS["offers"], lab, offer(req, lab))
    [got] = await receiver.wait_for("/hook", 1)
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    for secret in (sub["secret"], rotated["secret"]):
        Webhook(secret).verify(got.body, dict(got.headers))
    tampered = got.body.replace(b"OfferMade", b"OfferMadX")
    with pytest.raises(WebhookVerificationError):
        Webhook(rotated["secret"]).verify(tampered, dict(got.headers))


async def test_a_lab_hears_of_its_offers_and_a_supplier_of_its_requests_only(notifier, receiver):
    lab, supplier, other = org("lab"), org("acme"), org("rival")
    await notifier.subscribe(notifier.auth("lab", lab), "webhook", receiver.url("/lab"))
    await notifier.subscribe(notifier.auth("supplier", supplier), "webhook", receiver.url("/mine"))
    await notifier.subscribe(notifier.auth("supplier", other), "webhook", receiver.url("/rival"))
    req = submitted(supplier)
    await notifier.publish(TOPICS["labs"], lab, profile(lab))
    await notifier.publish(TOPICS["offers"], lab, offer(req, lab))
    await notifier.publish(TOPICS["status"], str(req.request_id), status(req, 3, "OFFERED", "MATCHING", lab_id=lab))
    [to_lab] = await receiver.wait_for("/lab", 1)
    [to_supplier] = await receiver.wait_for("/mine", 1)
    assert json.loads(to_lab.body)["kind"] == "offer.made"
    assert json.loads(to_supplier.body)["kind"] == "request.offered"
    assert UUID(json.loads(to_supplier.body)["payload"]["request_id"]) == req.request_id
    assert receiver.requests("/rival") == []


async def test_a_requests_notices_arrive_in_order_even_when_the_first_is_retried(notifier, receiver):
    supplier = org("acme")
    headers = notifier.auth("supplier", supplier)
    receiver.script("/ordered", [500, 200])
    await notifier.subscribe(headers, "webhook", receiver.url("/ordered"))
    req = submitted(supplier)
    await notifier.publish(TOPICS["requests"], str(req.request_id), req)
    steps = [("SUBMITTED", None), ("MATCHING", "SUBMITTED"), ("UNMATCHED", "MATCHING")]
    for seq, (to, previous) in enumerate(steps, start=1):
        await notifier.publish(TOPICS["status"], str(req.request_id), status(req, seq, to, previous))
    got = await receiver.wait_for("/ordered", 4)
    delivered = [json.loads(r.body)["payload"]["status"] for r in got if r.status == 200]
    assert [json.loads(got[0].body)["payload"]["status"], got[0].status] == ["SUBMITTED", 500]
    assert delivered == ["SUBMITTED", "MATCHING", "UNMATCHED"]


async def test_malformed_messages_are_dead_lettered_and_the_rest_delivered(notifier, receiver, settings):
    supplier = org("acme")
    headers = notifier.auth("supplier", supplier)
    await notifier.subscribe(headers, "webhook", receiver.url("/after-poison"))
    req = submitted(supplier)
    key = str(req.request_id).encode()
    async with kafka_tail(settings.kafka_bootstrap, DLQ) as dlq:
        poison = [b"{not json", b'{"event_id": "x"}', offer(req, "lab-1").model_dump_json().encode()]
        for value in poison:
            await notifier.producer.send_and_wait(TOPICS["status"], value, key=key)
        await notifier.publish(TOPICS["status"], str(req.request_id), offer(req, "lab-1"))
        await notifier.publish(TOPICS["status"], str(req.request_id), status(req, 1, "SUBMITTED", None))
        [good] = await receiver.wait_for("/after-poison", 1)
        letters = await collect(dlq, lambda e, d: isinstance(d, DeadLetter) and d.key_b64 and
                                base64.b64decode(d.key_b64) == key, count=4)
    assert json.loads(good.body)["kind"] == "request.submitted"
    by_offset = {letter[3].offset: letter[3] for letter in letters}  # one letter per bad message
    reasons = [by_offset[o].reason for o in sorted(by_offset)]
    assert len(reasons) == 4 and "not JSON" in reasons[0] and "invalid envelope" in reasons[1]
    assert f"OfferMade does not belong on {TOPICS['status']}" in reasons[3]
    assert all(d.topic == TOPICS["status"] and d.consumer == "notifier-events" for d in by_offset.values())


async def test_a_slow_target_does_not_hold_up_the_others(notifier, receiver):
    """Per-target concurrency (4): 8 sends to a target taking 3 s each need two rounds,
    while every send to the fast target goes out in the meantime."""
    supplier = org("acme")
    headers = notifier.auth("supplier", supplier)
    receiver.script("/slow", [200], delay=3)
    await notifier.subscribe(headers, "webhook", receiver.url("/slow"))
    await notifier.subscribe(headers, "webhook", receiver.url("/fast"))
    for _ in range(8):
        req = submitted(supplier)
        await notifier.publish(TOPICS["requests"], str(req.request_id), req)
        await notifier.publish(TOPICS["status"], str(req.request_id), status(req, 1, "SUBMITTED", None))
    await receiver.wait_for("/fast", 8)
    assert len(receiver.requests("/slow")) <= 4  # the first round is still being answered
    await receiver.wait_for("/slow", 8)
