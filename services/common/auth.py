"""Bearer-token authentication and role checks for every labbook API.

Views call `principal(request)` first thing, before reading the body, so a caller
who may not use a route is refused whatever it sent (DESIGN.md, "Security").
"""
from __future__ import annotations

from aiohttp import web

from schemas.tokens import InvalidToken, Principal, verify
from schemas.values import Role

from .http import SETTINGS, ApiError

SCHEME = "bearer"


def principal(request: web.Request) -> Principal:
    """The verified caller, or a 401 in the standard error shape."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != SCHEME or not token.strip():
        raise ApiError(401, "unauthorized", "missing bearer token (Authorization: Bearer <token>)")
    try:
        return verify(request.app[SETTINGS].secret(), token.strip())
    except InvalidToken:
        # The reason (bad signature, malformed) would only help someone forging tokens.
        raise ApiError(401, "unauthorized", "invalid bearer token") from None


def require_role(who: Principal, *roles: Role) -> Principal:
    """Refuse other roles with 404, not 403, so the route's ids never leak."""
    if who.role not in roles:
        raise ApiError(404, "not_found", "not found")
    return who
