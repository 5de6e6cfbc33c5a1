DROP INDEX events_ts_hot;
CREATE INDEX events_ts_brin ON events USING brin (ts) WITH (pages_per_range = 32);
