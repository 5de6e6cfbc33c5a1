DROP TABLE ingest_idempotency;
