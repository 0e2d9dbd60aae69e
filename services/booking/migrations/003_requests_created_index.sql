-- Staff list every organisation's requests in (created_at, id) keyset order;
-- requests_org_created only serves a supplier's own pages.
CREATE INDEX requests_created ON booking.requests (created_at, id);
