"""Bearer tokens: JWTs (RFC 7519) naming one organisation and one role.

HS256 with the deployment's token secret, so any JWT library verifies one given the
secret. The header's `kid` names the key (a short hash of the secret): a key set (a
rotated secret, or asymmetric keys later) can pick the right one without trying all.
Claims: `iss` ("labbook"), `sub` (the organisation id), `role`, `jti` (the token id
`labbook token revoke` names), `iat` and `exp`, all required. Services verify
without a database; revoked jtis reach them on `labbook.revocations.v1`
(services/common/revocations.py).
"""
from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timezone

import jwt
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .values import Role

ISSUER = "labbook"
ALGORITHM = "HS256"
REQUIRED_CLAIMS = ("iss", "sub", "role", "jti", "iat", "exp")
LEEWAY_S = 30  # replicas' clocks, and the issuer's, may disagree this much
MIN_SECRET_BYTES = 32  # RFC 7518 3.2: an HS256 key is at least as long as the hash
OLD_FORMAT = "lb1."

HOUR_S, DAY_S = 3600, 86_400
# Lifetimes unless `labbook token issue --ttl` says otherwise. Suppliers' tokens live in
# their scripts and integrations: a quarter means a few rotations a year, and a leaked
# one dies within months even if nobody notices. A lab's token is what its agent runs
# with, unattended for months: a year, so it does not stop between accreditation
# rounds. Staff and admin see every supplier's data (competitors): one working day.
DEFAULT_TTL_S: dict[Role, int] = {
    Role.SUPPLIER: 90 * DAY_S,
    Role.LAB: 365 * DAY_S,
    Role.STAFF: 12 * HOUR_S,
    Role.ADMIN: 12 * HOUR_S,
}


class Principal(BaseModel):
    model_config = ConfigDict(frozen=True)

    org: str = Field(min_length=1, max_length=100)
    role: Role
    jti: str = Field(min_length=1)
    iat: int
    exp: int


class InvalidToken(ValueError):
    pass


class ExpiredToken(InvalidToken):
    def __init__(self, expired_at: datetime) -> None:
        super().__init__(f"token expired at {expired_at.isoformat()}")
        self.expired_at = expired_at


class OldFormatToken(InvalidToken):
    def __init__(self) -> None:
        super().__init__("this token uses the old format; issue a new one with `labbook token issue`")


def key_id(secret: str) -> str:
    """A stable short name of the key; a hash, so it says nothing usable about the secret."""
    return hashlib.sha256(secret.encode()).hexdigest()[:8]


def check_secret(secret: str) -> str:
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise ValueError(f"the token secret must be at least {MIN_SECRET_BYTES} bytes (e.g. openssl rand -hex 32)")
    return secret


def issue(secret: str, *, org: str, role: Role | str, ttl_s: int | None = None,
          now: datetime | None = None) -> str:
    role = Role(role)
    ttl_s = DEFAULT_TTL_S[role] if ttl_s is None else ttl_s
    if ttl_s <= 0:
        raise ValueError("a token's ttl must be positive")
    iat = int((now or datetime.now(timezone.utc)).timestamp())
    who = Principal(org=org, role=role, jti=uuid.uuid4().hex, iat=iat, exp=iat + ttl_s)
    claims = {"iss": ISSUER, "sub": who.org, "role": who.role.value, "jti": who.jti, "iat": who.iat, "exp": who.exp}
    return jwt.encode(claims, check_secret(secret), algorithm=ALGORITHM, headers={"kid": key_id(secret)})


def verify(secret: str, token: str) -> Principal:
    """The token's principal; ExpiredToken, OldFormatToken or InvalidToken otherwise."""
    if token.startswith(OLD_FORMAT):
        raise OldFormatToken()
    try:
        if jwt.get_unverified_header(token).get("kid") != key_id(secret):
            raise InvalidToken("unknown key id")
        claims = jwt.decode(token, check_secret(secret), algorithms=[ALGORITHM], issuer=ISSUER,
                            leeway=LEEWAY_S, options={"require": list(REQUIRED_CLAIMS)})
    except jwt.ExpiredSignatureError:
        # Raised only after the signature checked out, so the exp claim can be trusted.
        exp = jwt.decode(token, options={"verify_signature": False})["exp"]
        raise ExpiredToken(datetime.fromtimestamp(exp, timezone.utc)) from None
    except jwt.InvalidTokenError as exc:
        raise InvalidToken(str(exc)) from None
    try:
        return Principal(org=claims["sub"], role=claims["role"], jti=claims["jti"], iat=claims["iat"],
                         exp=claims["exp"])
    except ValidationError as exc:
        raise InvalidToken("malformed claims") from exc
