"""Tenants never see each other's subscriptions, notifications or deliveries; the in-app
feed is exactly once, newest first, paged, with an unread count."""
from __future__ import annotations

import asyncio

import pytest

from .conftest import TOPICS, org, status, submitted

pytestmark = pytest.mark.integration


async def _one_of_each(notifier, receiver, headers, supplier):
    """A's subscription, the notification and delivery of one status change."""
    sub = await notifier.subscribe(headers, "webhook", receiver.url("/a"))
    req = submitted(supplier)
    await notifier.publish(TOPICS["requests"], str(req.request_id), req)
    await notifier.publish(TOPICS["status"], str(req.request_id), status(req, 1, "SUBMITTED", None))
    [delivery] = await notifier.until_deliveries(headers, lambda i: i and i[0]["status"] == "delivered")
    code, feed = await notifier.get("/v1/notifications", headers)
    assert code == 200 and len(feed["items"]) == 1
    return sub, feed["items"][0], delivery


async def test_another_tenant_gets_404_on_every_route_and_sees_nothing_in_lists(notifier, receiver):
    supplier = org("acme")
    mine = notifier.auth("supplier", supplier)
    sub, note, delivery = await _one_of_each(notifier, receiver, mine, supplier)
    others = {"rival": notifier.auth("supplier", org("rival")), "same org, other role": notifier.auth("lab", supplier),
              "a lab": notifier.auth("lab", org("lab"))}
    calls = [("GET", f"/v1/subscriptions/{sub['id']}"), ("DELETE", f"/v1/subscriptions/{sub['id']}"),
             ("POST", f"/v1/subscriptions/{sub['id']}/enable"), ("POST", f"/v1/subscriptions/{sub['id']}/rotate-secret"),
             ("POST", f"/v1/notifications/{note['id']}/read"), ("POST", f"/v1/deliveries/{delivery['id']}/redeliver")]
    for who, headers in others.items():
        for method, path in calls:
            response = await notifier.client.request(method, path, headers=headers)
            body = await response.json()
            assert (response.status, body["error"]["code"]) == (404, "not_found"), (who, method, path)
        for path in ("/v1/subscriptions", "/v1/notifications", "/v1/deliveries"):
            code, page = await notifier.get(path, headers)
            assert code == 200 and page["items"] == [], (who, path)
        code, redone = await notifier.post("/v1/deliveries/redeliver", headers, failed_since="2020-01-01")
        assert code == 200 and redone["redelivered"] == 0
    for method, path in calls + [("GET", "/v1/deliveries"), ("POST", "/v1/subscriptions")]:
        response = await notifier.client.request(method, path)
        assert response.status == 401, (method, path)
    # Staff see every delivery (not other people's subscriptions).
    staff = notifier.auth("staff", "cluster")
    assert delivery["id"] in [d["id"] for d in await notifier.deliveries(staff)]
    code, _ = await notifier.get(f"/v1/subscriptions/{sub['id']}", staff)
    assert code == 404
    code, still = await notifier.get(f"/v1/subscriptions/{sub['id']}", mine)
    assert code == 200 and still["status"] == "active"


async def test_the_feed_is_exactly_once_newest_first_paged_with_unread_count(notifier):
    supplier = org("acme")
    headers = notifier.auth("supplier", supplier)
    req = submitted(supplier)
    await notifier.publish(TOPICS["requests"], str(req.request_id), req)
    first = await notifier.publish(TOPICS["status"], str(req.request_id), status(req, 1, "SUBMITTED", None))
    await notifier.publish(TOPICS["status"], str(req.request_id), status(req, 2, "MATCHING", "SUBMITTED"))
    # The same message again (a redelivery): nothing new.
    await notifier.publish(TOPICS["status"], str(req.request_id), None, envelope=first)
    last = await notifier.publish(TOPICS["status"], str(req.request_id),
                                  status(req, 3, "UNMATCHED", "MATCHING", reason="no_accredited_lab"))
    await _until_feed(notifier, headers, 3)
    code, page1 = await notifier.get("/v1/notifications", headers, limit="2", language="en")
    assert code == 200 and page1["unread"] == 3
    assert [n["kind"] for n in page1["items"]] == ["request.unmatched", "request.matching"]
    assert "no accredited lab" in page1["items"][0]["summary"].casefold()
    code, page2 = await notifier.get("/v1/notifications", headers, limit="2", cursor=page1["next_cursor"])
    assert [n["kind"] for n in page2["items"]] == ["request.submitted"] and page2["next_cursor"] is None
    code, read = await notifier.post(f"/v1/notifications/{page1['items'][0]['id']}/read", headers)
    assert code == 200 and read["read"] is True
    code, after = await notifier.get("/v1/notifications", headers, unread="true")
    assert after["unread"] == 2 and [n["kind"] for n in after["items"]] == ["request.matching", "request.submitted"]
    # Staff were told of the UNMATCHED request, with the reason; in Russian too.
    code, staff_feed = await notifier.get("/v1/notifications", notifier.auth("staff", "cluster"), language="ru")
    mine = [n for n in staff_feed["items"] if n["request_id"] == str(req.request_id)]
    assert [n["kind"] for n in mine] == ["request.unmatched"] and mine[0]["facts"]["reason"] == "no_accredited_lab"
    assert "нет аккредитованной лаборатории" in mine[0]["summary"].casefold()
    assert last.event_id != first.event_id


async def _until_feed(notifier, headers, count: int, timeout: float = 20):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        code, page = await notifier.get("/v1/notifications", headers)
        if len(page["items"]) >= count:
            return page
        await asyncio.sleep(0.1)
    raise AssertionError(f"fewer than {count} notifications in {timeout} s")


async def test_bad_input_gets_clear_errors(notifier):
    headers = notifier.auth("supplier", org("acme"))
    cases = [({"channel": "sms", "target": "x@y.example"}, "channel"),
             ({"channel": "email", "target": "not an address"}, "email address"),
             ({"channel": "webhook", "target": "ftp://example.com/x"}, "http"),
             ({"channel": "email", "target": "a@b.example", "events": ["request.teleported"]}, "unknown event"),
             ({"channel": "email", "target": "a@b.example", "language": "de"}, "language")]
    for body, words in cases:
        response = await notifier.client.post("/v1/subscriptions", headers=headers, json=body)
        error = (await response.json())["error"]
        assert response.status == 422 and words in (error["message"] + str(error["details"])), (body, error)
    response = await notifier.client.post("/v1/subscriptions", headers=headers, data=b"{not json")
    assert response.status == 400
    code, error = await notifier.post("/v1/deliveries/redeliver", headers, failed_since="2026-12-01T10:00:00")
    assert code in (400, 422) and "offset" in error["error"]["message"]
    code, error = await notifier.get("/v1/notifications", headers, cursor="garbage")
    assert code == 400 and "cursor" in error["error"]["message"]
    sub = await notifier.subscribe(headers, "email", "Ivan.Petrov@ACME.example", events=["offered", "REPORT_ISSUED"])
    assert sub["events"] == ["request.offered", "request.report_issued"] and sub["secret"] is None
    assert sub["target"] == "Ivan.Petrov@acme.example"


async def test_a_retried_create_with_the_same_idempotency_key_makes_one_subscription(notifier, receiver):
    headers = {**notifier.auth("lab", org("lab")), "Idempotency-Key": "hook-1"}
    body = {"channel": "webhook", "target": receiver.url("/once")}
    answers = [await notifier.client.post("/v1/subscriptions", json=body, headers=headers) for _ in range(2)]
    first, second = [await a.json() for a in answers]
    assert [a.status for a in answers] == [201, 201] and first == second and first["secret"]
    code, page = await notifier.get("/v1/subscriptions", headers)
    assert [s["id"] for s in page["items"]] == [first["id"]]
    other = await notifier.client.post("/v1/subscriptions", json={**body, "language": "en"}, headers=headers)
    assert other.status == 422 and (await other.json())["error"]["code"] == "idempotency_key_reused"
