-- Per-source ingest statistics, and retention by dropping whole day partitions.

-- One row per API key, user or listener that delivered events. Nodes add
-- their counts every few seconds, so the figures are additive across nodes.
-- The rate comes from per-minute buckets: the last complete minute's count.
CREATE TABLE ingest_sources (
    id                       uuid PRIMARY KEY,
    kind                     text NOT NULL CHECK (kind IN ('api_key', 'user', 'listener')),
    name                     text NOT NULL,
    accepted                 bigint NOT NULL DEFAULT 0,
    rejected                 bigint NOT NULL DEFAULT 0,
    first_seen_at            timestamptz NOT NULL DEFAULT now(),
    last_seen_at             timestamptz NOT NULL DEFAULT now(),
    last_event_at            timestamptz,
    minute_start             timestamptz NOT NULL DEFAULT date_trunc('minute', now()),
    minute_accepted          bigint NOT NULL DEFAULT 0,
    previous_minute_accepted bigint NOT NULL DEFAULT 0
);

-- Drops every events partition whose whole day lies before `cutoff` and
-- returns what it dropped with the planner's row estimate. Dropping a day is
-- constant time and leaves no bloat; DELETE would take seconds per day plus
-- vacuum (see shared postgres.md).
CREATE FUNCTION vigil_drop_event_partitions_before(cutoff date)
RETURNS TABLE (partition_name text, day date, estimated_rows bigint)
LANGUAGE plpgsql AS $$
DECLARE
    child record;
BEGIN
    PERFORM pg_advisory_xact_lock(418581833078);
    FOR child IN
        SELECT c.relname::text AS relname, c.reltuples::bigint AS reltuples
        FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'events'::regclass AND c.relname ~ '^events_p[0-9]{8}$'
        ORDER BY c.relname
    LOOP
        IF to_date(substr(child.relname, 9), 'YYYYMMDD') < cutoff THEN
            EXECUTE format('ALTER TABLE events DETACH PARTITION %I', child.relname);
            EXECUTE format('DROP TABLE %I', child.relname);
            partition_name := child.relname;
            day := to_date(substr(child.relname, 9), 'YYYYMMDD');
            estimated_rows := greatest(child.reltuples, 0);
            RETURN NEXT;
        END IF;
    END LOOP;
END
$$;
