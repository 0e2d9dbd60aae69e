"""Bearer-token authentication and role checks for every labbook API.

A route's declared roles are checked with `principal` and `require_role` before its
view runs (services/common/openapi.py, `ApiSpec.route`), so a caller who may not
use a route is refused whatever it sent (DESIGN.md, "Security").

Tokens are JWTs verified without a database (schemas/tokens.py). Revoked token ids
come from the `labbook.revocations.v1` topic, which every API process follows
(services/common/revocations.py: `revocations_ctx` must be in the app's cleanup_ctx).

An app that sets SESSION_COOKIE (the booking API: the staff dashboard's sign-in,
services/booking/session.py) also takes the token from that HttpOnly cookie, for
GET and HEAD only: nothing a cookie alone can send changes anything, so a forged
cross-site request has nothing to gain (the cookie is SameSite=Strict as well).
"""
from __future__ import annotations

from aiohttp import web

from schemas.tokens import ExpiredToken, InvalidToken, OldFormatToken, Principal, verify
from schemas.values import Role

from .errors import ApiError
from .revocations import REVOCATIONS
from .settings import SETTINGS

SCHEME = "bearer"
SESSION_COOKIE = web.AppKey("session_cookie", str)  # the cookie's name, where an app signs people in
SAFE_METHODS = frozenset({"GET", "HEAD"})


def principal(request: web.Request) -> Principal:
    """The verified caller, or a 401 in the standard error shape."""
    return verified(request.app, _token_of(request))


def _token_of(request: web.Request) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == SCHEME and token.strip():
        return token.strip()
    cookie = request.app.get(SESSION_COOKIE)
    if not header and cookie and request.method in SAFE_METHODS and request.cookies.get(cookie):
        return request.cookies[cookie]
    raise ApiError(401, "unauthorized", "missing bearer token (Authorization: Bearer <token>)")


def verified(app: web.Application, token: str) -> Principal:
    """The token's caller if it is valid, current and not revoked; else a 401 (503 while
    the revocations are still loading)."""
    try:
        who = verify(app[SETTINGS].secret(), token)
    except ExpiredToken as exc:
        when = exc.expired_at.isoformat()
        raise ApiError(401, "unauthorized", f"this bearer token expired at {when}; issue a new one with "
                       "`labbook token issue`", {"expired_at": when}) from None
    except OldFormatToken as exc:
        raise ApiError(401, "unauthorized", str(exc)) from None
    except InvalidToken:
        # The reason (bad signature, malformed) would only help someone forging tokens.
        raise ApiError(401, "unauthorized", "invalid bearer token") from None
    revoked = app[REVOCATIONS]
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
