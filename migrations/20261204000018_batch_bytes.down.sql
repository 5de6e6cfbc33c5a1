ALTER TABLE event_batches DROP COLUMN bytes;
