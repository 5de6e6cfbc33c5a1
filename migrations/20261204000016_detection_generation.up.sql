-- A counter every change to what the engine evaluates moves forward, in the
-- changing transaction. The engine reads it in the same snapshot as its
-- horizon, so an event committed after a rule change is always evaluated by
-- the changed rules: a notification alone can arrive after the round that
-- reads those events has started.
CREATE TABLE detection_generation (
    one        boolean PRIMARY KEY DEFAULT true CHECK (one),
    generation bigint NOT NULL
);
INSERT INTO detection_generation (generation) VALUES (0);

-- Once per statement, so an import of many watchlist entries moves it once.
CREATE FUNCTION vigil_bump_detection_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE detection_generation SET generation = generation + 1;
    RETURN NULL;
END
$$;
CREATE TRIGGER rules_generation AFTER INSERT OR UPDATE OR DELETE ON rules
    FOR EACH STATEMENT EXECUTE FUNCTION vigil_bump_detection_generation();
CREATE TRIGGER watchlist_entries_generation AFTER INSERT OR UPDATE OR DELETE ON watchlist_entries
    FOR EACH STATEMENT EXECUTE FUNCTION vigil_bump_detection_generation();
