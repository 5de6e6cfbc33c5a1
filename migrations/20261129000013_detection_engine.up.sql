-- The detection engine: events in commit order, alerts exactly once.
--
-- Event ids and times say nothing about commit order: a batch numbered
-- later can commit first. So every event row carries the id of the
-- transaction that wrote it (filled in by the column default, whatever path
-- writes), and each writing transaction leaves one event_batches row. A
-- transaction id below pg_snapshot_xmin(pg_current_snapshot()) has finished
-- and its rows never change again: the engine consumes batches up to that
-- horizon, in transaction-id order. See docs/detection.md ("The engine").

-- Rows stored before this migration keep a NULL tx: the engine starts at
-- the horizon of its first start and never reads them.
ALTER TABLE events ADD COLUMN tx bigint;
ALTER TABLE events ALTER COLUMN tx SET DEFAULT (pg_current_xact_id()::text)::bigint;
-- Rows are appended in roughly transaction order, so a BRIN index finds a
-- round's rows for almost no ingest cost.
CREATE INDEX events_tx_brin ON events USING brin (tx) WITH (pages_per_range = 32, autosummarize = on);

CREATE TABLE event_batches (
    tx         bigint PRIMARY KEY DEFAULT (pg_current_xact_id()::text)::bigint,
    first_ts   timestamptz NOT NULL,
    last_ts    timestamptz NOT NULL,
    events     integer NOT NULL CHECK (events >= 0),
    written_at timestamptz NOT NULL DEFAULT now()
);

-- The engine wakes on a committed batch instead of polling. Notifications
-- are delivered at commit, and identical ones of one transaction once.
CREATE FUNCTION vigil_notify_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('vigil_events', '');
    RETURN NULL;
END
$$;
CREATE TRIGGER event_batches_written AFTER INSERT ON event_batches
    FOR EACH STATEMENT EXECUTE FUNCTION vigil_notify_events();

-- Where the engine stands. `watermark`: every batch below it is evaluated
-- and its alerts are stored. `checkpoint`: the rule states in rule_states
-- are those at this point; after a crash the engine restores them and
-- evaluates [checkpoint, watermark) again, raising the same alerts (no-ops).
CREATE TABLE detection_cursor (
    id         smallint PRIMARY KEY CHECK (id = 1),
    watermark  bigint NOT NULL,
    checkpoint bigint NOT NULL CHECK (checkpoint <= watermark),
    leader     text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE rule_states (
    rule_id      uuid PRIMARY KEY REFERENCES rules (id),
    rule_version integer NOT NULL,
    state        jsonb NOT NULL,
    saved_at     timestamptz NOT NULL DEFAULT now()
);

-- An alert: what a rule raised. Its identity is (rule, group, window
-- start, first contributing event) — events often share a time, and each
-- event contributes to one alert of a rule at most; the unique key turns an
-- alert raised again (after a crash) into a no-op. The rule's name, severity and ATT&CK ids
-- are copied so an alert reads the same after its rule changes.
CREATE TABLE alerts (
    id             uuid PRIMARY KEY,
    rule_id        uuid NOT NULL REFERENCES rules (id),
    rule_version   integer NOT NULL,
    rule_slug      text NOT NULL,
    rule_name      text NOT NULL,
    severity       text NOT NULL CHECK (severity IN ('informational', 'low', 'medium', 'high', 'critical')),
    tactics        text[] NOT NULL DEFAULT '{}',
    techniques     text[] NOT NULL DEFAULT '{}',
    summary        text NOT NULL,
    group_key      text NOT NULL,
    group_values   jsonb NOT NULL,
    window_start   timestamptz NOT NULL,
    window_end     timestamptz NOT NULL,
    -- The first contributing event (the nil id for absence, which has none).
    first_event    uuid NOT NULL,
    event_count    integer NOT NULL,
    -- The contributing events (at most 1,000; event_count has the total),
    -- with their times so that reading them prunes partitions.
    event_ids      uuid[] NOT NULL,
    event_times    timestamptz[] NOT NULL,
    -- The engine's watermark when it raised the alert.
    raised_tx      bigint NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    status         text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'acknowledged', 'closed')),
    resolution     text CHECK (resolution IN ('true_positive', 'benign_positive', 'false_positive', 'duplicate')),
    assignee_id    uuid REFERENCES users (id) ON DELETE SET NULL,
    updated_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_by     uuid REFERENCES users (id) ON DELETE SET NULL,
    CHECK ((status = 'closed') = (resolution IS NOT NULL)),
    UNIQUE (rule_id, group_key, window_start, first_event)
);
-- Pages are newest first by id (UUIDv7: time-ordered), through the key.
CREATE INDEX alerts_open ON alerts (id) WHERE status <> 'closed';
CREATE INDEX alerts_rule ON alerts (rule_slug, id);

-- Everything that happened to an alert after it was raised, in order.
CREATE TABLE alert_activity (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alert_id  uuid NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    at        timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor_id  uuid REFERENCES users (id) ON DELETE SET NULL,
    actor     text NOT NULL,
    kind      text NOT NULL CHECK (kind IN ('status', 'assignee', 'comment')),
    detail    jsonb NOT NULL
);
CREATE INDEX alert_activity_alert ON alert_activity (alert_id, id);

-- New alerts wake whoever shows or forwards them.
CREATE FUNCTION vigil_notify_alerts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('vigil_alerts', '');
    RETURN NULL;
END
$$;
CREATE TRIGGER alerts_raised AFTER INSERT ON alerts
    FOR EACH STATEMENT EXECUTE FUNCTION vigil_notify_alerts();
