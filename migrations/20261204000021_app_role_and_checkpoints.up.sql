-- The audit trail against the app's own database role (docs/security.md, 14).
--
-- Vigil runs as a role that does not own the audit tables: it may read and
-- append, never update, delete, truncate, alter or disable their triggers.
-- Migrations run as the owner, which then calls `vigil_grant_app_role` to
-- give the app what it needs. The app owns the events hierarchy only: it
-- creates, attaches, detaches and drops day partitions (Postgres allows that
-- to a table's owner alone); what proves events intact is their own seal.

-- Signed checkpoints of the chain: the chain hash at `seq`, signed with an
-- Ed25519 key kept outside the database (docs/audit-checkpoints.md gives the
-- signed text). Recomputing the chain from an edited row, or cutting its
-- newest rows, no longer matches a checkpoint.
CREATE TABLE audit_checkpoints (
    seq        bigint PRIMARY KEY,
    hash       bytea NOT NULL,
    signed_at  timestamptz NOT NULL,
    key_id     text NOT NULL,
    signature  bytea NOT NULL
);

CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();

-- The chain's functions resolve names in the catalog first, then here,
-- whatever search_path the session that appends has set.
ALTER FUNCTION audit_log_chain() SET search_path = pg_catalog, public;
ALTER FUNCTION audit_log_canonical(audit_log) SET search_path = pg_catalog, public;
ALTER FUNCTION audit_log_refuse_change() SET search_path = pg_catalog, public;

CREATE FUNCTION vigil_grant_app_role(app name) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    partition regclass;
BEGIN
    EXECUTE format('GRANT USAGE, CREATE ON SCHEMA public TO %I', app);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO %I', app);
    -- USAGE allows nextval; UPDATE (setval) would let the app rewind a sequence.
    EXECUTE format('REVOKE UPDATE ON ALL SEQUENCES IN SCHEMA public FROM %I', app);
    EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO %I', app);
    EXECUTE format(
        'REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON audit_log, audit_checkpoints FROM %I',
        app);
    EXECUTE format('REVOKE ALL ON _sqlx_migrations FROM %I', app);
    EXECUTE format('GRANT SELECT ON _sqlx_migrations TO %I', app);
    -- Only what the app does not own yet: a change of owner locks the table.
    FOR partition IN
        SELECT c.oid::regclass FROM pg_class c
        WHERE (c.oid = 'events'::regclass
               OR c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = 'events'::regclass))
          AND c.relowner <> (SELECT oid FROM pg_roles WHERE rolname = app)
    LOOP
        EXECUTE format('ALTER TABLE %s OWNER TO %I', partition, app);
    END LOOP;
END
$$;
