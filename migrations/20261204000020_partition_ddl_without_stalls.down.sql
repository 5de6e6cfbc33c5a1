DROP FUNCTION vigil_event_partitions_before(date);
CREATE OR REPLACE FUNCTION vigil_ensure_event_partition(day date) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    partition_name text := 'events_p' || to_char(day, 'YYYYMMDD');
    lower_bound timestamptz := day::timestamp AT TIME ZONE 'UTC';
BEGIN
    IF to_regclass(partition_name) IS NOT NULL THEN
        RETURN false;
    END IF;
    PERFORM pg_advisory_xact_lock(418581833078);
    EXECUTE format(
        'CREATE TABLE %I PARTITION OF events FOR VALUES FROM (%L) TO (%L)',
        partition_name, lower_bound, lower_bound + interval '1 day');
    RETURN true;
EXCEPTION
    WHEN duplicate_table THEN
        RETURN false;
END
$$;

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
