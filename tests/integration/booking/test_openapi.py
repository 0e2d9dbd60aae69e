"""GET /openapi.json is a structurally valid OpenAPI 3.1 document of every route; /docs renders it."""
from __future__ import annotations

import re

import pytest
import jsonschema_rs

pytestmark = pytest.mark.integration

UNDOCUMENTED = {"/healthz", "/metrics", "/openapi.json", "/docs", "/dashboard"}  # pages, not API
METHODS = {"get", "put", "post", "delete", "patch"}


@pytest.fixture
async def spec(booking) -> dict:
    response = await booking.client.get("/openapi.json")  # public: no token
    assert response.status == 200
    return await response.json()


def refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def resolve(doc: dict, ref: str):
    assert ref.startswith("#/"), ref
    node = doc
    for part in ref[2:].split("/"):
        node = node[part]
    return node


async def test_every_route_is_documented(booking, spec):
    assert spec["openapi"] == "3.1.0" and spec["info"]["title"] and spec["info"]["version"]
    served = {(r.method.lower(), r.resource.canonical) for r in booking.app.router.routes()
              if r.method.lower() in METHODS and r.resource.canonical not in UNDOCUMENTED}
    documented = {(m, p) for p, ops in spec["paths"].items() for m in ops}
    assert served == documented
    assert ("get", "/v1/queue") in documented and ("post", "/v1/requests") in documented


async def test_every_ref_resolves_and_schemas_are_valid(spec):
    found = list(refs(spec))
    assert found and all(resolve(spec, ref) for ref in found)
    for name, schema in spec["components"]["schemas"].items():
        jsonschema_rs.meta.validate(schema)  # a valid JSON Schema (2020-12, as OpenAPI 3.1 uses)
    assert "ErrorBody" in spec["components"]["schemas"]


async def test_operations_are_well_formed(spec):
    ids = set()
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            assert method in METHODS and op["summary"] and op["responses"]
            assert op["operationId"] not in ids
            ids.add(op["operationId"])
            names = {p["name"] for p in op["parameters"] if p["in"] == "path"}
            assert names == set(re.findall(r"{(\w+)}", path))
            assert op["security"] == [{"bearer": []}] and "401" in op["responses"]
            for code, response in op["responses"].items():
                assert re.fullmatch(r"[1-5]\d\d", code) and response["description"]
    assert spec["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer", "description": spec["components"]["securitySchemes"]["bearer"]["description"]}


async def test_docs_page_lists_every_operation(booking, spec):
    response = await booking.client.get("/docs")
    assert response.status == 200 and response.content_type == "text/html"
    page = await response.text()
    for path in spec["paths"]:
        assert f"<code>{path}</code>" in page
    assert "<script" not in page and "http" not in page.split("</style>")[0]  # nothing loaded from elsewhere
