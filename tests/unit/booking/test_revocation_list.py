"""The in-memory list of revoked tokens, fed record by record from labbook.revocations.v1."""
import uuid
from datetime import datetime, timezone

import pytest

from schemas.envelope import Envelope, MessageRejected
from schemas.events import RequestCancelled, TokenRevoked
from services.common.revocations import RevocationList

NOW = datetime(2030, 6, 1, 12, 0, tzinfo=timezone.utc).timestamp()


def record(jti: str, expires_at: datetime | None = None) -> bytes:
    event = TokenRevoked(jti=jti, revoked_at=datetime(2030, 6, 1, tzinfo=timezone.utc), expires_at=expires_at)
    return Envelope.wrap(event, producer="test").to_bytes()


def test_a_revocation_is_listed():
    revoked = RevocationList()
    revoked.apply(b"j1", record("j1", datetime(2030, 9, 1, tzinfo=timezone.utc)), now=NOW)
    revoked.apply(b"j2", record("j2"), now=NOW)  # revoked by jti alone: kept, no expiry known
    assert "j1" in revoked and "j2" in revoked and "j3" not in revoked


def test_a_revocation_of_a_token_already_expired_is_not_kept():
    revoked = RevocationList()
    revoked.apply(b"j1", record("j1", datetime(2030, 6, 1, 11, 0, tzinfo=timezone.utc)), now=NOW)
    assert "j1" not in revoked and revoked.expiry == {}


def test_a_tombstone_forgets_the_entry():
    revoked = RevocationList()
    revoked.apply(b"j1", record("j1"), now=NOW)
    revoked.apply(b"j1", None, now=NOW)
    assert "j1" not in revoked
    revoked.apply(None, None, now=NOW)  # a keyless tombstone names nothing


@pytest.mark.parametrize("value", [b"not json", b"{}"])
def test_garbage_is_rejected_and_changes_nothing(value):
    revoked = RevocationList()
    with pytest.raises(MessageRejected):
        revoked.apply(b"j1", value, now=NOW)
    assert revoked.expiry == {}


def test_another_event_type_is_rejected():
    other = Envelope.wrap(RequestCancelled(request_id=uuid.uuid4(), org_id="o"), producer="test").to_bytes()
    with pytest.raises(MessageRejected, match="only TokenRevoked"):
        RevocationList().apply(b"j1", other, now=NOW)


def test_nothing_is_loaded_before_the_first_catch_up():
    assert not RevocationList().loaded.is_set()
