-- Idempotency keys: a request retried with the same key (per source) is
-- answered from here instead of being stored again. Inserted in the same
-- transaction as the request's events, so a key exists exactly when they do.
-- Kept for 24 hours.
CREATE TABLE ingest_idempotency (
    source_id  uuid NOT NULL,
    key        text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    created_at timestamptz NOT NULL DEFAULT now(),
    response   jsonb NOT NULL,
    PRIMARY KEY (source_id, key)
);
CREATE INDEX ingest_idempotency_created_at ON ingest_idempotency (created_at);
