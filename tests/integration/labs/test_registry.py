"""The lab registry: staff register and change labs; every change is a LabProfile."""
import asyncio
import uuid
from datetime import date, timedelta

import pytest

from schemas.topics import CAPACITY, LABS

from .conftest import METHOD, certificate, collect, kafka_tail, lab_body


@pytest.mark.parametrize("change, needle", [
    ({"accreditation": {"certificate_no": "RU.12345", "status": "active", "valid_until": "2099-01-01"}},
     "RA.RU."),
    ({"accreditation": {"certificate_no": "RA.RU.21AB12", "status": "active", "valid_until": "2020-01-01"}},
     "has passed"),
    ({"region_code": "BY-BR"}, "not in Russia"),
    ({"region_code": "RU-XXX"}, "unknown region"),
    ({"scope": [{"method_code": "NO-SUCH-METHOD", "max_samples": 1, "price_rub": 1}]}, "unknown method"),
    ({"inn": "7707083894"}, "check digits"),
    ({"inn": "77070838"}, "10 digits"),
    ({"inn": "500100732258"}, "check digits"),
])
async def test_invalid_registrations_answer_422_with_a_clear_message(labs, change, needle):
    status, body = await labs.call("POST", "/v1/labs", labs.auth("staff"), lab_body(**change))
    assert status == 422, body
    assert body["error"]["code"] == "validation_error"
    assert needle in body["error"]["message"] + str(body["error"]["details"])


async def test_a_twelve_digit_entrepreneur_inn_is_accepted(labs):
    assert (await labs.register(inn="500100732259"))["inn"] == "500100732259"


async def test_a_register_record_belongs_to_one_lab_only(labs):
    first = await labs.register()
    again = lab_body()
    again["accreditation"]["certificate_no"] = first["accreditation"]["certificate_no"]
    status, body = await labs.call("POST", "/v1/labs", labs.auth("staff"), again)
    assert status == 409 and body["error"]["code"] == "duplicate_certificate"


@pytest.mark.parametrize("role", ["supplier", "lab"])
async def test_only_staff_register_and_the_body_is_not_read_first(labs, role):
    status, body = await labs.call("POST", "/v1/labs", labs.auth(role), {"junk": True})
    assert status == 404 and body["error"]["code"] == "not_found"
    status, _ = await labs.call("POST", "/v1/labs", {}, {"junk": True})
    assert status == 401


async def test_admin_registers_and_a_lab_sees_only_itself(labs, settings):
    async with kafka_tail(settings.kafka_bootstrap, LABS) as tail:
        status, lab = await labs.call("POST", "/v1/labs", labs.auth("admin"), lab_body(id=f"lab-{certificate()[6:].lower()}"))
        assert status == 201, lab
        found = await collect(tail, lambda env, ev: getattr(ev, "lab_id", None) == lab["id"], count=1)
    assert found and found[0][1] == lab["id"].encode()
    profile = found[0][3]
    assert profile.accreditation.certificate_no == lab["accreditation"]["certificate_no"]
    assert [s.method_code for s in profile.scope] == [s["method_code"] for s in lab["scope"]]

    status, mine = await labs.call("GET", f"/v1/labs/{lab['id']}", labs.auth("lab", lab["id"]))
    assert status == 200 and mine["id"] == lab["id"]
    other = await labs.register()
    status, _ = await labs.call("GET", f"/v1/labs/{other['id']}", labs.auth("lab", lab["id"]))
    assert status == 404
    status, _ = await labs.call("GET", "/v1/labs", labs.auth("lab", lab["id"]))
    assert status == 404


async def test_staff_list_labs_with_scope_in_cursor_pages(labs):
    made = [await labs.register() for _ in range(3)]
    seen, cursor = [], None
    while True:
        path = "/v1/labs?limit=2" + (f"&cursor={cursor}" if cursor else "")
        status, page = await labs.call("GET", path, labs.auth("staff"))
        assert status == 200, page
        seen += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert [lab["id"] for lab in seen] == [lab["id"] for lab in made]
    assert all(lab["scope"] for lab in seen)
    status, body = await labs.call("GET", "/v1/labs?cursor=garbage", labs.auth("staff"))
    assert status == 400 and body["error"]["code"] == "bad_query"


async def test_patch_publishes_the_new_profile_and_validates(labs, settings):
    lab = await labs.register()
    path = f"/v1/labs/{lab['id']}"
    async with kafka_tail(settings.kafka_bootstrap, LABS, CAPACITY) as tail:
        status, body = await labs.call("PATCH", path, labs.auth("staff"),
                                       {"city": "Samara", "scope": [{"method_code": METHOD, "max_samples": 5,
                                                                     "price_rub": 1}]})
        assert status == 200, body
        # The registration's own profile may still be on its way: wait for the patched one.
        found = await collect(tail, lambda env, ev: getattr(ev, "lab_id", None) == lab["id"]
                              and getattr(ev, "city", None) == "Samara", count=1)
    assert found and len(found[0][3].scope) == 1

    expired = {"accreditation": {"valid_until": (date.today() - timedelta(days=1)).isoformat()}}
    status, body = await labs.call("PATCH", path, labs.auth("staff"), expired)
    assert status == 422 and "has passed" in body["error"]["message"]
    status, _ = await labs.call("PATCH", path, labs.auth("lab", lab["id"]), {"city": "Moscow"})
    assert status == 404
    status, _ = await labs.call("PATCH", "/v1/labs/lab-nope", labs.auth("staff"), {"city": "Moscow"})
    assert status == 404


async def test_methods_are_public_whole_and_filterable(labs):
    status, body = await labs.call("GET", "/v1/methods", {})
    assert status == 200 and body["next_cursor"] is None and len(body["items"]) > 20
    assert {"code", "standard", "title_ru", "title_en", "categories"} <= set(body["items"][0])
    status, body = await labs.call("GET", "/v1/methods?standard=9227", {})
    assert body["items"] and all("9227" in m["standard"] for m in body["items"])
    status, body = await labs.call("GET", "/v1/methods?category=tyres", {})
    assert body["items"] and all("tyres" in m["categories"] for m in body["items"])


def keyed(labs, key: str, org: str = "org-cluster-staff") -> dict:
    return {**labs.auth("staff", org), "Idempotency-Key": key}  # keys belong to one organisation


async def test_a_retried_registration_with_its_key_answers_the_first_response(labs):
    body, key = lab_body(), uuid.uuid4().hex
    first = await labs.call("POST", "/v1/labs", keyed(labs, key), body)
    again = await labs.call("POST", "/v1/labs", keyed(labs, key), body)
    assert first[0] == again[0] == 201 and again[1] == first[1]
    lab_id = first[1]["id"]
    assert await labs.pool.fetchval("SELECT count(*) FROM labs.labs WHERE id = $1", lab_id) == 1
    assert await labs.pool.fetchval("SELECT count(*) FROM labs.outbox WHERE key = $1 AND topic = $2",
                                    lab_id, LABS.name) == 1
    # Without the key the same body is a second registration of one register record.
    status, answer = await labs.call("POST", "/v1/labs", labs.auth("staff"), body)
    assert status == 409 and answer["error"]["code"] == "duplicate_certificate"


async def test_a_key_reused_with_another_body_is_422(labs):
    key = uuid.uuid4().hex
    assert (await labs.call("POST", "/v1/labs", keyed(labs, key), lab_body()))[0] == 201
    status, answer = await labs.call("POST", "/v1/labs", keyed(labs, key), lab_body())
    assert status == 422 and answer["error"]["code"] == "idempotency_key_reused"


async def test_concurrent_identical_registrations_with_one_key_register_one_lab(labs):
    body, key = lab_body(), uuid.uuid4().hex
    answers = await asyncio.gather(*(labs.call("POST", "/v1/labs", keyed(labs, key), body) for _ in range(8)))
    assert {status for status, _ in answers} == {201}, answers
    assert len({answer["id"] for _, answer in answers}) == 1
    assert await labs.pool.fetchval("SELECT count(*) FROM labs.labs WHERE certificate_no = $1",
                                    body["accreditation"]["certificate_no"]) == 1
