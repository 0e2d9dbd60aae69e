"""The offers inbox and a lab's answers: tenancy, expiry, withdrawal, responses on Kafka."""
import uuid
from datetime import datetime, timedelta, timezone

from schemas.envelope import Envelope
from schemas.events import OfferAccepted, OfferDeclined, OfferWithdrawn
from schemas.topics import DLQ, LAB_RESPONSES

from .conftest import collect, kafka_tail, offer_made, pending_offers, until_offer


async def test_a_lab_never_sees_or_answers_another_labs_offer(labs, scheduler):
    mine, other = await labs.register(), await labs.register()
    offer = offer_made(other["id"])
    await scheduler(offer)
    await until_offer(labs, labs.auth("staff"), offer.offer_id, status="pending")  # staff see all
    me = labs.auth("lab", mine["id"])
    status, body = await labs.call("GET", "/v1/offers?status=pending", me)
    assert status == 200 and str(offer.offer_id) not in {o["id"] for o in body["items"]}
    for action, payload in (("accept", {}), ("decline", {"reason": "busy"})):
        status, body = await labs.call("POST", f"/v1/offers/{offer.offer_id}/{action}", me, payload)
        assert status == 404 and body["error"]["code"] == "not_found"
    status, _ = await labs.call("GET", "/v1/offers", labs.auth("supplier"))
    assert status == 404


async def test_offers_carry_the_contract_fields_and_redelivery_changes_nothing(labs, scheduler):
    lab = await labs.register()
    offer = offer_made(lab["id"])
    raw = Envelope.wrap(offer, producer="test-scheduler").to_bytes()
    await scheduler(offer, raw=raw)
    await scheduler(offer, raw=raw)  # the same event redelivered
    await scheduler(offer)  # the same offer in a new envelope, e.g. after a scheduler restart
    shown = await until_offer(labs, labs.auth("lab", lab["id"]), offer.offer_id)
    assert {"id", "request_id", "lab_id", "method_code", "samples", "deadline", "planned_start",
            "planned_end", "expires_at", "status"} <= set(shown)
    assert shown["status"] == "pending" and shown["samples"] == 5
    assert await labs.pool.fetchval("SELECT count(*) FROM labs.offers WHERE id = $1", offer.offer_id) == 1
    assert await labs.pool.fetchval("SELECT count(*) FROM labs.applied_events") >= 1


async def test_accept_and_decline_publish_responses_keyed_by_request(labs, scheduler, settings):
    lab, me, (first, second) = await pending_offers(labs, scheduler)
    start = (datetime.now(timezone.utc) + timedelta(days=8)).replace(microsecond=0)
    async with kafka_tail(settings.kafka_bootstrap, LAB_RESPONSES) as tail:
        status, body = await labs.call("POST", f"/v1/offers/{first.offer_id}/accept", me,
                                       {"planned_start": start.isoformat()})
        assert status == 200 and body["status"] == "accepted", body
        status, body = await labs.call("POST", f"/v1/offers/{second.offer_id}/decline", me, {"reason": "chamber down"})
        assert status == 200 and body["status"] == "declined", body
        found = await collect(tail, lambda env, ev: getattr(ev, "lab_id", None) == lab["id"], count=2)
    events = {type(ev): (key, ev) for _, key, _, ev in found}
    key, accepted = events[OfferAccepted]
    assert key == str(first.request_id).encode() and accepted.planned_start == start
    key, declined = events[OfferDeclined]
    assert key == str(second.request_id).encode() and declined.reason == "chamber down"

    status, body = await labs.call("POST", f"/v1/offers/{first.offer_id}/decline", me, {"reason": "changed mind"})
    assert status == 409 and body["error"]["code"] == "offer_not_pending"
    status, body = await labs.call("POST", f"/v1/offers/{second.offer_id}/decline", me, {})
    assert status == 422


async def test_an_expired_offer_cannot_be_accepted(labs, scheduler):
    lab = await labs.register()
    me = labs.auth("lab", lab["id"])
    offer = offer_made(lab["id"], expires_at=datetime.now(timezone.utc) - timedelta(minutes=1))
    await scheduler(offer)
    assert (await until_offer(labs, me, offer.offer_id))["status"] == "expired"
    status, body = await labs.call("POST", f"/v1/offers/{offer.offer_id}/accept", me)
    assert status == 409 and body["error"]["code"] == "offer_expired"
    status, body = await labs.call("GET", "/v1/offers?status=pending", me)
    assert str(offer.offer_id) not in {o["id"] for o in body["items"]}


async def test_a_suspended_labs_pending_offers_are_withdrawn(labs, scheduler):
    lab = await labs.register()
    me = labs.auth("lab", lab["id"])
    offer = offer_made(lab["id"])
    await scheduler(offer)
    await until_offer(labs, me, offer.offer_id, status="pending")
    status, body = await labs.call("PATCH", f"/v1/labs/{lab['id']}", labs.auth("staff"),
                                   {"accreditation": {"status": "suspended"}})
    assert status == 200 and body["accreditation"]["status"] == "suspended", body
    assert (await until_offer(labs, me, offer.offer_id))["status"] == "withdrawn"
    status, body = await labs.call("POST", f"/v1/offers/{offer.offer_id}/accept", me)
    assert status == 409 and body["error"]["code"] == "offer_not_pending"


async def test_the_schedulers_withdrawal_reaches_the_inbox(labs, scheduler):
    lab = await labs.register()
    me = labs.auth("lab", lab["id"])
    offer = offer_made(lab["id"])
    await scheduler(offer)
    await scheduler(OfferWithdrawn(offer_id=offer.offer_id, request_id=offer.request_id, lab_id=lab["id"],
                                   reason="request cancelled"))
    shown = await until_offer(labs, me, offer.offer_id, status="withdrawn")
    assert shown["reason"] == "request cancelled"


async def test_malformed_offer_messages_are_dead_lettered_and_the_inbox_goes_on(labs, scheduler, settings):
    lab = await labs.register()
    junk = f"not json {uuid.uuid4()}".encode()
    async with kafka_tail(settings.kafka_bootstrap, DLQ) as tail:
        await scheduler(None, raw=junk)
        offer = offer_made(lab["id"])
        await scheduler(offer)
        found = await collect(tail, lambda env, ev: ev.consumer == "labs-offers" and junk.decode() in
                              __import__("base64").b64decode(ev.original_b64).decode(errors="replace"), count=1)
    assert found and found[0][3].topic == "labbook.offers.v1" and "not JSON" in found[0][3].reason
    await until_offer(labs, labs.auth("lab", lab["id"]), offer.offer_id, status="pending")
