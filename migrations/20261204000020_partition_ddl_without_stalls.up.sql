-- Partition DDL that never stops ingest or search (see docs/security.md, 8).
--
-- `CREATE TABLE … PARTITION OF` and a plain `DETACH PARTITION` take ACCESS
-- EXCLUSIVE on `events`: behind one long export, every later query of every
-- session queued. A partition is now created beside the table and attached
-- (`ATTACH PARTITION` takes SHARE UPDATE EXCLUSIVE on `events`, which readers
-- and writers do not conflict with), and never waits more than a moment for
-- its lock: the caller retries. Retention detaches concurrently (from Rust,
-- outside a transaction, as Postgres requires).
CREATE OR REPLACE FUNCTION vigil_ensure_event_partition(day date) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    partition_name text := 'events_p' || to_char(day, 'YYYYMMDD');
    lower_bound timestamptz := day::timestamp AT TIME ZONE 'UTC';
BEGIN
    IF to_regclass(partition_name) IS NOT NULL THEN
        RETURN false;
    END IF;
    SET LOCAL lock_timeout = '2s';
    PERFORM pg_advisory_xact_lock(418581833078);
    IF to_regclass(partition_name) IS NOT NULL THEN
        RETURN false;
    END IF;
    EXECUTE format(
        'CREATE TABLE %I (LIKE events INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE)',
        partition_name);
    -- The bound as a constraint first: attaching then needs no scan.
    EXECUTE format(
        'ALTER TABLE %I ADD CONSTRAINT %I CHECK (ts >= %L AND ts < %L)',
        partition_name, partition_name || '_bound', lower_bound, lower_bound + interval '1 day');
    EXECUTE format(
        'ALTER TABLE events ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
        partition_name, lower_bound, lower_bound + interval '1 day');
    EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', partition_name, partition_name || '_bound');
    RETURN true;
EXCEPTION
    WHEN duplicate_table THEN
        RETURN false;
END
$$;

-- The days retention may drop: partitions of whole days before `cutoff`
-- (detached one by one, concurrently, by the caller).
CREATE FUNCTION vigil_event_partitions_before(cutoff date)
RETURNS TABLE (partition_name text, day date, estimated_rows bigint)
LANGUAGE sql STABLE AS $$
    SELECT c.relname::text, to_date(substr(c.relname, 9), 'YYYYMMDD'),
           greatest(c.reltuples, 0)::bigint
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'events'::regclass AND c.relname ~ '^events_p[0-9]{8}$'
      AND to_date(substr(c.relname, 9), 'YYYYMMDD') < cutoff
    ORDER BY c.relname
$$;

-- Replaced by the concurrent detach (it dropped inside one transaction).
DROP FUNCTION vigil_drop_event_partitions_before(date);
