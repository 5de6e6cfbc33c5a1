-- Retention per source or per category. An event is kept for the longest
-- retention among the policies that match it, or the default when none does.
-- Whole day partitions are dropped once every policy and the default have
-- expired for that day; within a day still kept for some events, the maintenance
-- task deletes the rows whose own retention has passed (see ingest::retention).
CREATE TABLE retention_policies (
    id          uuid PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
    -- An ingest source (API key, user or listener id); any source when NULL.
    source_id   uuid,
    -- An event.category as stored (lower case); any category when NULL.
    category    text CHECK (category = lower(category) AND length(category) BETWEEN 1 AND 100),
    days        integer NOT NULL CHECK (days BETWEEN 1 AND 36500),
    created_by  uuid REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (source_id IS NOT NULL OR category IS NOT NULL)
);
