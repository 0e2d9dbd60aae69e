"""OpenAPI 3.1 for any labbook service, generated from its pydantic models.

Each route is registered once, with its handler and its documentation
(`ApiSpec.route`), so the URL map and the document cannot drift apart. The roles a
route declares are the ones enforced: `ApiSpec.route` wraps the view so that the
caller is authenticated (401) and any other role answered 404, not 403, before the
view runs or the body is read; the view gets the verified caller as `who`
(DESIGN.md, "Security"). The document prints the same tuple as `x-roles`. Component
schemas come from pydantic (`models_json_schema` with an OpenAPI ref template);
every error answer is `schemas.errors.ErrorBody`. `spec_routes` serves it with
the Kafka contract, /asyncapi.json (asyncapi.py), and their viewers: /docs and
/docs/events (docs_ui.py).
"""
from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from schemas.errors import ErrorBody
from schemas.tokens import Principal
from schemas.values import Role

from .asyncapi import asyncapi_route
from .auth import principal, require_role
from .docs_ui import docs_routes

REF = "#/components/schemas/{model}"
ERROR_TEXT = {400: "bad request", 401: "no, invalid, expired or revoked bearer token", 403: "forbidden",
              404: "not found (or not yours)", 409: "conflict with the current state",
              413: "body too large", 422: "the body or query is not valid"}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]  # a public route's view
CallerHandler = Callable[[web.Request, Principal], Awaitable[web.StreamResponse]]  # (request, who)


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    roles: tuple[Role, ...] = ()  # empty: public, no token needed; else only these roles (enforced)
    request: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    media_type: str = "application/json"  # of the success answer
    errors: tuple[int, ...] = (401, 404)
    headers: dict[str, str] = field(default_factory=dict)  # request header name -> description
    description: str = ""
    tag: str | None = None

    def __post_init__(self) -> None:
        if not all(isinstance(role, Role) for role in self.roles):
            raise TypeError(f"{self.method} {self.path}: roles must be schemas.values.Role, not {self.roles!r}")

    @property
    def operation_id(self) -> str:
        words = re.sub(r"[{}]", "", self.path).strip("/").replace("-", "_").split("/")
        return "_".join([self.method.lower(), *words])


class ApiSpec:
    def __init__(self, title: str, version: str, description: str = "") -> None:
        self.title, self.version, self.description = title, version, description
        self.operations: list[Operation] = []
        self._built: dict | None = None

    def route(self, app: web.Application, handler: Handler | CallerHandler, op: Operation) -> None:
        """Add the route to the app and its documentation to the spec. With `op.roles` the
        handler is called as `handler(request, who)` once `who` holds one of them."""
        app.router.add_route(op.method, op.path, _guarded(handler, op.roles) if op.roles else handler)
        self.operations.append(op)
        self._built = None

    def build(self) -> dict:
        if self._built is None:
            self._built = _build(self)
        return self._built


def _guarded(view: CallerHandler, roles: tuple[Role, ...]) -> Handler:
    """The view behind its route's roles: 401 without a valid token, 404 for other roles."""

    @functools.wraps(view)
    async def handler(request: web.Request) -> web.StreamResponse:
        who = require_role(principal(request), *roles)
        return await view(request, who)

    return handler


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
    roles = [role.value for role in op.roles]
    out: dict = {"operationId": op.operation_id, "summary": op.summary,
                 "description": f"{op.description}\n\nRoles: {', '.join(roles) or 'anyone'}.".strip(),
                 "x-roles": roles,
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
    """GET /openapi.json, GET /asyncapi.json and their viewers under /docs, all public."""

    async def openapi(_: web.Request) -> web.Response:
        return web.json_response(spec.build())

    app.router.add_get("/openapi.json", openapi)
    asyncapi_route(app)
    docs_routes(app, spec.title)
