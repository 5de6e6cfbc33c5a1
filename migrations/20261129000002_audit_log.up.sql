-- The audit trail: append-only and hash-chained.
--
-- Each row's hash is sha256(previous row's hash || canonical text of the row),
-- computed by a trigger that first takes a transaction-scoped advisory lock,
-- so rows are chained in commit order and concurrent writers cannot fork the
-- chain. UPDATE, DELETE and TRUNCATE are refused by triggers. (A database
-- superuser can still drop the triggers; the chain then shows the edit.)

CREATE SEQUENCE audit_log_seq AS bigint;

CREATE TABLE audit_log (
    seq         bigint PRIMARY KEY,
    ts          timestamptz NOT NULL,
    actor_kind  text NOT NULL CHECK (actor_kind IN ('user', 'api_key', 'system', 'anonymous')),
    actor_id    uuid,
    actor_name  text,
    action      text NOT NULL,
    outcome     text NOT NULL CHECK (outcome IN ('success', 'failure', 'denied')),
    target      text,
    client_ip   inet,
    request_id  text,
    details     jsonb NOT NULL DEFAULT '{}'::jsonb,
    prev_hash   bytea NOT NULL,
    hash        bytea NOT NULL
);
CREATE INDEX audit_log_ts ON audit_log (ts);
-- Failed-login throttling counts recent failures per username and per address.
CREATE INDEX audit_log_login_failures_target
    ON audit_log (target, ts) WHERE action = 'auth.login' AND outcome = 'failure';
CREATE INDEX audit_log_login_failures_ip
    ON audit_log (client_ip, ts) WHERE action = 'auth.login' AND outcome = 'failure';

CREATE FUNCTION audit_log_canonical(r audit_log) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT concat_ws(chr(31),
        r.seq::text,
        to_char(r.ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        r.actor_kind,
        coalesce(r.actor_id::text, ''),
        coalesce(r.actor_name, ''),
        r.action,
        r.outcome,
        coalesce(r.target, ''),
        coalesce(host(r.client_ip), ''),
        coalesce(r.request_id, ''),
        r.details::text)
$$;

CREATE FUNCTION audit_log_chain() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    previous bytea;
BEGIN
    -- Serialise appends until commit; the constant is "audit" in ASCII.
    PERFORM pg_advisory_xact_lock(418581833076);
    SELECT hash INTO previous FROM audit_log ORDER BY seq DESC LIMIT 1;
    NEW.prev_hash := coalesce(previous, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);
    NEW.seq := nextval('audit_log_seq');
    NEW.ts := clock_timestamp();
    NEW.hash := sha256(NEW.prev_hash || convert_to(audit_log_canonical(NEW), 'UTF8'));
    RETURN NEW;
END
$$;

CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_chain();

CREATE FUNCTION audit_log_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
