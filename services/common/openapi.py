"""OpenAPI 3.1 for any labbook service, generated from its pydantic models.

Each route is registered once, with its handler and its documentation
(`ApiSpec.route`), so the URL map and the document cannot drift apart. Component
schemas come from pydantic (`models_json_schema` with an OpenAPI ref template);
every error answer is `schemas.errors.ErrorBody`. `/docs` renders the same
document as plain server-side HTML (no CDN, no JavaScript) and links the Kafka
contract, /asyncapi.json (asyncapi.py), which `spec_routes` serves too.
"""
from __future__ import annotations

import html
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from schemas.errors import ErrorBody

from .asyncapi import PATH as ASYNCAPI_PATH, asyncapi_route

REF = "#/components/schemas/{model}"
ERROR_TEXT = {400: "bad request", 401: "no, invalid, expired or revoked bearer token", 403: "forbidden",
              404: "not found (or not yours)", 409: "conflict with the current state",
              413: "body too large", 422: "the body or query is not valid"}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    roles: tuple[str, ...] = ()  # empty: no token needed
    request: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    media_type: str = "application/json"  # of the success answer
    errors: tuple[int, ...] = (401, 404)
    headers: dict[str, str] = field(default_factory=dict)  # request header name -> description
    description: str = ""
    tag: str | None = None

    @property
    def operation_id(self) -> str:
        words = re.sub(r"[{}]", "", self.path).strip("/").replace("-", "_").split("/")
        return "_".join([self.method.lower(), *words])


class ApiSpec:
    def __init__(self, title: str, version: str, description: str = "") -> None:
        self.title, self.version, self.description = title, version, description
        self.operations: list[Operation] = []
        self._built: dict | None = None

    def route(self, app: web.Application, handler: Handler, op: Operation) -> None:
        """Add the route to the app and its documentation to the spec."""
        app.router.add_route(op.method, op.path, handler)
        self.operations.append(op)
        self._built = None

    def build(self) -> dict:
        if self._built is None:
            self._built = _build(self)
        return self._built


def _build(spec: ApiSpec) -> dict:
    wanted = [(ErrorBody, "serialization")]
    for op in spec.operations:
        wanted += [(m, "validation") for m in (op.request, op.query) if m]
        wanted += [(op.response, "serialization")] if op.response else []
    refs, top = models_json_schema(list(dict.fromkeys(wanted)), ref_template=REF)
    schemas = top.get("$defs", {})
    error_ref = refs[(ErrorBody, "serialization")]
    paths: dict[str, dict] = {}
    for op in spec.operations:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, refs, schemas, error_ref)
    return {
        "openapi": "3.1.0",
        "info": {"title": spec.title, "version": spec.version, "description": spec.description},
        "paths": paths,
        "components": {"schemas": schemas,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                                      "description": "`labbook token issue --role ROLE --org ORG`"}}},
    }


def _operation(op: Operation, refs: dict, schemas: dict, error_ref: dict) -> dict:
    roles = ", ".join(op.roles) if op.roles else "anyone"
    out: dict = {"operationId": op.operation_id, "summary": op.summary,
                 "description": f"{op.description}\n\nRoles: {roles}.".strip(), "x-roles": list(op.roles),
                 "parameters": _parameters(op, refs, schemas), "responses": {}}
    if op.tag:
        out["tags"] = [op.tag]
    if op.roles:
        out["security"] = [{"bearer": []}]
    if op.request:
        out["requestBody"] = {"required": True,
                              "content": {"application/json": {"schema": refs[(op.request, "validation")]}}}
    if op.response:
        body = {"schema": refs[(op.response, "serialization")]}
    else:
        body = {"schema": {"type": "string"}}
    out["responses"][str(op.status)] = {"description": "success", "content": {op.media_type: body}}
    errors = set(op.errors) | ({401} if op.roles else set()) | ({422} if op.request or op.query else set())
    for code in sorted(errors):
        out["responses"][str(code)] = {"description": ERROR_TEXT.get(code, "error"),
                                       "content": {"application/json": {"schema": error_ref}}}
    return out


def _parameters(op: Operation, refs: dict, schemas: dict) -> list[dict]:
    params = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
              for name in re.findall(r"{(\w+)}", op.path)]
    params += [{"name": name, "in": "header", "required": False, "description": text,
                "schema": {"type": "string", "minLength": 1, "maxLength": 200}} for name, text in op.headers.items()]
    if op.query:
        model = schemas[refs[(op.query, "validation")]["$ref"].rsplit("/", 1)[1]]
        required = set(model.get("required", []))
        params += [{"name": name, "in": "query", "required": name in required, "schema": schema}
                   for name, schema in model.get("properties", {}).items()]
    return params


def spec_routes(app: web.Application, spec: ApiSpec) -> None:
    """GET /openapi.json, GET /docs and GET /asyncapi.json, all public."""

    async def openapi(_: web.Request) -> web.Response:
        return web.json_response(spec.build())

    async def docs(_: web.Request) -> web.Response:
        return web.Response(text=render_docs(spec.build()), content_type="text/html")

    app.router.add_get("/openapi.json", openapi)
    app.router.add_get("/docs", docs)
    asyncapi_route(app)


def render_docs(doc: dict) -> str:
    """A readable HTML page of an OpenAPI document: every operation, then every schema."""
    e = html.escape
    parts = [f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{e(doc['info']['title'])}</title>",
             f"<style>{CSS}</style></head><body><h1>{e(doc['info']['title'])} <small>{e(doc['info']['version'])}"
             f"</small></h1><p>{e(doc['info'].get('description', ''))}</p><p>Machine-readable: "
             "<a href=/openapi.json>/openapi.json</a> (OpenAPI 3.1); the Kafka messages: "
             f"<a href={ASYNCAPI_PATH}>{ASYNCAPI_PATH}</a> (AsyncAPI 3.0)</p><h2>Operations</h2>"]
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            parts.append(_render_operation(path, method, op))
    parts.append("<h2>Schemas</h2>")
    for name, schema in doc["components"]["schemas"].items():
        parts.append(f"<section id='schema-{e(name)}'><h3>{e(name)}</h3>"
                     f"<pre>{e(json.dumps(schema, indent=2, ensure_ascii=False))}</pre></section>")
    return "".join(parts) + "</body></html>"


def _render_operation(path: str, method: str, op: dict) -> str:
    e = html.escape
    rows = "".join(f"<tr><td>{e(p['name'])}</td><td>{e(p['in'])}</td><td>{'yes' if p.get('required') else 'no'}"
                   f"</td><td><code>{e(json.dumps(p['schema']))}</code></td></tr>" for p in op["parameters"])
    params = f"<table><tr><th>name</th><th>in</th><th>required</th><th>schema</th></tr>{rows}</table>" if rows else ""
    body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    request = f"<p>Body: {_schema_link(body)}</p>" if body else ""
    answers = "".join(f"<li><b>{e(code)}</b> {e(r['description'])} {_answer(r)}</li>"
                      for code, r in op["responses"].items())
    return (f"<section class=op><h3><span class=m>{e(method.upper())}</span> <code>{e(path)}</code></h3>"
            f"<p>{e(op['summary'])}</p><p class=roles>{e(op['description'])}</p>{params}{request}"
            f"<ul>{answers}</ul></section>")


def _answer(response: dict) -> str:
    return " ".join(f"<code>{html.escape(media)}</code> {_schema_link(c.get('schema', {}))}"
                    for media, c in response.get("content", {}).items())


def _schema_link(schema: dict) -> str:
    ref = schema.get("$ref")
    if not ref:
        return f"<code>{html.escape(json.dumps(schema))}</code>"
    name = html.escape(ref.rsplit("/", 1)[1])
    return f"<a href='#schema-{name}'>{name}</a>"


CSS = ("body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}"
       "section.op{border:1px solid #ddd;border-radius:6px;padding:.5rem 1rem;margin:1rem 0}"
       ".m{background:#245;color:#fff;padding:.1rem .4rem;border-radius:4px;font-size:.9em}"
       "pre{background:#f6f6f6;padding:.5rem;overflow:auto}table{border-collapse:collapse}"
       "td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:left}.roles{color:#555}")
