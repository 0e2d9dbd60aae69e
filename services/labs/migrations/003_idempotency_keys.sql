-- Idempotency-Key on POST /v1/labs (services/common/idempotency.py): the first answer
-- per (organisation, key), stored in the transaction that registered the lab.
CREATE TABLE labs.idempotency_keys (
    org_id       text NOT NULL,
    key          text NOT NULL,
    body_sha256  text NOT NULL,
    status       int NOT NULL,
    response     jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, key)
);
