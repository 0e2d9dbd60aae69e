"""Bearer tokens: JWTs signed HS256 with the deployment secret."""
import base64
import hashlib
import hmac
import json
import time
from datetime import datetime, timezone

import jwt
import pytest

from schemas.tokens import ExpiredToken, InvalidToken, OldFormatToken, issue, key_id, verify
from schemas.values import Role

SECRET = "unit-test-secret-0123456789abcdef"  # 33 bytes
KID = hashlib.sha256(SECRET.encode()).hexdigest()[:8]


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def hand_made(claims: dict, *, secret: str = SECRET, header: dict | None = None) -> str:
    """A JWT built here byte by byte, so the tests do not trust the code under test to make one."""
    head = b64(header or {"alg": "HS256", "typ": "JWT", "kid": KID})
    body = b64(claims)
    sig = hmac.new(secret.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{base64.urlsafe_b64encode(sig).rstrip(b'=').decode()}"


def claims(**overrides) -> dict:
    now = int(time.time())
    return {"iss": "labbook", "sub": "org-42", "role": "supplier", "jti": "j-1", "iat": now, "exp": now + 600,
            **overrides}


def test_a_hand_made_token_verifies():
    who = verify(SECRET, hand_made(claims()))
    assert (who.org, who.role, who.jti) == ("org-42", Role.SUPPLIER, "j-1")


@pytest.mark.parametrize("role", list(Role))
def test_round_trip_names_org_and_role(role):
    principal = verify(SECRET, issue(SECRET, org="org-42", role=role))
    assert principal.org == "org-42" and principal.role is role


def test_an_issued_token_is_a_standard_jwt_with_kid_and_claims():
    token = issue(SECRET, org="org-42", role="lab", ttl_s=3600,
                  now=datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc))
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT", "kid": KID}
    body = jwt.decode(token, options={"verify_signature": False})
    assert set(body) == {"iss", "sub", "role", "jti", "iat", "exp"}
    assert (body["iss"], body["sub"], body["role"]) == ("labbook", "org-42", "lab")
    assert (body["iat"], body["exp"]) == (1893553445, 1893557045)  # 2030-01-02T03:04:05Z, one hour on
    assert len(body["jti"]) == 32


def test_key_id_is_the_first_8_hex_of_the_secrets_sha256():
    assert key_id("abc") == "ba7816bf"  # SHA-256("abc") = ba7816bf8f01cfea...


@pytest.mark.parametrize("role,days", [("supplier", 90), ("lab", 365), ("staff", 0.5), ("admin", 0.5)])
def test_default_lifetimes_per_role(role, days):
    body = jwt.decode(issue(SECRET, org="o", role=role), options={"verify_signature": False})
    assert body["exp"] - body["iat"] == days * 86_400


def test_each_token_has_its_own_id():
    a, b = (verify(SECRET, issue(SECRET, org="o", role="staff")) for _ in range(2))
    assert a.jti != b.jti


def test_an_expired_token_says_when():
    token = issue(SECRET, org="o", role="supplier", ttl_s=60, now=datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc))
    with pytest.raises(ExpiredToken) as caught:
        verify(SECRET, token)
    assert caught.value.expired_at == datetime(2024, 5, 1, 12, 1, tzinfo=timezone.utc)
    assert "2024-05-01T12:01:00+00:00" in str(caught.value)


def test_expiry_has_a_small_leeway_only():
    now = int(time.time())
    assert verify(SECRET, hand_made(claims(iat=now - 100, exp=now - 10))).org == "org-42"  # within 30 s
    with pytest.raises(ExpiredToken):
        verify(SECRET, hand_made(claims(iat=now - 100, exp=now - 60)))


def test_a_token_issued_in_the_future_is_refused():
    now = int(time.time())
    with pytest.raises(InvalidToken) as caught:
        verify(SECRET, hand_made(claims(iat=now + 3600, exp=now + 7200)))
    assert not isinstance(caught.value, ExpiredToken)


def test_wrong_secret_is_refused():
    other = "another-secret-0123456789abcdefgh"
    with pytest.raises(InvalidToken):
        verify(SECRET, hand_made(claims(), secret=other, header={"alg": "HS256", "kid": KID}))


def test_changed_claims_are_refused():
    head, _, sig = hand_made(claims(role="supplier")).split(".")
    with pytest.raises(InvalidToken, match="[Ss]ignature"):
        verify(SECRET, f"{head}.{b64(claims(role='admin'))}.{sig}")


def test_an_unknown_key_id_is_refused():
    with pytest.raises(InvalidToken, match="key id"):
        verify(SECRET, hand_made(claims(), header={"alg": "HS256", "kid": "00000000"}))
    with pytest.raises(InvalidToken, match="key id"):
        verify(SECRET, hand_made(claims(), header={"alg": "HS256"}))


def test_alg_none_is_refused():
    unsigned = f"{b64({'alg': 'none', 'kid': KID})}.{b64(claims())}."
    with pytest.raises(InvalidToken):
        verify(SECRET, unsigned)


@pytest.mark.parametrize("missing", ["iss", "sub", "role", "jti", "iat", "exp"])
def test_every_claim_is_required(missing):
    body = claims()
    del body[missing]
    with pytest.raises(InvalidToken):
        verify(SECRET, hand_made(body))


@pytest.mark.parametrize("bad", [{"iss": "someone-else"}, {"role": "janitor"}, {"sub": ""}])
def test_wrong_claim_values_are_refused(bad):
    with pytest.raises(InvalidToken):
        verify(SECRET, hand_made(claims(**bad)))


def test_old_lb1_tokens_are_refused_with_what_to_do():
    with pytest.raises(OldFormatToken, match="old format; issue a new one with `labbook token issue`"):
        verify(SECRET, "lb1.eyJvcmciOiJvIn0.c2ln")


@pytest.mark.parametrize("token", ["", "abc", "a.b", "a.b.c", "Bearer x.y.z", "..."])
def test_malformed_tokens_are_refused(token):
    with pytest.raises(InvalidToken):
        verify(SECRET, token)


def test_a_short_secret_is_refused():
    with pytest.raises(ValueError, match="at least 32 bytes"):
        issue("s3cret", org="o", role="staff")


@pytest.mark.parametrize("ttl", [0, -5])
def test_ttl_must_be_positive(ttl):
    with pytest.raises(ValueError):
        issue(SECRET, org="o", role="staff", ttl_s=ttl)


def test_unknown_role_cannot_be_issued():
    with pytest.raises(ValueError):
        issue(SECRET, org="o", role="janitor")
