"""Checks every service's /openapi.json (OpenAPI 3.1) and its viewers under /docs must pass."""
from __future__ import annotations

import re

import jsonschema_rs

UNDOCUMENTED = {"/healthz", "/metrics", "/openapi.json", "/asyncapi.json", "/dashboard",  # pages, not API
                "/dashboard/login", "/dashboard/logout",  # the dashboard's sign-in forms
                "/dashboard/localisation",  # the localisation case to print
                "/docs", "/docs/events", "/docs/assets"}
METHODS = {"get", "put", "post", "delete", "patch"}
LINK = re.compile(r'(?:src|href)="([^"]*)"')
ASSET_TYPES = {"js": {"application/javascript", "text/javascript"}, "css": {"text/css"}}


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


async def checked_spec(service, public_paths: frozenset[str] = frozenset()) -> tuple[dict, set]:
    """The service's /openapi.json, checked: OpenAPI 3.1, every route documented, refs resolve, operations well formed.

    Returns the spec and the documented (method, path) pairs for the service's own checks."""
    response = await service.client.get("/openapi.json")  # public: no token
    assert response.status == 200
    spec = await response.json()
    assert spec["openapi"] == "3.1.0" and spec["info"]["title"] and spec["info"]["version"]
    served, documented = served_and_documented(service.app, spec)
    assert served == documented
    assert_refs_and_schemas_valid(spec)
    assert_well_formed(spec, public_paths)
    return spec, documented


async def assert_docs_pages_served_offline(client) -> None:
    """/docs and /docs/events: HTML under a same-origin CSP whose every asset the service serves itself."""
    for page, other in (("/docs", "/docs/events"), ("/docs/events", "/docs")):
        response = await client.get(page)
        assert response.status == 200 and response.content_type == "text/html"
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "script-src 'self'" in csp and "style-src 'self';" in csp
        text = await response.text()
        links = LINK.findall(text)
        assert "<script>" not in text and "<style" not in text and "url(" not in text  # nothing inline
        assert all(url.startswith("/") and not url.startswith("//") for url in links), links
        assert other in links and "/openapi.json" in links and "/asyncapi.json" in links
        assets = [url for url in links if url.startswith("/docs/assets/")]
        assert len(assets) == 4, assets  # the viewer's script and styles, ours
        for url in assets:
            answer = await client.get(url)
            assert answer.status == 200, url
            assert answer.content_type in ASSET_TYPES[url.rsplit(".", 1)[1]], (url, answer.content_type)
            assert len(await answer.read()) > 100
