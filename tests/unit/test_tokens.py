"""Signed bearer tokens."""
import pytest

from schemas.tokens import InvalidToken, issue, verify
from schemas.values import Role

SECRET = "s3cret"


@pytest.mark.parametrize("role", list(Role))
def test_round_trip_names_org_and_role(role):
    principal = verify(SECRET, issue(SECRET, org="org-42", role=role))
    assert principal.org == "org-42" and principal.role is role


def test_each_token_has_its_own_id():
    a, b = (verify(SECRET, issue(SECRET, org="o", role="staff")) for _ in range(2))
    assert a.jti != b.jti


def test_wrong_secret_is_refused():
    with pytest.raises(InvalidToken, match="signature"):
        verify("other", issue(SECRET, org="o", role="supplier"))


def test_changed_claims_are_refused():
    prefix, body, sig = issue(SECRET, org="o", role="supplier").split(".")
    other_body = issue(SECRET, org="o", role="admin").split(".")[1]
    with pytest.raises(InvalidToken):
        verify(SECRET, f"{prefix}.{other_body}.{sig}")


@pytest.mark.parametrize("token", ["", "abc", "lb1.x", "lb2.a.b", "lb1..", "Bearer x.y.z"])
def test_malformed_tokens_are_refused(token):
    with pytest.raises(InvalidToken):
        verify(SECRET, token)


def test_unknown_role_cannot_be_issued():
    with pytest.raises(ValueError):
        issue(SECRET, org="o", role="janitor")
