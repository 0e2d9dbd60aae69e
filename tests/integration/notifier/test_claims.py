"""The dispatcher's SQL on a real database: what a claim takes, what it leaves, what it
costs (a claim rewrites no index entry: HOT), and the migration that made it so."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

import asyncpg
import pytest

from services.common.migrations import migrate
from services.notifier import db, dispatch_db as q
from services.notifier.app import MIGRATIONS, SCHEMA

pytestmark = pytest.mark.integration

TARGET = "http://127.0.0.1:9/hook"


@pytest.fixture
async def conn(fresh_db):
    conn = await asyncpg.connect(fresh_db)
    await migrate(conn, SCHEMA, MIGRATIONS)
    yield conn
    await conn.close()


async def subscription(conn) -> uuid.UUID:
    sid = uuid.uuid4()
    await conn.execute("INSERT INTO notifier.subscriptions (id, owner_role, owner_org, channel, target, language)"
                       " VALUES ($1, 'supplier', 'acme', 'webhook', $2, 'en')", sid, TARGET)
    await conn.execute("INSERT INTO notifier.subscription_secrets (subscription_id, secret) VALUES ($1, 'whsec_AAAA')",
                       sid)
    return sid


async def deliveries(conn, sid: uuid.UUID, request_id: uuid.UUID | None, count: int) -> list[uuid.UUID]:
    """`count` deliveries of one subscription (and request), in order, as ingest writes them."""
    events, notices, rows = [], [], []
    for _ in range(count):
        event_id, notice_id, delivery_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        events.append((event_id, json.dumps({"event_id": str(event_id), "occurred_at": "2026-12-01T00:00:00Z"}),
                       json.dumps({"topic": "t", "partition": 0, "offset": 0, "key": None})))
        notices.append((notice_id, "supplier", "acme", "request.submitted", event_id, request_id, "{}"))
        rows.append((delivery_id, sid, "acme", "webhook", TARGET, "request.submitted", event_id, notice_id,
                     request_id, request_id is not None and bool(rows)))
    await db.add_events(conn, events)
    await db.add_notifications(conn, notices)
    await db.add_deliveries(conn, rows)
    return [r[0] for r in rows]


async def claim(conn, free: int = 10, lease_s: float = 60.0) -> list[uuid.UUID]:
    rows = await q.claim(conn, free=free, window=free * 4, held={}, per_target=100, lease_s=lease_s)
    return [r["id"] for r in rows]


async def statuses(conn) -> dict[uuid.UUID, str]:
    return {r["id"]: r["status"] for r in await conn.fetch("SELECT id, status FROM notifier.deliveries")}


def delivered(ids: list[uuid.UUID]) -> list[tuple]:
    now = datetime.now(timezone.utc)
    return [(i, 1, now, 1.0, "delivered", 200, "", None) for i in ids]


async def test_a_claim_takes_due_deliveries_once_and_rewrites_no_index_entry(conn):
    sid = await subscription(conn)
    ids = await deliveries(conn, sid, None, 5)
    async with conn.transaction():
        assert await claim(conn) == ids
        # Every claimed row updated in place on its page (HOT): an index on a column the claim
        # changes (status, attempts, lease) would make each claim write a new entry per index.
        hot = await conn.fetchval("SELECT pg_stat_get_xact_tuples_hot_updated('notifier.deliveries'::regclass)")
        assert hot == len(ids)
    assert await claim(conn) == []  # leased: nobody else takes them
    assert set((await statuses(conn)).values()) == {"sending"}


async def test_a_lease_run_out_is_claimed_again_with_one_more_attempt(conn):
    sid = await subscription(conn)
    [first] = await deliveries(conn, sid, None, 1)
    assert await claim(conn, lease_s=0.001) == [first]
    await conn.execute("SELECT pg_sleep(0.01)")
    rows = await q.claim(conn, free=10, window=40, held={}, per_target=100, lease_s=60)
    assert [(r["id"], r["attempts"]) for r in rows] == [(first, 2)]


async def test_a_claim_skips_rows_another_claim_holds(conn, fresh_db):
    sid = await subscription(conn)
    ids = await deliveries(conn, sid, None, 4)
    other = await asyncpg.connect(fresh_db)
    try:
        async with other.transaction():
            await other.execute("SELECT 1 FROM notifier.deliveries WHERE id = ANY($1::uuid[]) FOR UPDATE", ids[:2])
            assert await claim(conn) == ids[2:]  # not waiting for the lock, not taking them twice
        assert await claim(conn) == ids[:2]
    finally:
        await other.close()


async def test_held_deliveries_wait_for_the_earlier_one_and_go_in_order(conn):
    sid, request_id = await subscription(conn), uuid.uuid4()
    ids = await deliveries(conn, sid, request_id, 3)
    assert [s for _, s in sorted((await statuses(conn)).items(), key=lambda kv: ids.index(kv[0]))] == [
        "pending", "held", "held"]
    # A later batch of the same subscription and request waits behind the open ones too.
    [late] = await deliveries(conn, sid, request_id, 1)
    assert (await statuses(conn))[late] == "held"
    assert await conn.fetchval("SELECT next_attempt_at = 'infinity' FROM notifier.deliveries WHERE id = $1", ids[1])
    for expected in [*ids, late]:
        assert await claim(conn) == [expected]  # one at a time, in order
        await q.record_delivered(conn, delivered([expected]))
    assert set((await statuses(conn)).values()) == {"delivered"}
    assert await claim(conn) == []


async def test_a_failed_delivery_releases_the_next_and_counts_as_closed(conn):
    sid, request_id = await subscription(conn), uuid.uuid4()
    first, second = await deliveries(conn, sid, request_id, 2)
    assert await claim(conn) == [first]
    await q.failed(conn, first, "gone")
    await q.release_next(conn, [(sid, request_id)])
    assert await claim(conn) == [second]
    stats = await q.queue_stats(conn)
    assert (stats["pending"], stats["retrying"]) == (0, 0)
    assert await conn.fetchval("SELECT count(*) FROM notifier.deliveries WHERE failed_at IS NOT NULL") == 1


async def test_an_orphan_held_delivery_is_released(conn):
    sid, request_id = await subscription(conn), uuid.uuid4()
    first, second = await deliveries(conn, sid, request_id, 2)
    # Its predecessor ended without releasing it (as when both were written in one race).
    await conn.execute("UPDATE notifier.deliveries SET status = 'delivered', delivered_at = now() WHERE id = $1",
                       first)
    assert await claim(conn) == []
    assert await q.release_orphans(conn) == 1
    assert await claim(conn) == [second]


async def test_open_means_neither_delivered_nor_failed(conn):
    sid = await subscription(conn)
    [one] = await deliveries(conn, sid, None, 1)
    with pytest.raises(asyncpg.CheckViolationError):
        await conn.execute("UPDATE notifier.deliveries SET status = 'delivered' WHERE id = $1", one)
    with pytest.raises(asyncpg.CheckViolationError):
        await conn.execute("UPDATE notifier.deliveries SET failed_at = now() WHERE id = $1", one)


async def test_migration_3_keeps_what_002_databases_hold(fresh_db):
    conn = await asyncpg.connect(fresh_db)
    try:
        await migrate(conn, SCHEMA, MIGRATIONS, target=2)
        sid = await subscription(conn)
        event_id, notice_id = uuid.uuid4(), uuid.uuid4()
        await db.add_events(conn, [(event_id, "{}", "{}")])
        await db.add_notifications(conn, [(notice_id, "supplier", "acme", "k", event_id, None, "{}")])
        rows = {}
        for status in ("held", "pending", "retrying", "sending", "delivered", "failed"):
            rows[status] = uuid.uuid4()
            await conn.execute(
                "INSERT INTO notifier.deliveries (id, subscription_id, owner_org, channel, target, kind, event_id,"
                " notification_id, status, delivered_at, failed_at) VALUES ($1, $2, 'acme', 'webhook', $3, 'k', $4,"
                " $5, $6, CASE WHEN $6 = 'delivered' THEN now() END, CASE WHEN $6 = 'failed' THEN now() END)",
                rows[status], sid, TARGET, event_id, notice_id, status)
        await conn.execute("UPDATE notifier.deliveries SET lease_until = now() - interval '1 s'"
                           " WHERE status = 'sending'")
        assert await migrate(conn, SCHEMA, MIGRATIONS) == [3]
        assert await conn.fetchval("SELECT next_attempt_at = 'infinity' FROM notifier.deliveries WHERE id = $1",
                                   rows["held"])
        claimed = set(await claim(conn))
        assert claimed == {rows["pending"], rows["retrying"], rows["sending"]}  # the dead one's lease ran out
    finally:
        await conn.close()


async def test_migration_3_applies_where_an_earlier_002_left_out_some_keys(fresh_db):
    conn = await asyncpg.connect(fresh_db)
    try:
        await migrate(conn, SCHEMA, MIGRATIONS, target=2)
        # As a database made by an earlier draft of 002: no event or feed-entry keys, one index fewer.
        await conn.execute("ALTER TABLE notifier.deliveries DROP CONSTRAINT deliveries_event_id_fkey,"
                           " DROP CONSTRAINT deliveries_notification_id_fkey;"
                           " DROP INDEX notifier.deliveries_failed")
        assert await migrate(conn, SCHEMA, MIGRATIONS) == [3]
        keys = await conn.fetchval("SELECT count(*) FROM pg_constraint WHERE contype = 'f'"
                                   " AND conrelid IN ('notifier.deliveries'::regclass,"
                                   " 'notifier.delivery_attempts'::regclass)")
        assert keys == 0
    finally:
        await conn.close()
