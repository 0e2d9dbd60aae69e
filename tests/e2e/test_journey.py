"""One request through every real process, observed where its people would see it: the
supplier's and the lab's webhooks (signed, verified with the standardwebhooks package)
and emails (caught by the test's SMTP server), and the request's history."""
from __future__ import annotations

import json
from contextlib import AsyncExitStack
from datetime import datetime

import pytest
from standardwebhooks.webhooks import Webhook

from schemas.states import check_transition

from .system import start_system, unique

pytestmark = pytest.mark.integration

HAPPY_TAIL = ["OFFERED", "ACCEPTED", "SCHEDULED", "SAMPLES_RECEIVED", "IN_TESTING", "COMPLETED", "REPORT_ISSUED"]


@pytest.fixture(scope="module")
async def system(servers, settings, tmp_path_factory):
    home = tmp_path_factory.mktemp("system")
    (home / "scheduler").mkdir()
    (home / "smtp").mkdir()
    async with AsyncExitStack() as stack:
        yield await start_system(stack, servers, settings, home)


def statuses(request: dict) -> list[str]:
    return [entry["status"] for entry in request["history"]]


def assert_legal(history: list[str]) -> None:
    previous = None
    for status in history:
        check_transition(previous, status)  # raises IllegalTransition
        previous = status


def webhook_statuses(received, secret: str, request_id: str) -> list[str]:
    """The request statuses the signed webhooks told, in arrival order; each verifies and
    has its own webhook-id."""
    found, ids = [], set()
    for got in received:
        Webhook(secret).verify(got.body, dict(got.headers))
        body = json.loads(got.body)
        if body["request"] and body["request"]["id"] == request_id and body["type"] == "StatusChanged":
            found.append(body["payload"]["status"])
            ids.add(got.headers["webhook-id"])
    assert len(ids) == len(found), "a webhook-id came twice"
    return found


async def test_a_request_goes_from_submitted_to_report_issued(system):
    method, supplier = "ISO9227-NSS-96", unique("acme")
    lab = await system.register_lab(method)
    hook = await system.subscribe("supplier", supplier, "webhook", system.receiver.url(f"/{supplier}"))
    await system.subscribe("supplier", supplier, "email", f"quality@{supplier}.example", language="en")
    lab_hook = await system.subscribe("lab", lab, "webhook", system.receiver.url(f"/{lab}"))
    supplier_token = system.token("supplier", supplier)
    with system.agent(lab, method):
        request = await system.submit(supplier, method)
        (offer,) = await system.until_offers(lab, "pending")
        assert offer["request_id"] == request["id"]
        await system.cli("accept", offer["id"], token=system.token("lab", lab))
        await system.until_status(request["id"], supplier_token, "SCHEDULED")
        for event in ("samples_received", "testing_started", "testing_completed"):
            await system.cli("job", request["id"], event, token=system.token("lab", lab))
        await system.cli("job", request["id"], "report_issued", "--report-url", "https://lab.example/r/1.pdf",
                         token=system.token("lab", lab))
        done = await system.until_status(request["id"], supplier_token, "REPORT_ISSUED")

    history = statuses(done)
    assert_legal(history)
    assert history[0] == "SUBMITTED" and history[-len(HAPPY_TAIL):] == HAPPY_TAIL, history
    received = await system.receiver.wait_for(f"/{supplier}", len(history))
    assert webhook_statuses(received, hook["secret"], request["id"]) == history
    mail = await system.smtp.wait_until(lambda m: len(_mine(m, request["id"])) >= len(history))
    mine = _mine(mail, request["id"])
    assert [m["X-Labbook-Kind"] for m in mine] == [f"request.{s.lower()}" for s in history]
    scheduled = mine[history.index("SCHEDULED")]
    assert [p.get_content_type() for p in scheduled.iter_attachments()] == ["text/calendar"]
    told_lab = [json.loads(r.body)["kind"] for r in await system.receiver.wait_for(f"/{lab}", 2)]
    assert told_lab[:2] == ["offer.made", "job.scheduled"], told_lab
    system.receiver.verify_all(lab_hook["secret"], f"/{lab}")


def _mine(messages, request_id: str) -> list:
    return [m for m in messages if m["X-Labbook-Request"] == request_id]


async def test_a_declined_offer_is_matched_to_the_next_lab(system):
    method, supplier = "ISO9227-NSS-168", unique("acme")
    first, second = await system.register_lab(method), await system.register_lab(method, city="Samara",
                                                                                  at=(53.2077, 50.1355))
    hook = await system.subscribe("supplier", supplier, "webhook", system.receiver.url(f"/{supplier}"))
    token = system.token("supplier", supplier)
    with system.agent(first, method), system.agent(second, method):
        request = await system.submit(supplier, method)
        await system.until_status(request["id"], token, "OFFERED")
        offered = {lab: await system.cli("offers", token=system.token("lab", lab)) for lab in (first, second)}
        (declining,) = [lab for lab, offers in offered.items() if offers]
        other = second if declining == first else first
        await system.cli("decline", offered[declining][0]["id"], "--reason", "chamber under repair",
                         token=system.token("lab", declining))
        (offer,) = await system.until_offers(other, "pending")
        assert offer["request_id"] == request["id"]
        again = await system.until_status(request["id"], token, "OFFERED")
    history = statuses(again)
    assert_legal(history)
    assert history[-3:] == ["OFFERED", "MATCHING", "OFFERED"], history
    assert again["history"][-2]["reason"] == "offer_declined", again["history"]
    received = await system.receiver.wait_for(f"/{supplier}", len(history))
    assert webhook_statuses(received, hook["secret"], request["id"]) == history


async def test_a_job_cancelled_after_acceptance_frees_its_slot(system):
    method, supplier = "ISO9227-NSS-240", unique("acme")
    lab = await system.register_lab(method)
    lab_hook = await system.subscribe("lab", lab, "webhook", system.receiver.url(f"/{lab}"))
    token, lab_token = system.token("supplier", supplier), system.token("lab", lab)
    with system.agent(lab, method, slots=1):
        first = await system.submit(supplier, method)
        (offer,) = await system.until_offers(lab, "pending")
        await system.cli("accept", offer["id"], token=lab_token)
        await system.until_status(first["id"], token, "SCHEDULED")
        await system.call("booking", "POST", f"/v1/requests/{first['id']}/cancel", token,
                          {"reason": "design changed"})
        cancelled = await system.until_status(first["id"], token, "CANCELLED")
        second = await system.submit(supplier, method)
        (again,) = await system.until_offers(lab, "pending")
    assert statuses(cancelled)[-3:] == ["ACCEPTED", "SCHEDULED", "CANCELLED"]
    # The one slot came back: the next request may start before the cancelled job would have ended.
    assert again["request_id"] == second["id"], again
    assert datetime.fromisoformat(again["planned_start"]) < datetime.fromisoformat(offer["planned_end"]), (offer, again)
    kinds = [json.loads(r.body)["kind"] for r in await system.receiver.wait_for(f"/{lab}", 4)]
    assert kinds[:4] == ["offer.made", "job.scheduled", "job.cancelled", "offer.made"], kinds
    system.receiver.verify_all(lab_hook["secret"], f"/{lab}")
