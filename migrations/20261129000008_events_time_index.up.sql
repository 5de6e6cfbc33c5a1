-- Indexes chosen by the search benchmark (docs/benchmarks.md, search), 10 M
-- events over 7 days, 1.4 M a day:
-- * a btree on ts that also carries the hot columns, replacing BRIN: searches
--   walk it newest first and stop after a page of matches instead of sorting
--   every match of the range; histograms and top values of these columns are
--   index-only scans that never read the rows;
-- * host_name and source_ip indexes gain ts, so an equality or CIDR within a
--   time range is one index range (counted without reading rows).
-- Cost, measured in the ingest benchmark: about 140 bytes per event on disk
-- and 1.5 µs of Postgres CPU per event.
DROP INDEX events_ts_brin;
DROP INDEX events_host_name;
DROP INDEX events_source_ip;
CREATE INDEX events_ts_hot ON events (ts)
    INCLUDE (host_name, source_ip, user_name, category, outcome, action, process_name);
CREATE INDEX events_host_name_ts ON events (host_name, ts);
CREATE INDEX events_source_ip_ts ON events (source_ip, ts);
