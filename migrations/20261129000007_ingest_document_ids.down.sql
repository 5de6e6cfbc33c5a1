DROP TABLE ingest_document_ids;
