"""GET /openapi.json is a structurally valid OpenAPI 3.1 document of every route; /docs and /docs/events render it offline."""
from __future__ import annotations

import pytest
import jsonschema_rs

from tests.support.openapi import assert_docs_pages_served_offline, checked_spec

pytestmark = pytest.mark.integration


@pytest.fixture
async def spec(labs) -> dict:
    spec, documented = await checked_spec(labs, frozenset({"/v1/methods"}))  # public reference data
    assert ("post", "/v1/labs") in documented and ("post", "/v1/jobs/{request_id}/events") in documented
    assert ("get", "/v1/methods") in documented
    return spec


async def test_every_route_is_documented_with_valid_schemas(spec):
    assert spec["components"]["schemas"]["LabView"]


async def test_every_operation_has_its_models(spec):
    """Each body, query and answer is a documented pydantic model, and errors are ErrorBody."""
    error = {"$ref": "#/components/schemas/ErrorBody"}
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            success = [code for code in op["responses"] if code.startswith("2")]
            assert len(success) == 1, (method, path)
            schema = op["responses"][success[0]]["content"]["application/json"]["schema"]
            assert schema["$ref"].startswith("#/components/schemas/"), (method, path)
            for code, response in op["responses"].items():
                if not code.startswith("2"):
                    assert response["content"]["application/json"]["schema"] == error
            if method in {"post", "put", "patch"} and not path.endswith("/heartbeat"):
                body = op["requestBody"]["content"]["application/json"]["schema"]
                assert body["$ref"].startswith("#/components/schemas/"), (method, path)
                assert "422" in op["responses"] and "400" in op["responses"]
    queries = {p["name"] for p in spec["paths"]["/v1/offers"]["get"]["parameters"] if p["in"] == "query"}
    assert queries == {"limit", "cursor", "status", "job"}


async def test_documented_answers_match_real_ones(labs, spec):
    """A registered lab's answer validates against the documented LabView."""
    lab = await labs.register()
    view = dict(spec["components"]["schemas"]["LabView"], components=spec["components"])
    validator = jsonschema_rs.validator_for(view)
    validator.validate(lab)
    _, page = await labs.call("GET", "/v1/labs", labs.auth("staff"))
    jsonschema_rs.validator_for(dict(spec["components"]["schemas"]["LabPage"],
                                     components=spec["components"])).validate(page)


async def test_docs_pages_are_served_offline(labs):
    await assert_docs_pages_served_offline(labs.client)


async def test_bad_input_is_refused_not_a_500(labs):
    """Inputs the schemathesis run found or could find: NUL in text, ids and cursors no lab or offer has."""
    import base64
    import uuid

    from .conftest import lab_body

    def cursor(at: str, key: str) -> str:
        return base64.urlsafe_b64encode(f"{at}|{key}".encode()).decode().rstrip("=")

    lab = await labs.register()
    staff, me = labs.auth("staff"), labs.auth("lab", lab["id"])
    probes = [
        ("POST", "/v1/labs", staff, lab_body(name="Test\x00Centre"), 422),
        ("PATCH", f"/v1/labs/{lab['id']}", staff, {"city": "Togliatti\x00"}, 422),
        ("PATCH", f"/v1/labs/{lab['id']}", staff, {"name\x00": "x"}, 422),
        ("GET", "/v1/labs/a%00b", staff, None, 404),
        ("PATCH", "/v1/labs/a%00b", staff, {"name": "x"}, 404),
        ("PUT", "/v1/labs/a%00b/capacity", staff, {"items": []}, 404),
        ("POST", "/v1/labs/a%00b/heartbeat", labs.auth("lab", "a\x00b"), None, 404),
        ("GET", f"/v1/labs?cursor={cursor('2020-01-01T00:00:00+00:00', 'a' + chr(0))}", staff, None, 400),
        ("GET", f"/v1/offers?cursor={cursor('2020-01-01T00:00:00+00:00', 'not-a-uuid')}", staff, None, 400),
        ("GET", f"/v1/offers?cursor={cursor('0001-01-01T00:00:00+14:00', str(uuid.uuid4()))}", staff, None, 400),
        ("GET", f"/v1/labs?cursor={cursor('2020-01-01T00:00:00+00:00', lab['id'])}", staff, None, 200),
        ("GET", f"/v1/offers?cursor={cursor('2020-01-01T00:00:00+00:00', str(uuid.uuid4()))}", staff, None, 200),
    ]
    for method, path, headers, body, wanted in probes:
        response = await labs.client.request(method, path, json=body, headers=headers)
        assert response.status == wanted, (method, path, body, await response.text())
    _, unchanged = await labs.call("GET", f"/v1/labs/{lab['id']}", me)
    assert unchanged["city"] == lab["city"]
