-- Watchlists: named sets of values (addresses, domains, hashes, user names)
-- that indicator rules match fields against. Values are stored trimmed and
-- in lower case, and match without regard to case.
CREATE TABLE watchlists (
    id          uuid PRIMARY KEY,
    slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9_-]{0,79}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 10000),
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  uuid REFERENCES users (id) ON DELETE SET NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE watchlist_entries (
    watchlist_id uuid NOT NULL REFERENCES watchlists (id) ON DELETE CASCADE,
    value        text NOT NULL CHECK (length(value) BETWEEN 1 AND 1024),
    note         text NOT NULL DEFAULT '' CHECK (length(note) <= 1000),
    added_at     timestamptz NOT NULL DEFAULT now(),
    added_by     uuid REFERENCES users (id) ON DELETE SET NULL,
    PRIMARY KEY (watchlist_id, value)
);

-- A watchlist change reaches the engine's indicator rules as a rule change
-- does. Postgres delivers identical notifications of one transaction once,
-- so an import of many entries notifies once.
CREATE FUNCTION vigil_notify_watchlist_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('vigil_watchlists', OLD.watchlist_id::text);
    ELSE
        PERFORM pg_notify('vigil_watchlists', NEW.watchlist_id::text);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER watchlist_entries_changed AFTER INSERT OR UPDATE OR DELETE ON watchlist_entries
    FOR EACH ROW EXECUTE FUNCTION vigil_notify_watchlist_change();
