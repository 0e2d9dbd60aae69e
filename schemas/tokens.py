"""Bearer tokens: signed claims naming one organisation and one role.

`lb1.<claims>.<signature>`: base64url JSON claims (`org`, `role`, `jti`, `iat`)
and an HMAC-SHA256 over them with the deployment's token secret. Services verify
without a database; revocation is a list of `jti`s (see the booking issue).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .values import Role

PREFIX = "lb1"


class Principal(BaseModel):
    model_config = ConfigDict(frozen=True)

    org: str = Field(min_length=1, max_length=100)
    role: Role
    jti: str
    iat: int


class InvalidToken(ValueError):
    pass


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: str, body: str) -> str:
    return _b64(hmac.new(secret.encode(), f"{PREFIX}.{body}".encode(), hashlib.sha256).digest())


def issue(secret: str, *, org: str, role: Role | str) -> str:
    principal = Principal(org=org, role=Role(role), jti=uuid.uuid4().hex, iat=int(time.time()))
    body = _b64(principal.model_dump_json().encode())
    return f"{PREFIX}.{body}.{_sign(secret, body)}"


def verify(secret: str, token: str) -> Principal:
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != PREFIX:
        raise InvalidToken("malformed token")
    body, signature = parts[1], parts[2]
    if not hmac.compare_digest(signature, _sign(secret, body)):
        raise InvalidToken("bad signature")
    try:
        return Principal.model_validate(json.loads(_unb64(body)))
    except (ValueError, ValidationError) as exc:
        raise InvalidToken("malformed claims") from exc
