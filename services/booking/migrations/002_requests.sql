CREATE TABLE booking.requests (
    id                uuid PRIMARY KEY,
    org_id            text NOT NULL,
    method_code       text NOT NULL,
    test_kind         text NOT NULL,
    component         jsonb NOT NULL,
    samples           int NOT NULL CHECK (samples BETWEEN 1 AND 1000),
    deadline          date NOT NULL,
    ship_from_region  text NOT NULL,
    preferred_lab_ids text[] NOT NULL DEFAULT '{}',
    excluded_lab_ids  text[] NOT NULL DEFAULT '{}',
    notes             text,
    status            text NOT NULL,
    status_seq        int NOT NULL DEFAULT 0,  -- last applied StatusChanged.seq
    lab_id            text,
    planned_start     timestamptz,
    planned_end       timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX requests_org_created ON booking.requests (org_id, created_at, id);
CREATE INDEX requests_status ON booking.requests (status);

CREATE TABLE booking.status_history (
    request_id  uuid NOT NULL REFERENCES booking.requests (id),
    seq         int NOT NULL,
    status      text NOT NULL,
    at          timestamptz NOT NULL,
    reason      text,
    lab_id      text,
    PRIMARY KEY (request_id, seq)
);

-- POST endpoints that create honour Idempotency-Key per organisation.
CREATE TABLE booking.idempotency_keys (
    org_id       text NOT NULL,
    key          text NOT NULL,
    body_sha256  text NOT NULL,
    status       int NOT NULL,
    response     jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, key)
);
