-- Detection rules as data, with every version kept. A rule is never removed
-- (alerts refer to it): deleting marks it deleted and frees its slug.
CREATE TABLE rules (
    id          uuid PRIMARY KEY,
    slug        text NOT NULL CHECK (slug ~ '^[a-z0-9][a-z0-9_-]{0,79}$'),
    version     integer NOT NULL CHECK (version >= 1),
    enabled     boolean NOT NULL,
    definition  jsonb NOT NULL,
    -- Where it came from: written in Vigil, imported from Sigma, or a built-in pack.
    origin      text NOT NULL CHECK (origin IN ('vigil', 'sigma', 'pack')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  uuid REFERENCES users (id) ON DELETE SET NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  uuid REFERENCES users (id) ON DELETE SET NULL,
    deleted_at  timestamptz
);
CREATE UNIQUE INDEX rules_slug_live ON rules (slug) WHERE deleted_at IS NULL;

CREATE TABLE rule_versions (
    rule_id     uuid NOT NULL REFERENCES rules (id),
    version     integer NOT NULL,
    definition  jsonb NOT NULL,
    change      text NOT NULL CHECK (change IN ('create', 'update', 'delete')),
    changed_at  timestamptz NOT NULL DEFAULT now(),
    changed_by  uuid REFERENCES users (id) ON DELETE SET NULL,
    PRIMARY KEY (rule_id, version)
);

-- The detection engine listens: a rule change takes effect within seconds.
CREATE FUNCTION vigil_notify_rule_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('vigil_rules', NEW.id::text);
    RETURN NEW;
END
$$;
CREATE TRIGGER rules_changed AFTER INSERT OR UPDATE ON rules
    FOR EACH ROW EXECUTE FUNCTION vigil_notify_rule_change();
