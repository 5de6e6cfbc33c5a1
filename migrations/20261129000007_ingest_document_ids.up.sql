-- Document ids a shipper gave (Elasticsearch `_id`), per source: a document
-- retried with an id already recorded is answered as a duplicate and not
-- stored again. Inserted in the same transaction as the events, so an id is
-- recorded exactly when its event is stored. Kept for 7 days: shippers retry
-- within minutes, and a week covers an outage of a whole weekend.
CREATE TABLE ingest_document_ids (
    source_id  uuid NOT NULL,
    id         text NOT NULL CHECK (length(id) BETWEEN 1 AND 512),
    event_id   uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source_id, id)
);
CREATE INDEX ingest_document_ids_created_at ON ingest_document_ids (created_at);
