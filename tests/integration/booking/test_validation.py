"""Bad input is answered in the one error shape with 400/413/422, never a 500."""
import io
import json
from datetime import date, timedelta

import pytest

from schemas.catalogue import CATALOGUE
from schemas.booking_api import earliest_deadline

from .conftest import request_body

METHOD = CATALOGUE["ISO9227-NSS-96"]


def assert_error_shape(body, code):
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code, body


@pytest.mark.parametrize(("overrides", "field"), [
    ({"method_code": "NO-SUCH-METHOD"}, "method_code"),
    ({"deadline": (date.today() - timedelta(days=1)).isoformat()}, "deadline"),
    ({"deadline": "not-a-date"}, "deadline"),
    ({"samples": 0}, "samples"),
    ({"samples": 1001}, "samples"),
    ({"ship_from_region": "XX-ZZZ"}, "ship_from_region"),
    ({"colour": "red"}, "colour"),
    ({"notes": "n" * 2001}, "notes"),
    ({"component": {"name": "x"}}, "component"),
])
async def test_invalid_fields_are_422_naming_the_field(booking, overrides, field):
    status, body = await booking.submit(booking.auth(), **overrides)
    assert status == 422
    assert_error_shape(body, "validation_error")
    assert field in {str(e["loc"][0]) for e in body["error"]["details"]}


async def test_too_close_deadline_names_the_earliest_feasible_date(booking):
    earliest = earliest_deadline(METHOD, date.today())
    status, body = await booking.submit(booking.auth(), method_code=METHOD.code,
                                        deadline=(earliest - timedelta(days=1)).isoformat())
    assert status == 422
    assert earliest.isoformat() in " ".join(e["msg"] for e in body["error"]["details"])


@pytest.mark.parametrize("raw", [b"{not json", b"", b"\xff\xfe", b'{"a": 1'])
async def test_malformed_json_is_400(booking, raw):
    response = await booking.client.post("/v1/requests", data=raw, headers=booking.auth())
    assert response.status == 400
    assert_error_shape(await response.json(), "malformed_json")


@pytest.mark.parametrize("raw", [b"[]", b"null", b"42"])
async def test_json_that_is_not_an_object_is_422(booking, raw):
    response = await booking.client.post("/v1/requests", data=raw, headers=booking.auth())
    assert response.status == 422
    assert_error_shape(await response.json(), "validation_error")


async def test_body_over_one_mebibyte_is_413(booking):
    raw = b'{"notes": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    response = await booking.client.post("/v1/requests", data=io.BytesIO(raw), headers=booking.auth())
    assert response.status == 413
    assert_error_shape(await response.json(), "request_entity_too_large")


async def test_no_request_is_stored_for_refused_input(booking):
    await booking.submit(booking.auth(), samples=0)
    assert await booking.pool.fetchval("SELECT count(*) FROM booking.requests") == 0
    assert await booking.pool.fetchval("SELECT count(*) FROM booking.outbox") == 0


@pytest.mark.parametrize("query", ["limit=0", "limit=201", "limit=abc", "status=DONE"])
async def test_bad_list_queries_are_422(booking, query):
    response = await booking.client.get(f"/v1/requests?{query}", headers=booking.auth("staff"))
    assert response.status == 422
    assert_error_shape(await response.json(), "validation_error")


@pytest.mark.parametrize("cursor", ["garbage", "MjAyNnxhYmM", "%%%"])
async def test_bad_cursor_is_400(booking, cursor):
    response = await booking.client.get("/v1/requests", params={"cursor": cursor}, headers=booking.auth("staff"))
    assert response.status == 400
    assert_error_shape(await response.json(), "bad_query")


async def test_unknown_field_in_cancel_body_is_422(booking):
    headers = booking.auth("supplier")
    _, created = await booking.submit(headers)
    response = await booking.client.post(f"/v1/requests/{created['id']}/cancel", json={"why": "x"}, headers=headers)
    assert response.status == 422


async def test_lone_surrogate_escape_is_400_not_500(booking):
    """Found by schemathesis: "\\udb69" is valid JSON but no valid text for PostgreSQL."""
    raw = json.dumps(request_body(notes="\udb69")).encode()  # json.dumps escapes it as \\udb69
    response = await booking.client.post("/v1/requests", data=raw, headers={**booking.auth(),
                                         "Content-Type": "application/json"})
    assert response.status == 400 and (await response.json())["error"]["code"] == "malformed_json"


async def test_nul_character_is_422_not_500(booking):
    """Found by schemathesis: "\\u0000" is valid JSON but PostgreSQL text cannot hold it."""
    body = request_body(component={"name": "Hinge", "part_number": "H-1", "category": "NY\u0000"})
    response = await booking.client.post("/v1/requests", json=body, headers=booking.auth())
    assert response.status == 422 and (await response.json())["error"]["code"] == "validation_error"
