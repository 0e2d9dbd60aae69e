"""A delivery's id is derived from its event, subscription and kind: the batch helper
ingest uses must give exactly the ids derived_id gives (a redelivered event, or one
applied by an older version, must find its rows)."""
import uuid

import pytest
from asyncpg.pgproto.pgproto import UUID as PgUUID

from schemas.notifications import Kind
from services.notifier.ingest import NAMESPACE, delivery_ids, derived_id


@pytest.mark.parametrize("kind", list(Kind))
def test_delivery_ids_are_the_derived_ids(kind):
    event_id = uuid.uuid4()
    subscriptions = [uuid.uuid4() for _ in range(5)] + [PgUUID(str(uuid.uuid4()))]  # as asyncpg returns them
    assert delivery_ids(event_id, subscriptions, kind) == [derived_id(event_id, s, kind) for s in subscriptions]


def test_the_derivation_is_uuid5_of_the_parts():
    event_id, sub = uuid.UUID(int=1), uuid.UUID(int=2)
    expected = uuid.uuid5(NAMESPACE, f"{event_id}:{sub}:request.submitted")
    assert delivery_ids(event_id, [sub], Kind.REQUEST_SUBMITTED) == [expected] == [
        derived_id(event_id, sub, Kind.REQUEST_SUBMITTED)]
    assert delivery_ids(event_id, [], Kind.REQUEST_SUBMITTED) == []
