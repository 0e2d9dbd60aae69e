"""Roles live on the route declaration and are enforced there (services/common/openapi.py).

A route's roles are checked before its view runs and before its body is read: no or
a bad token is 401, any other role 404 (not 403), and the view is never called. Each
API's OpenAPI document prints the same roles as `x-roles`; here every operation of
every API is called with every role, against views replaced by recorders, and the
roles that got through must be the document's. A few routes are also checked against
roles written out by hand.
"""
import inspect
import re

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from schemas.tokens import issue
from schemas.values import STAFF_ROLES, Role
from services.booking import routes as booking_routes
from services.booking import views as booking_views
from services.common.http import errors_middleware
from services.common.openapi import ApiSpec, Operation
from services.common.revocations import REVOCATIONS, RevocationList
from services.common.settings import SETTINGS, ServiceSettings
from services.labs import routes as labs_routes
from services.labs import views as labs_views
from services.notifier import routes as notifier_routes
from services.notifier import views as notifier_views

SECRET = "route-roles-unit-secret-0123456789abcdef"

# Written by hand from DESIGN.md's contract, not read from the code under test.
EXPECTED = {
    "booking": {
        ("POST", "/v1/requests"): ["supplier"],
        ("GET", "/v1/requests/{id}"): ["supplier", "staff", "admin"],
        ("GET", "/v1/queue"): ["staff", "admin"],
        ("GET", "/v1/unmet-demand"): ["staff", "admin"],
        ("GET", "/v1/insight/labs"): ["staff", "admin"],
        ("GET", "/v1/events"): ["supplier", "staff", "admin"],
    },
    "labs": {
        ("POST", "/v1/labs"): ["staff", "admin"],
        ("PATCH", "/v1/labs/{id}"): ["staff", "admin"],
        ("PUT", "/v1/labs/{id}/capacity"): ["lab", "staff", "admin"],
        ("POST", "/v1/labs/{id}/heartbeat"): ["lab"],
        ("POST", "/v1/offers/{id}/accept"): ["lab"],
        ("POST", "/v1/jobs/{request_id}/events"): ["lab"],
        ("GET", "/v1/methods"): [],
    },
    "notifier": {
        ("POST", "/v1/subscriptions"): ["supplier", "lab", "staff", "admin"],
        ("GET", "/v1/deliveries"): ["supplier", "lab", "staff", "admin"],
    },
}
APIS = {"booking": (booking_routes, booking_views), "labs": (labs_routes, labs_views),
        "notifier": (notifier_routes, notifier_views)}


@pytest.fixture
def settings(monkeypatch, tmp_path):
    monkeypatch.setenv("LABBOOK_TOKEN_SECRET", SECRET)
    monkeypatch.setenv("LABBOOK_HOME", str(tmp_path))
    return ServiceSettings()


def bare_app(settings: ServiceSettings) -> web.Application:
    app = web.Application(middlewares=[errors_middleware])  # ApiError -> the JSON error shape
    app[SETTINGS] = settings
    app[REVOCATIONS] = RevocationList()
    app[REVOCATIONS].loaded.set()
    return app


def bearer(role: Role | str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue(SECRET, org='org-1', role=role)}"}


async def started(app: web.Application) -> TestClient:
    client = TestClient(TestServer(app))
    await client.start_server()
    return client


async def test_a_staff_route_answers_404_to_a_supplier_and_never_calls_the_view(settings):
    calls = []

    async def view(request: web.Request, who):
        calls.append(who)
        return web.json_response({"role": who.role})

    app = bare_app(settings)
    ApiSpec("t", "1").route(app, view, Operation(method="POST", path="/v1/things", summary="s",
                                                 roles=STAFF_ROLES))
    client = await started(app)
    try:
        refused = await client.post("/v1/things", data=b"{not json", headers=bearer(Role.SUPPLIER))
        assert refused.status == 404
        assert (await refused.json())["error"]["code"] == "not_found"
        for headers in ({}, {"Authorization": "Bearer not.a.token"}):
            answer = await client.post("/v1/things", data=b"{not json", headers=headers)
            assert answer.status == 401
            assert (await answer.json())["error"]["code"] == "unauthorized"
        assert calls == []
        allowed = await client.post("/v1/things", json={}, headers=bearer(Role.ADMIN))
        assert allowed.status == 200 and await allowed.json() == {"role": "admin"}
        assert [(who.role, who.org) for who in calls] == [(Role.ADMIN, "org-1")]
    finally:
        await client.close()


async def test_a_public_route_needs_no_token_and_its_view_takes_the_request_only(settings):
    async def view(request: web.Request):
        return web.json_response({"ok": True})

    app = bare_app(settings)
    ApiSpec("t", "1").route(app, view, Operation(method="GET", path="/v1/open", summary="s"))
    client = await started(app)
    try:
        assert (await client.get("/v1/open")).status == 200
    finally:
        await client.close()


def test_roles_must_be_the_role_vocabulary_not_strings():
    with pytest.raises(TypeError):
        Operation(method="GET", path="/v1/x", summary="s", roles=("staff",))


def recording_views(monkeypatch, module) -> list:
    """Replace every view of `module` by a recorder of (view name, role or None)."""
    hits = []

    def recorder(name):
        async def view(request, who=None):
            hits.append((name, who.role.value if who else None))
            return web.json_response({})
        return view

    for name, function in inspect.getmembers(module, inspect.iscoroutinefunction):
        if function.__module__ == module.__name__ and not name.startswith("_"):
            monkeypatch.setattr(module, name, recorder(name))
    return hits


@pytest.mark.parametrize("api", sorted(APIS))
async def test_every_route_enforces_exactly_the_roles_its_document_prints(api, settings, monkeypatch):
    routes, views = APIS[api]
    hits = recording_views(monkeypatch, views)
    app = bare_app(settings)
    document = routes.setup_routes(app).build()
    client = await started(app)
    try:
        for path, operations in document["paths"].items():
            url = re.sub(r"{\w+}", "lab-0001", path)
            for method, operation in operations.items():
                declared = operation["x-roles"]
                assert EXPECTED[api].get((method.upper(), path), declared) == declared, (method, path)
                let_in = []
                for role in Role:
                    hits.clear()
                    answer = await client.request(method.upper(), url, headers=bearer(role))
                    if hits:
                        let_in.append(role.value)
                    else:
                        assert answer.status == 404, (method, path, role)
                if declared:
                    assert let_in == declared, (method, path)
                    hits.clear()
                    assert (await client.request(method.upper(), url)).status == 401 and not hits
                else:  # public: anyone, with or without a token
                    assert let_in == [r.value for r in Role]
                    assert (await client.request(method.upper(), url)).status == 200
        documented = {(m.upper(), p) for p, ops in document["paths"].items() for m in ops}
        assert set(EXPECTED[api]) <= documented
    finally:
        await client.close()
