-- The lab registry. A lab's id is also its organisation id in bearer tokens.
-- Scope and capacity are stored whole (jsonb) because they are always replaced
-- whole and published whole (LabProfile, CapacityAdvertised).
CREATE TABLE labs.labs (
    id                    text PRIMARY KEY,
    name                  text NOT NULL,
    inn                   text NOT NULL,
    region_code           text NOT NULL,
    city                  text NOT NULL,
    lat                   double precision NOT NULL,
    lon                   double precision NOT NULL,
    certificate_no        text NOT NULL,
    accreditation_status  text NOT NULL,
    valid_until           date NOT NULL,
    scope                 jsonb NOT NULL DEFAULT '[]',
    capacity              jsonb NOT NULL DEFAULT '[]',
    last_seen_at          timestamptz,  -- liveness: the lab's last authenticated call
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);
-- A register record number belongs to one lab only.
CREATE UNIQUE INDEX labs_certificate_no ON labs.labs (certificate_no);
CREATE INDEX labs_created ON labs.labs (created_at, id);

-- The offers inbox, filled from labbook.offers.v1 by the labs-offers consumer.
CREATE TABLE labs.offers (
    id             uuid PRIMARY KEY,
    request_id     uuid NOT NULL,
    lab_id         text NOT NULL,
    method_code    text NOT NULL,
    samples        int NOT NULL,
    deadline       date NOT NULL,
    planned_start  timestamptz NOT NULL,
    planned_end    timestamptz NOT NULL,
    expires_at     timestamptz NOT NULL,
    status         text NOT NULL CHECK (status IN ('pending', 'accepted', 'declined', 'withdrawn')),
    reason         text,
    answered_at    timestamptz,
    received_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX offers_lab_status ON labs.offers (lab_id, status, received_at, id);
CREATE INDEX offers_received ON labs.offers (received_at, id);

-- Jobs of accepted offers, with the status as the lab has reported it.
CREATE TABLE labs.jobs (
    request_id     uuid PRIMARY KEY,
    lab_id         text NOT NULL,
    offer_id       uuid NOT NULL,
    status         text NOT NULL,
    planned_start  timestamptz,
    report_url     text,
    report_sha256  text,
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX jobs_lab ON labs.jobs (lab_id, status);
