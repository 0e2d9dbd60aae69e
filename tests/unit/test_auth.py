"""principal(): what each kind of refused token is answered, in the one error shape."""
from datetime import datetime, timezone

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from schemas.tokens import issue, verify
from services.common.auth import principal
from services.common.errors import ApiError
from services.common.revocations import REVOCATIONS, RevocationList
from services.common.settings import SETTINGS, ServiceSettings

SECRET = "auth-unit-secret-0123456789abcdef"


@pytest.fixture
def app(monkeypatch, tmp_path):
    monkeypatch.setenv("LABBOOK_TOKEN_SECRET", SECRET)
    monkeypatch.setenv("LABBOOK_HOME", str(tmp_path))
    app = web.Application()
    app[SETTINGS] = ServiceSettings()
    app[REVOCATIONS] = RevocationList()
    app[REVOCATIONS].loaded.set()
    return app


def call(app, token: str | None) -> ApiError | None:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    try:
        principal(make_mocked_request("GET", "/v1/requests", headers=headers, app=app))
    except ApiError as exc:
        return exc
    return None


def test_a_valid_token_passes(app):
    assert call(app, issue(SECRET, org="o", role="supplier")) is None


def test_an_expired_token_is_told_so_and_when(app):
    token = issue(SECRET, org="o", role="staff", ttl_s=3600, now=datetime(2025, 3, 1, 8, 0, tzinfo=timezone.utc))
    error = call(app, token)
    assert (error.status, error.code) == (401, "unauthorized")
    assert error.message == ("this bearer token expired at 2025-03-01T09:00:00+00:00; "
                             "issue a new one with `labbook token issue`")
    assert error.details == {"expired_at": "2025-03-01T09:00:00+00:00"}


def test_an_old_format_token_is_told_to_get_a_new_one(app):
    error = call(app, "lb1.eyJvcmciOiJvIn0.c2ln")
    assert (error.status, error.message) == (
        401, "this token uses the old format; issue a new one with `labbook token issue`")


@pytest.mark.parametrize("token", ["x.y.z", issue("other-secret-0123456789abcdef-xyz", org="o", role="staff")])
def test_other_failures_keep_the_generic_message(app, token):
    error = call(app, token)
    assert (error.status, error.message) == (401, "invalid bearer token")


def test_a_missing_token(app):
    assert call(app, None).message.startswith("missing bearer token")


def test_a_revoked_token(app):
    token = issue(SECRET, org="o", role="supplier")
    app[REVOCATIONS].expiry[verify(SECRET, token).jti] = float("inf")
    error = call(app, token)
    assert (error.status, error.message) == (401, "this bearer token has been revoked")


def test_before_the_revocation_list_loads_every_token_waits(app):
    app[REVOCATIONS] = RevocationList()
    error = call(app, issue(SECRET, org="o", role="supplier"))
    assert (error.status, error.code) == (503, "revocations_unavailable")
