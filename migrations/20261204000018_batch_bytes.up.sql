-- How many bytes of rows each writing transaction stored, so the detection
-- engine can bound a round by bytes as well as by events (a few large
-- events must not make a round that does not fit in memory).
ALTER TABLE event_batches ADD COLUMN bytes bigint NOT NULL DEFAULT 0;
