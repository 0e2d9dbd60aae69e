"""Checks every service's /openapi.json and /docs must pass (OpenAPI 3.1)."""
from __future__ import annotations

import re

import jsonschema_rs

UNDOCUMENTED = {"/healthz", "/metrics", "/openapi.json", "/docs", "/asyncapi.json", "/dashboard"}  # pages, not API
METHODS = {"get", "put", "post", "delete", "patch"}


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


def served_and_documented(app, spec: dict) -> tuple[set, set]:
    """(method, path) pairs the app serves and those the spec documents."""
    served = {(r.method.lower(), r.resource.canonical) for r in app.router.routes()
              if r.method.lower() in METHODS and r.resource.canonical not in UNDOCUMENTED}
    documented = {(m, p) for p, ops in spec["paths"].items() for m in ops}
    return served, documented


def assert_refs_and_schemas_valid(spec: dict) -> None:
    found = list(refs(spec))
    assert found and all(resolve(spec, ref) for ref in found)
    for schema in spec["components"]["schemas"].values():
        jsonschema_rs.meta.validate(schema)  # a valid JSON Schema (2020-12, as OpenAPI 3.1 uses)
    assert "ErrorBody" in spec["components"]["schemas"]


def assert_well_formed(spec: dict, public_paths: frozenset[str] = frozenset()) -> None:
    ids = set()
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            assert method in METHODS and op["summary"] and op["responses"]
            assert op["operationId"] not in ids
            ids.add(op["operationId"])
            names = {p["name"] for p in op["parameters"] if p["in"] == "path"}
            assert names == set(re.findall(r"{(\w+)}", path))
            if path in public_paths:
                assert "security" not in op and op["x-roles"] == []
            else:
                assert op["security"] == [{"bearer": []}] and "401" in op["responses"]
            for code, response in op["responses"].items():
                assert re.fullmatch(r"[1-5]\d\d", code) and response["description"]
    bearer = spec["components"]["securitySchemes"]["bearer"]
    assert bearer == {"type": "http", "scheme": "bearer", "description": bearer["description"]}


def assert_docs_list_every_path(page: str, spec: dict) -> None:
    for path in spec["paths"]:
        assert f"<code>{path}</code>" in page
    assert "<a href=/asyncapi.json>" in page  # the Kafka contract, beside the REST one
    assert "<script" not in page and "http" not in page.split("</style>")[0]  # nothing loaded from elsewhere
