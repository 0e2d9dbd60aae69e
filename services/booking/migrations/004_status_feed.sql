-- The live feed reads statuses from here, in the order they were stored, so every API
-- replica streams every change (each consumes only some partitions of status.v1) and a
-- reconnecting client resumes after its Last-Event-ID. `event` is the StatusChanged as
-- published; rows from before this migration have none and are not streamed.
ALTER TABLE booking.status_history ADD COLUMN feed_id bigserial;
ALTER TABLE booking.status_history ADD COLUMN event jsonb;
CREATE UNIQUE INDEX status_history_feed ON booking.status_history (feed_id);
