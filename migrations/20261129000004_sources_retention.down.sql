DROP FUNCTION vigil_drop_event_partitions_before(date);
DROP TABLE ingest_sources;
