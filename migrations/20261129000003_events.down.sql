DROP FUNCTION vigil_ensure_event_partition(date);
DROP TABLE events;
