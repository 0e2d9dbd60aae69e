-- The notifier's own picture of requests and labs, learned from Kafka (it reads no
-- other service's tables), so a message can name the component, method and lab.
CREATE TABLE notifier.requests (
    id                uuid PRIMARY KEY,
    org_id            text NOT NULL,
    method_code       text,
    component         jsonb,
    samples           int,
    deadline          date,
    ship_from_region  text,
    status            text,
    status_seq        int NOT NULL DEFAULT 0,
    lab_id            text,
    planned_start     timestamptz,
    planned_end       timestamptz,
    updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE notifier.labs (
    id                    text PRIMARY KEY,
    name                  text NOT NULL,
    city                  text NOT NULL,
    region_code           text NOT NULL,
    certificate_no        text NOT NULL,
    accreditation_status  text NOT NULL,
    valid_until           date NOT NULL,
    updated_at            timestamptz NOT NULL
);

-- Who is told what, and how. The owner is the caller who subscribed (role + org);
-- staff and admin subscriptions receive the staff notices.
CREATE TABLE notifier.subscriptions (
    id               uuid PRIMARY KEY,
    seq              bigserial UNIQUE,  -- list order
    owner_role       text NOT NULL,
    owner_org        text NOT NULL,
    channel          text NOT NULL CHECK (channel IN ('email', 'webhook')),
    target           text NOT NULL,
    language         text NOT NULL CHECK (language IN ('ru', 'en')),
    events           text[] NOT NULL DEFAULT '{}',  -- empty: every kind
    status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled', 'deleted')),
    disabled_reason  text,
    failing_since    timestamptz,  -- first failed attempt since the last success
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX subscriptions_owner ON notifier.subscriptions (owner_role, owner_org) WHERE status = 'active';

-- Webhook signing secrets; a rotated one keeps signing beside the new one until it expires.
CREATE TABLE notifier.subscription_secrets (
    id               bigserial PRIMARY KEY,
    subscription_id  uuid NOT NULL REFERENCES notifier.subscriptions (id),
    secret           text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz
);
CREATE INDEX subscription_secrets_sub ON notifier.subscription_secrets (subscription_id);

-- The in-app feed, written in the transaction that consumed the event (exactly once).
-- audience_org is NULL for notices to every staff member.
CREATE TABLE notifier.notifications (
    id              uuid PRIMARY KEY,
    feed_seq        bigserial UNIQUE,
    audience_role   text NOT NULL,
    audience_org    text,
    kind            text NOT NULL,
    event_id        uuid NOT NULL,
    request_id      uuid,
    facts           jsonb NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notifications_audience ON notifier.notifications (audience_role, audience_org, feed_seq DESC);

CREATE TABLE notifier.notification_reads (
    notification_id  uuid NOT NULL REFERENCES notifier.notifications (id),
    reader_org       text NOT NULL,
    read_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (notification_id, reader_org)
);

-- The events deliveries are about, stored once however many subscriptions want them.
CREATE TABLE notifier.events (
    event_id    uuid PRIMARY KEY,
    envelope    jsonb NOT NULL,  -- as it travelled: the webhook body's core
    source      jsonb NOT NULL,  -- topic, partition, offset, key: for the dead letter
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per (event, subscription): its id is derived from both, so a redelivered
-- event can never create a second delivery. Claimed ('sending') before each attempt.
-- Per subscription and request they go out in the order the events were consumed: a
-- delivery created while an earlier one is still open is 'held' until that one ends.
CREATE TABLE notifier.deliveries (
    id                uuid PRIMARY KEY,
    seq               bigserial UNIQUE,  -- creation order
    subscription_id   uuid NOT NULL REFERENCES notifier.subscriptions (id),
    owner_org         text NOT NULL,
    channel           text NOT NULL,
    target            text NOT NULL,
    kind              text NOT NULL,
    event_id          uuid NOT NULL REFERENCES notifier.events (event_id),
    notification_id   uuid NOT NULL REFERENCES notifier.notifications (id),  -- what it says (facts)
    request_id        uuid,
    status            text NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('held', 'pending', 'sending', 'retrying', 'delivered', 'failed')),
    attempts          int NOT NULL DEFAULT 0,  -- since it was (re)queued: the retry schedule's position
    attempts_before   int NOT NULL DEFAULT 0,  -- made before the last redelivery, so the log numbers on
    next_attempt_at   timestamptz NOT NULL DEFAULT now(),
    lease_until       timestamptz,  -- a 'sending' row whose lease passed was left by a dead process
    last_error        text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    delivered_at      timestamptz,
    failed_at         timestamptz
);
CREATE INDEX deliveries_due ON notifier.deliveries (next_attempt_at, seq)
    WHERE status IN ('pending', 'retrying', 'sending');
CREATE INDEX deliveries_open_per_request ON notifier.deliveries (subscription_id, request_id, seq)
    WHERE status IN ('held', 'pending', 'retrying', 'sending');
CREATE INDEX deliveries_owner ON notifier.deliveries (owner_org, seq DESC);
CREATE INDEX deliveries_subscription ON notifier.deliveries (subscription_id, seq DESC);
CREATE INDEX deliveries_failed ON notifier.deliveries (failed_at) WHERE status = 'failed';

-- Every attempt, as it ended: nobody has to guess why a notification did not arrive.
CREATE TABLE notifier.delivery_attempts (
    id           bigserial PRIMARY KEY,
    delivery_id  uuid NOT NULL REFERENCES notifier.deliveries (id),
    attempt      int NOT NULL,
    started_at   timestamptz NOT NULL,
    latency_ms   double precision NOT NULL,
    outcome      text NOT NULL CHECK (outcome IN ('delivered', 'retry', 'failed', 'disabled')),
    status_code  int,   -- HTTP status, or the SMTP reply code
    reply        text,  -- the SMTP reply text or the first bytes of the HTTP answer
    error        text
);
CREATE INDEX delivery_attempts_delivery ON notifier.delivery_attempts (delivery_id, attempt);

CREATE TABLE notifier.idempotency_keys (
    org_id       text NOT NULL,
    key          text NOT NULL,
    body_sha256  text NOT NULL,
    status       int NOT NULL,
    response     jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, key)
);
