"""Who sees what: suppliers only their own organisation's requests, staff all,
and every other caller a 404 (or 401 without a valid token) so ids never leak."""
import pytest

from .conftest import new_org

CALLERS = {
    "owner": 200, "other_supplier": 404, "lab": 404, "staff": 200,
    "admin": 200, "no_token": 401, "bad_token": 401,
}


def headers_for(api, caller, owner_org):
    if caller == "no_token":
        return {}
    if caller == "bad_token":
        return {"Authorization": "Bearer " + api.auth("staff")["Authorization"].split()[1][:-2] + "xx"}
    role = {"owner": "supplier", "other_supplier": "supplier"}.get(caller, caller)
    org = owner_org if caller == "owner" else new_org()
    return api.auth(role, org)


@pytest.fixture
async def owned(booking):
    org = new_org()
    status, created = await booking.submit(booking.auth("supplier", org))
    assert status == 201
    return org, created["id"]


@pytest.mark.parametrize(("caller", "expected"), CALLERS.items())
async def test_get_one(booking, owned, caller, expected):
    org, rid = owned
    response = await booking.client.get(f"/v1/requests/{rid}", headers=headers_for(booking, caller, org))
    assert response.status == expected
    if expected != 200:
        assert set((await response.json())["error"]) == {"code", "message", "details"}


@pytest.mark.parametrize(("caller", "expected"), CALLERS.items())
async def test_list(booking, owned, caller, expected):
    org, rid = owned
    response = await booking.client.get("/v1/requests", headers=headers_for(booking, caller, org))
    expected_list = {"other_supplier": 200}.get(caller, expected)  # a list is allowed, just without it
    assert response.status == expected_list
    if response.status == 200:
        ids = [item["id"] for item in (await response.json())["items"]]
        assert (rid in ids) == (expected == 200)


@pytest.mark.parametrize(("caller", "expected"), CALLERS.items())
async def test_cancel(booking, owned, caller, expected):
    org, rid = owned
    response = await booking.client.post(f"/v1/requests/{rid}/cancel", headers=headers_for(booking, caller, org))
    assert response.status == expected
    status = await booking.pool.fetchval("SELECT status FROM booking.requests WHERE id = $1::uuid", rid)
    assert status == ("CANCELLED" if expected == 200 else "SUBMITTED")


@pytest.mark.parametrize("role", ["lab", "staff", "admin"])
async def test_only_suppliers_submit(booking, role):
    status, body = await booking.submit(booking.auth(role))
    assert status == 404 and body["error"]["code"] == "not_found"


async def test_authorisation_comes_before_the_body(booking):
    response = await booking.client.post("/v1/requests", data=b"{not json", headers=booking.auth("lab"))
    assert response.status == 404
    response = await booking.client.post("/v1/requests", data=b"{not json")
    assert response.status == 401


@pytest.mark.parametrize("rid", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
async def test_unknown_or_malformed_ids_are_404(booking, rid):
    response = await booking.client.get(f"/v1/requests/{rid}", headers=booking.auth("staff"))
    assert response.status == 404
