"""Listing: keyset pages in (created_at, id) order, filters, and tenant scope."""
from .conftest import new_org


async def all_pages(api, headers, **params):
    items, cursor, pages = [], None, 0
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = await api.client.get("/v1/requests", params=query, headers=headers)
        assert response.status == 200
        body = await response.json()
        items += body["items"]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return items, pages


async def test_pages_cover_every_request_once_in_order(booking):
    headers = booking.auth("supplier", new_org())
    ids = [(await booking.submit(headers))[1]["id"] for _ in range(7)]
    items, pages = await all_pages(booking, headers, limit="3")
    assert [i["id"] for i in items] == ids and pages == 3


async def test_exact_page_ends_with_no_cursor(booking):
    headers = booking.auth("supplier", new_org())
    for _ in range(2):
        await booking.submit(headers)
    response = await booking.client.get("/v1/requests", params={"limit": "2"}, headers=headers)
    assert (await response.json())["next_cursor"] is None


async def test_filters_by_status_and_method(booking):
    headers = booking.auth("supplier", new_org())
    _, a = await booking.submit(headers)
    _, b = await booking.submit(headers, method_code="ISO9227-NSS-168")
    await booking.client.post(f"/v1/requests/{a['id']}/cancel", headers=headers)
    cancelled, _ = await all_pages(booking, headers, status="CANCELLED")
    assert [i["id"] for i in cancelled] == [a["id"]]
    by_method, _ = await all_pages(booking, headers, method_code="ISO9227-NSS-168")
    assert [i["id"] for i in by_method] == [b["id"]]


async def test_supplier_sees_own_org_and_staff_sees_all(booking):
    a, b = booking.auth("supplier", new_org()), booking.auth("supplier", new_org())
    mine = {(await booking.submit(a))[1]["id"] for _ in range(2)}
    theirs = {(await booking.submit(b))[1]["id"]}
    seen_by_a, _ = await all_pages(booking, a)
    seen_by_staff, _ = await all_pages(booking, booking.auth("staff"))
    assert {i["id"] for i in seen_by_a} == mine
    assert {i["id"] for i in seen_by_staff} == mine | theirs
