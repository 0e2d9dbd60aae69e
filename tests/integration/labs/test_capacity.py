"""Capacity adverts and liveness reach labbook.capacity.v1 with the heartbeat time."""
from datetime import datetime

import pytest

from schemas.topics import CAPACITY

from .conftest import METHOD, OTHER_METHOD, collect, kafka_tail, window


def item(method=METHOD, slots=2, days=(1, 30)) -> dict:
    start, end = window(*days)
    return {"method_code": method, "slots": slots, "available_from": start, "available_to": end}


async def test_a_lab_advertises_capacity_with_a_fresh_heartbeat(labs, settings):
    lab = await labs.register()
    me = labs.auth("lab", lab["id"])
    async with kafka_tail(settings.kafka_bootstrap, CAPACITY) as tail:
        body = {"items": [item(), item(days=(30, 60)), item(OTHER_METHOD, 1)]}
        status, answer = await labs.call("PUT", f"/v1/labs/{lab['id']}/capacity", me, body)
        assert status == 200, answer
        found = await collect(tail, lambda env, ev: ev.lab_id == lab["id"], count=1)
    (_, key, _, advert), = found
    assert key == lab["id"].encode() and len(advert.items) == 3
    assert advert.heartbeat_at == datetime.fromisoformat(answer["last_seen_at"])

    async with kafka_tail(settings.kafka_bootstrap, CAPACITY) as tail:
        status, beat = await labs.call("POST", f"/v1/labs/{lab['id']}/heartbeat", me)
        assert status == 200, beat
        found = await collect(tail, lambda env, ev: ev.lab_id == lab["id"], count=1)
    assert found[0][3].heartbeat_at > advert.heartbeat_at and len(found[0][3].items) == 3


@pytest.mark.parametrize("items, code", [
    ([item(days=(1, 30)), item(days=(20, 40))], "validation_error"),  # overlapping windows, same method
    ([item(days=(10, 5))], "validation_error"),  # inverted
    ([item("ISO6892-1-A")], "method_not_in_scope"),
])
async def test_bad_capacity_is_refused(labs, items, code):
    lab = await labs.register()
    status, body = await labs.call("PUT", f"/v1/labs/{lab['id']}/capacity", labs.auth("staff"), {"items": items})
    assert status == 422 and body["error"]["code"] == code, body


async def test_a_lab_cannot_touch_another_labs_capacity_or_heartbeat(labs):
    mine, other = await labs.register(), await labs.register()
    me = labs.auth("lab", mine["id"])
    status, _ = await labs.call("PUT", f"/v1/labs/{other['id']}/capacity", me, {"items": []})
    assert status == 404
    status, _ = await labs.call("POST", f"/v1/labs/{other['id']}/heartbeat", me)
    assert status == 404
    status, _ = await labs.call("POST", f"/v1/labs/{mine['id']}/heartbeat", labs.auth("supplier"))
    assert status == 404


async def test_any_call_by_the_lab_refreshes_liveness_but_staff_edits_do_not(labs, settings):
    lab = await labs.register()
    async with kafka_tail(settings.kafka_bootstrap, CAPACITY) as tail:
        status, _ = await labs.call("PUT", f"/v1/labs/{lab['id']}/capacity", labs.auth("staff"), {"items": [item()]})
        assert status == 200
        by_staff = await collect(tail, lambda env, ev: ev.lab_id == lab["id"], count=1)
        assert by_staff[0][3].heartbeat_at.year == 1970  # never heard from the lab itself

        status, _ = await labs.call("GET", "/v1/offers?status=pending", labs.auth("lab", lab["id"]))
        assert status == 200
        by_lab = await collect(tail, lambda env, ev: ev.lab_id == lab["id"], count=1)
    assert by_lab[0][3].heartbeat_at.year >= 2026 and len(by_lab[0][3].items) == 1
    status, body = await labs.call("GET", f"/v1/labs/{lab['id']}", labs.auth("staff"))
    assert body["last_seen_at"] is not None


async def test_narrowing_the_scope_drops_its_capacity_and_republishes(labs, settings):
    lab = await labs.register()
    me = labs.auth("lab", lab["id"])
    status, _ = await labs.call("PUT", f"/v1/labs/{lab['id']}/capacity", me,
                                {"items": [item(), item(OTHER_METHOD)]})
    assert status == 200
    async with kafka_tail(settings.kafka_bootstrap, CAPACITY) as tail:
        status, body = await labs.call("PATCH", f"/v1/labs/{lab['id']}", labs.auth("staff"),
                                       {"scope": [{"method_code": METHOD, "max_samples": 5, "price_rub": 1}]})
        assert status == 200 and [c["method_code"] for c in body["capacity"]] == [METHOD], body
        found = await collect(tail, lambda env, ev: ev.lab_id == lab["id"] and len(ev.items) == 1, count=1)
    assert found[0][3].items[0].method_code == METHOD
