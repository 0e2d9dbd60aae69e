-- Less PostgreSQL work per delivery (bench/notifier.py), nothing it guarantees changed.
--
-- 1. An open delivery is one neither delivered nor failed (delivered_at and failed_at both
--    NULL), no longer one whose status is in a list: the indexes of open deliveries name
--    those two columns, not `status`. Claiming a delivery (status 'sending', one more
--    attempt, a lease) then changes no indexed column, so PostgreSQL updates the row in
--    place on its page (a HOT update: no new entry in any of the table's six indexes)
--    when the page has room, which fillfactor 80 leaves (for new pages).
--    A 'held' delivery waits with next_attempt_at 'infinity', so it is not in the due
--    part of that index; releasing it sets now(). The check keeps the two views agreeing.
ALTER TABLE notifier.deliveries SET (fillfactor = 80);

UPDATE notifier.deliveries SET delivered_at = coalesce(delivered_at, created_at)
    WHERE status = 'delivered' AND delivered_at IS NULL;
UPDATE notifier.deliveries SET failed_at = coalesce(failed_at, created_at)
    WHERE status = 'failed' AND failed_at IS NULL;
UPDATE notifier.deliveries SET delivered_at = NULL, failed_at = NULL
    WHERE status IN ('held', 'pending', 'retrying', 'sending') AND (delivered_at IS NOT NULL OR failed_at IS NOT NULL);
UPDATE notifier.deliveries SET next_attempt_at = 'infinity' WHERE status = 'held';
ALTER TABLE notifier.deliveries ADD CONSTRAINT deliveries_open_or_closed
    CHECK ((status IN ('delivered', 'failed')) = (coalesce(delivered_at, failed_at) IS NOT NULL));

DROP INDEX IF EXISTS notifier.deliveries_due;
DROP INDEX IF EXISTS notifier.deliveries_open_per_request;
DROP INDEX IF EXISTS notifier.deliveries_failed;
CREATE INDEX deliveries_due ON notifier.deliveries (next_attempt_at, seq)
    WHERE delivered_at IS NULL AND failed_at IS NULL;
CREATE INDEX deliveries_open_per_request ON notifier.deliveries (subscription_id, request_id, seq)
    WHERE delivered_at IS NULL AND failed_at IS NULL;
CREATE INDEX deliveries_failed ON notifier.deliveries (failed_at) WHERE failed_at IS NOT NULL;

-- 2. No foreign keys on the rows written per delivery and per attempt: each cost a lookup
--    and a row lock (a WAL record) of the row referred to, per row written. What they
--    referred to is always written before them (a delivery's event and feed entry in the
--    same transaction, its subscription earlier; an attempt's delivery at ingest) and
--    none of it is ever deleted (a subscription is marked 'deleted', not removed).
--    IF EXISTS: databases made by an earlier draft of 002 lack some of them.
ALTER TABLE notifier.deliveries DROP CONSTRAINT IF EXISTS deliveries_subscription_id_fkey,
    DROP CONSTRAINT IF EXISTS deliveries_event_id_fkey, DROP CONSTRAINT IF EXISTS deliveries_notification_id_fkey;
ALTER TABLE notifier.delivery_attempts DROP CONSTRAINT IF EXISTS delivery_attempts_delivery_id_fkey;
