"""Bearer-token authentication and role checks for every labbook API.

A route's declared roles are checked with `principal` and `require_role` before its
view runs (services/common/openapi.py, `ApiSpec.route`), so a caller who may not
use a route is refused whatever it sent (DESIGN.md, "Security").

Tokens are JWTs verified without a database (schemas/tokens.py). Revoked token ids
come from the `labbook.revocations.v1` topic, which every API process follows
(services/common/revocations.py: `revocations_ctx` must be in the app's cleanup_ctx).
"""
from __future__ import annotations

from aiohttp import web

from schemas.tokens import ExpiredToken, InvalidToken, OldFormatToken, Principal, verify
from schemas.values import Role

from .errors import ApiError
from .revocations import REVOCATIONS
from .settings import SETTINGS

SCHEME = "bearer"


def principal(request: web.Request) -> Principal:
    """The verified caller, or a 401 in the standard error shape."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != SCHEME or not token.strip():
        raise ApiError(401, "unauthorized", "missing bearer token (Authorization: Bearer <token>)")
    try:
        who = verify(request.app[SETTINGS].secret(), token.strip())
    except ExpiredToken as exc:
        when = exc.expired_at.isoformat()
        raise ApiError(401, "unauthorized", f"this bearer token expired at {when}; issue a new one with "
                       "`labbook token issue`", {"expired_at": when}) from None
    except OldFormatToken as exc:
        raise ApiError(401, "unauthorized", str(exc)) from None
    except InvalidToken:
        # The reason (bad signature, malformed) would only help someone forging tokens.
        raise ApiError(401, "unauthorized", "invalid bearer token") from None
    revoked = request.app[REVOCATIONS]
    if not revoked.loaded.is_set():  # fail closed: a revoked token must never slip through
        raise ApiError(503, "revocations_unavailable",
                       "the list of revoked tokens has not loaded yet; retry in a few seconds")
    if who.jti in revoked:
        raise ApiError(401, "unauthorized", "this bearer token has been revoked")
    return who


def require_role(who: Principal, *roles: Role) -> Principal:
    """Refuse other roles with 404, not 403, so the route's ids never leak."""
    if who.role not in roles:
        raise ApiError(404, "not_found", "not found")
    return who
