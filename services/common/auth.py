"""Bearer-token authentication and role checks for every labbook API.

Views call `principal(request)` first thing, before reading the body, so a caller
who may not use a route is refused whatever it sent (DESIGN.md, "Security").

Revocation: tokens are verified without a database, so the revocation list is a
plain file every process can read, `$LABBOOK_HOME/revoked-tokens`, one token id
(`jti`) per line (`#` starts a comment). `labbook token revoke` appends to it.
Each process re-reads it when its modification time changes, checking at most
once per REVOKED_TTL_S, so a revocation takes effect everywhere within seconds.
Beyond one machine the file is shipped like the token secret (a shared volume or
a config map).
"""
from __future__ import annotations

import os
import time
from pathlib import Path

from aiohttp import web

from schemas.tokens import InvalidToken, Principal, verify
from schemas.values import Role

from .http import SETTINGS, ApiError

SCHEME = "bearer"
REVOKED_FILE = "revoked-tokens"
REVOKED_TTL_S = 1.0


def principal(request: web.Request) -> Principal:
    """The verified caller, or a 401 in the standard error shape."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != SCHEME or not token.strip():
        raise ApiError(401, "unauthorized", "missing bearer token (Authorization: Bearer <token>)")
    settings = request.app[SETTINGS]
    try:
        who = verify(settings.secret(), token.strip())
    except InvalidToken:
        # The reason (bad signature, malformed) would only help someone forging tokens.
        raise ApiError(401, "unauthorized", "invalid bearer token") from None
    if who.jti in revoked(settings.home):
        raise ApiError(401, "unauthorized", "this bearer token has been revoked")
    return who


def require_role(who: Principal, *roles: Role) -> Principal:
    """Refuse other roles with 404, not 403, so the route's ids never leak."""
    if who.role not in roles:
        raise ApiError(404, "not_found", "not found")
    return who


class _Revoked:
    """The file's jtis, re-read when its mtime or size changes, stat'ed at most once per TTL."""

    def __init__(self) -> None:
        self.checked: dict[Path, float] = {}
        self.seen: dict[Path, tuple[int, int] | None] = {}
        self.jtis: dict[Path, frozenset[str]] = {}

    def get(self, path: Path) -> frozenset[str]:
        now = time.monotonic()
        if now - self.checked.get(path, -REVOKED_TTL_S) >= REVOKED_TTL_S:
            self.checked[path] = now
            try:
                stat = os.stat(path)
                stamp = (stat.st_mtime_ns, stat.st_size)
            except FileNotFoundError:
                stamp = None
            if stamp != self.seen.get(path, ()):
                self.seen[path] = stamp
                self.jtis[path] = _read(path) if stamp else frozenset()
        return self.jtis.get(path, frozenset())


def _read(path: Path) -> frozenset[str]:
    try:
        lines = path.read_text().splitlines()
    except FileNotFoundError:
        return frozenset()
    return frozenset(j for line in lines if (j := line.partition("#")[0].strip()))


_cache = _Revoked()


def revoked(home: Path) -> frozenset[str]:
    return _cache.get(home / REVOKED_FILE)


def revoke(home: Path, jti: str, note: str = "") -> Path:
    """Append a jti to the revocation list (one short append: safe alongside readers)."""
    if not jti or any(c.isspace() or c == "#" for c in jti):
        raise ValueError(f"not a token id: {jti!r}")
    home.mkdir(parents=True, exist_ok=True)
    path = home / REVOKED_FILE
    with open(path, "a") as f:
        f.write(f"{jti}  # {note}\n" if note else f"{jti}\n")
    return path
