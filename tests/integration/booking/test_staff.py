"""Staff routes: the queue, unmet demand, and who may call them."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from .conftest import consumed, created, getter, publish, status_event, until

pytestmark = pytest.mark.integration

STAFF_ROUTES = ["/v1/queue", "/v1/unmet-demand"]


@pytest.mark.parametrize("path", STAFF_ROUTES + ["/v1/events"])
async def test_no_token_is_401(booking, path):
    response = await booking.client.get(path)
    assert response.status == 401
    assert (await response.json())["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("path", STAFF_ROUTES)
@pytest.mark.parametrize("role", ["supplier", "lab"])
async def test_other_roles_get_404(booking, path, role):
    response = await booking.client.get(path, headers=booking.auth(role))
    assert response.status == 404


async def test_labs_get_404_on_events(booking):
    response = await booking.client.get("/v1/events", headers=booking.auth("lab"))
    assert response.status == 404


async def test_empty_queue(booking):
    response = await booking.client.get("/v1/queue", headers=booking.auth("staff"))
    body = await response.json()
    assert response.status == 200
    assert body["total"] == 0 and body["oldest_waiting"] is None and body["by_method"] == {}
    assert set(body["by_status"]) >= {"SUBMITTED", "UNMATCHED", "CANCELLED"} and not any(body["by_status"].values())


async def test_queue_counts(booking):
    supplier = booking.auth()
    first = (await booking.submit(supplier))[1]
    await booking.submit(supplier, method_code="ISO6270-2-CH-240", ship_from_region="RU-MOW")
    cancelled = (await booking.submit(supplier, ship_from_region="RU-MOW"))[1]
    assert (await booking.client.post(f"/v1/requests/{cancelled['id']}/cancel", headers=supplier)).status == 200

    response = await booking.client.get("/v1/queue", headers=booking.auth("admin"))
    body = await response.json()
    assert response.status == 200 and body["total"] == 3
    assert body["by_status"]["SUBMITTED"] == 2 and body["by_status"]["CANCELLED"] == 1
    assert body["by_method"] == {"ISO9227-NSS-96": 1, "ISO6270-2-CH-240": 1}  # waiting ones only
    assert body["by_region"] == {"RU-SAM": 1, "RU-MOW": 1}
    assert body["oldest_waiting"]["id"] == first["id"] and body["oldest_waiting"]["status"] == "SUBMITTED"
    assert datetime.fromisoformat(body["oldest_waiting"]["since"]) <= datetime.now(timezone.utc)


async def unmatched(booking, producer, reason: str, **overrides) -> dict:
    request, headers = await created(booking, **overrides)
    await publish(producer, request, status_event(request, 2, "MATCHING", "SUBMITTED"),
                  status_event(request, 3, "UNMATCHED", "MATCHING", reason=reason))
    await until(getter(booking, request, headers), lambda b: b["status"] == "UNMATCHED")
    return request


async def test_unmet_demand_groups_by_method_region_and_reason(booking, producer):
    await unmatched(booking, producer, "no_accredited_lab")
    await unmatched(booking, producer, "no_accredited_lab")
    await unmatched(booking, producer, "no_capacity_before_deadline")
    await unmatched(booking, producer, "no_accredited_lab", ship_from_region="RU-TA")
    rematched, headers = await created(booking)  # unmatched, then matched again: not unmet any more
    sent = await publish(producer, rematched, status_event(rematched, 2, "MATCHING", "SUBMITTED"),
                         status_event(rematched, 3, "UNMATCHED", "MATCHING", reason="no_accredited_lab"),
                         status_event(rematched, 4, "MATCHING", "UNMATCHED"))
    await consumed(booking, sent)

    response = await booking.client.get("/v1/unmet-demand", headers=booking.auth("staff"))
    body = await response.json()
    assert response.status == 200 and body["total"] == 4
    groups = {(i["method_code"], i["region"], i["reason"]): i for i in body["items"]}
    assert {k: v["count"] for k, v in groups.items()} == {
        ("ISO9227-NSS-96", "RU-SAM", "no_accredited_lab"): 2,
        ("ISO9227-NSS-96", "RU-SAM", "no_capacity_before_deadline"): 1,
        ("ISO9227-NSS-96", "RU-TA", "no_accredited_lab"): 1,
    }
    assert body["items"][0]["count"] == 2  # biggest group first
    assert all(0 <= i["oldest_age_hours"] < 1 for i in body["items"])
