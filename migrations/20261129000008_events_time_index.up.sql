-- The time index, chosen by the search benchmark (docs/benchmarks.md, search):
-- a btree on ts that also carries the hot columns. Searches walk it newest
-- first and stop after a page of matches instead of sorting every match of
-- the range; histograms and top values of these columns are index-only
-- scans that never read the (large) rows. It replaces the BRIN index, which
-- could prune by time but not order. Cost: about 95 bytes per event on disk
-- (7 % of an event) and one more btree insert per event at ingest.
DROP INDEX events_ts_brin;
CREATE INDEX events_ts_hot ON events (ts)
    INCLUDE (host_name, source_ip, user_name, category, outcome, action, process_name);
