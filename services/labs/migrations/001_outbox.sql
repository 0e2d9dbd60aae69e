-- Transactional outbox: a state change and the event announcing it commit together;
-- the relay publishes unsent rows with an idempotent producer and marks them sent.
CREATE TABLE labs.outbox (
    id          bigserial PRIMARY KEY,
    event_id    uuid NOT NULL UNIQUE,
    topic       text NOT NULL,
    key         text NOT NULL,
    value       bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    sent_at     timestamptz
);
CREATE INDEX outbox_unsent ON labs.outbox (id) WHERE sent_at IS NULL;

-- Idempotent consumers: an event_id applied once is never applied again.
CREATE TABLE labs.applied_events (
    event_id    uuid PRIMARY KEY,
    consumer    text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
);
