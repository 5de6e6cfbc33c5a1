-- Saved searches: a name for a query and a time range, private to its owner
-- or shared with everyone who may search.
CREATE TABLE saved_searches (
    id          uuid PRIMARY KEY,
    owner_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    query       text NOT NULL CHECK (length(query) <= 10000),
    time_from   text NOT NULL CHECK (length(time_from) BETWEEN 1 AND 64),
    time_to     text NOT NULL CHECK (length(time_to) BETWEEN 1 AND 64),
    shared      boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (owner_id, name)
);
