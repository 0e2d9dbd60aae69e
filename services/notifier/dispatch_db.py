"""The dispatcher's SQL: claim due deliveries, read what they need, record how they went."""
from __future__ import annotations

from uuid import UUID

import asyncpg

OPEN = ("held", "pending", "retrying", "sending")  # a delivery not yet delivered or failed
# The same, as the indexes of open deliveries see it (003_cheaper_deliveries.sql): a claim
# changes only columns no index names, so PostgreSQL updates the row in place (HOT).
IS_OPEN = "{0}.delivered_at IS NULL AND {0}.failed_at IS NULL"
HELD_UNTIL = "'infinity'"  # a held delivery's next_attempt_at: never due until released

# One statement (one round trip, atomic on its own): the due deliveries, or those
# claimed by a process that died (lease passed), as many per target as it has free
# slots, marked 'sending' with one more attempt, and what sending them needs. 'held'
# rows wait for an earlier delivery of the same subscription and request (release_next).
# Only the rows picked are locked (SKIP LOCKED: another replica's claim in progress keeps
# them), not every candidate looked at; a row another claim took since this statement
# began is seen as it is now when locked, and passed over.
# $1 candidates to look at, $2 targets with no free slot, $3/$4 targets held and
# how many, $5 per-target limit, $6 free slots, $7 lease seconds.
CLAIMABLE = ("d.next_attempt_at <= now() AND d.status IN ('pending', 'retrying', 'sending')"
             " AND (d.status <> 'sending' OR d.lease_until < now())")
CLAIM = f"""
WITH candidates AS (
  SELECT d.id, d.seq, d.target FROM notifier.deliveries d
  WHERE {IS_OPEN.format('d')} AND {CLAIMABLE} AND NOT (d.target = ANY($2::text[]))
  ORDER BY d.next_attempt_at, d.seq LIMIT $1),
ranked AS (
  SELECT c.id, c.seq, c.target, row_number() OVER (PARTITION BY c.target ORDER BY c.seq) AS n FROM candidates c),
picked AS (
  SELECT r.id FROM ranked r LEFT JOIN unnest($3::text[], $4::int[]) AS busy (target, n) ON busy.target = r.target
  WHERE r.n <= $5 - coalesce(busy.n, 0) ORDER BY r.seq LIMIT $6),
locked AS (
  SELECT d.id FROM notifier.deliveries d WHERE d.id = ANY(ARRAY(SELECT id FROM picked)) AND {CLAIMABLE}
  FOR UPDATE OF d SKIP LOCKED),
claimed AS (
  UPDATE notifier.deliveries d SET status = 'sending', attempts = d.attempts + 1,
         lease_until = now() + make_interval(secs => $7)
  FROM locked WHERE d.id = locked.id RETURNING d.*)
SELECT d.id, d.seq, d.subscription_id, d.owner_org, d.channel, d.target, d.kind, d.event_id, d.request_id,
       e.envelope, n.facts, e.source, d.attempts, d.attempts_before, d.created_at,
       s.language, s.status AS subscription_status, s.owner_role,
       r.org_id AS request_org, r.method_code, r.component, r.samples, r.deadline, r.ship_from_region,
       r.status AS request_status, r.status_seq AS request_seq, r.planned_start AS request_start,
       r.planned_end AS request_end, r.lab_id AS request_lab,
       l.id AS lab_id, l.name AS lab_name, l.city AS lab_city,
       (SELECT coalesce(array_agg(x.secret ORDER BY x.id DESC), '{{}}') FROM notifier.subscription_secrets x
        WHERE x.subscription_id = d.subscription_id AND (x.expires_at IS NULL OR x.expires_at > now())) AS secrets
FROM claimed d
JOIN notifier.events e ON e.event_id = d.event_id
JOIN notifier.notifications n ON n.id = d.notification_id
JOIN notifier.subscriptions s ON s.id = d.subscription_id
LEFT JOIN notifier.requests r ON r.id = d.request_id
LEFT JOIN notifier.labs l ON l.id = coalesce(n.facts->>'lab_id', r.lab_id)
ORDER BY d.seq
"""


async def claim(conn: asyncpg.Connection, *, free: int, window: int, held: dict[str, int], per_target: int,
                lease_s: float) -> list[asyncpg.Record]:
    """Claim up to `free` due deliveries, so that no target has more than `per_target`
    claimed (`held` counts what this process already holds per target)."""
    full = [t for t, n in held.items() if n >= per_target]
    return await conn.fetch(CLAIM, window, full, list(held), list(held.values()), per_target, free, lease_s)


async def add_attempts(conn: asyncpg.Connection, rows: list[tuple]) -> None:
    """(delivery_id, attempt, started_at, latency_ms, outcome, status_code, reply, error) rows."""
    if rows:
        await conn.execute(
            "INSERT INTO notifier.delivery_attempts (delivery_id, attempt, started_at, latency_ms, outcome,"
            " status_code, reply, error) SELECT * FROM unnest($1::uuid[], $2::int[], $3::timestamptz[],"
            " $4::float8[], $5::text[], $6::int[], $7::text[], $8::text[])", *map(list, zip(*rows)))


# Every attempt of the batch delivered: log them, mark them, clear their subscriptions'
# failing clocks and release what each held back, in one statement. Its parts share one
# snapshot, where the delivered rows are still open: hence `d.id <> ALL(...)`.
RECORD_DELIVERED = f"""
WITH logged AS (
  INSERT INTO notifier.delivery_attempts (delivery_id, attempt, started_at, latency_ms, outcome, status_code,
                                          reply, error)
  SELECT i, a, to_timestamp(t), l, 'delivered', c, r, NULL
  FROM unnest($1::uuid[], $2::int[], $3::float8[], $4::float8[], $5::int[], $6::text[]) AS u (i, a, t, l, c, r)),
done AS (
  UPDATE notifier.deliveries SET status = 'delivered', delivered_at = now(), lease_until = NULL, last_error = NULL
  WHERE id = ANY($1::uuid[]) RETURNING subscription_id, request_id),
healthy AS (
  UPDATE notifier.subscriptions SET failing_since = NULL
  WHERE id IN (SELECT subscription_id FROM done) AND failing_since IS NOT NULL)
UPDATE notifier.deliveries SET status = 'pending', next_attempt_at = now()
WHERE status = 'held' AND id = ANY(ARRAY(
  SELECT first.id FROM (SELECT DISTINCT subscription_id, request_id FROM done WHERE request_id IS NOT NULL) f,
  LATERAL (SELECT d.id FROM notifier.deliveries d
           WHERE d.subscription_id = f.subscription_id AND d.request_id = f.request_id AND {IS_OPEN.format('d')}
             AND d.id <> ALL($1::uuid[]) ORDER BY d.seq LIMIT 1) first))
"""


async def record_delivered(conn: asyncpg.Connection, rows: list[tuple]) -> None:
    """Attempt rows (as add_attempts, at least one) that all delivered: what varies is sent
    (the start as Unix seconds, cheaper to encode than a timestamp, as exact to the µs)."""
    await conn.execute(RECORD_DELIVERED, [r[0] for r in rows], [r[1] for r in rows],
                       [r[2].timestamp() for r in rows], [r[3] for r in rows], [r[5] for r in rows],
                       [r[6] for r in rows])


async def retry_at(conn: asyncpg.Connection, delivery_id: UUID, delay_s: float, error: str) -> None:
    await conn.execute(
        "UPDATE notifier.deliveries SET status = 'retrying', lease_until = NULL, last_error = $3,"
        " next_attempt_at = now() + make_interval(secs => $2) WHERE id = $1", delivery_id, delay_s, error)


async def postpone(conn: asyncpg.Connection, delivery_id: UUID, delay_s: float) -> None:
    """Not an attempt (the request's details are still on their way): the claim is undone."""
    await conn.execute(
        "UPDATE notifier.deliveries SET status = 'pending', attempts = attempts - 1, lease_until = NULL,"
        " next_attempt_at = now() + make_interval(secs => $2) WHERE id = $1", delivery_id, delay_s)


async def failed(conn: asyncpg.Connection, delivery_id: UUID, error: str) -> None:
    await conn.execute("UPDATE notifier.deliveries SET status = 'failed', failed_at = now(), lease_until = NULL,"
                       " last_error = $2 WHERE id = $1", delivery_id, error)


async def release_next(conn: asyncpg.Connection, finished: list[tuple[UUID, UUID]]) -> None:
    """The next held delivery of each (subscription, request) whose delivery just ended."""
    if not finished:
        return
    subs, requests = zip(*finished)
    await conn.execute(
        "UPDATE notifier.deliveries SET status = 'pending', next_attempt_at = now() WHERE id = ANY(ARRAY("
        " SELECT first.id FROM (SELECT DISTINCT sub, req FROM unnest($1::uuid[], $2::uuid[]) AS u (sub, req)) f,"
        " LATERAL (SELECT d.id FROM notifier.deliveries d WHERE d.subscription_id = f.sub AND d.request_id = f.req"
        f" AND {IS_OPEN.format('d')} ORDER BY d.seq LIMIT 1) first)) AND status = 'held'", list(subs), list(requests))


async def release_orphans(conn: asyncpg.Connection) -> int:
    """Held deliveries with nothing open before them (their predecessor ended while they were
    being written): a safety net run now and then, so nothing stays held."""
    result = await conn.execute(
        "UPDATE notifier.deliveries h SET status = 'pending', next_attempt_at = now() WHERE h.status = 'held'"
        f" AND {IS_OPEN.format('h')} AND NOT EXISTS (SELECT 1 FROM notifier.deliveries e"
        " WHERE e.subscription_id = h.subscription_id AND e.request_id = h.request_id AND e.seq < h.seq"
        f" AND {IS_OPEN.format('e')})")
    return int(result.split()[-1])


async def failing_for(conn: asyncpg.Connection, subscription_id: UUID) -> float:
    """Mark the subscription failing (if it was not) and return for how many seconds it has been."""
    return await conn.fetchval(
        "UPDATE notifier.subscriptions SET failing_since = coalesce(failing_since, now()) WHERE id = $1"
        " RETURNING extract(epoch FROM now() - failing_since)::float8", subscription_id) or 0.0


async def disable(conn: asyncpg.Connection, subscription_id: UUID, reason: str) -> asyncpg.Record | None:
    """Disable an active subscription and fail its open deliveries; None if it was not active."""
    row = await conn.fetchrow(
        "UPDATE notifier.subscriptions SET status = 'disabled', disabled_reason = $2, updated_at = now()"
        " WHERE id = $1 AND status = 'active' RETURNING id, owner_role, owner_org, target", subscription_id, reason)
    if row is not None:
        await fail_open(conn, subscription_id, f"subscription disabled: {reason}")
    return row


async def fail_open(conn: asyncpg.Connection, subscription_id: UUID, error: str) -> None:
    """Open deliveries of a subscription that will not send any more (a send in flight records itself)."""
    await conn.execute(
        "UPDATE notifier.deliveries d SET status = 'failed', failed_at = now(), last_error = $2"
        f" WHERE d.subscription_id = $1 AND {IS_OPEN.format('d')} AND d.status IN ('held', 'pending', 'retrying')",
        subscription_id, error)


async def queue_stats(conn: asyncpg.Connection) -> asyncpg.Record:
    return await conn.fetchrow(
        "SELECT count(*) FILTER (WHERE status = 'retrying') AS retrying,"
        " count(*) FILTER (WHERE status IN ('pending', 'held')) AS pending,"
        " coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS oldest_s"
        f" FROM notifier.deliveries d WHERE {IS_OPEN.format('d')}")
