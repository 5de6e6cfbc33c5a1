DROP INDEX events_ts_hot;
DROP INDEX events_host_name_ts;
DROP INDEX events_source_ip_ts;
CREATE INDEX events_ts_brin ON events USING brin (ts) WITH (pages_per_range = 32);
CREATE INDEX events_host_name ON events (host_name);
CREATE INDEX events_source_ip ON events (source_ip);
