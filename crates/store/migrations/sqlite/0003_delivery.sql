-- 0003_delivery (sqlite): outbound delivery of outbox events to webhook endpoints and NATS.
-- Each endpoint keeps its own cursor (the last outbox seq it is done with) and the retry state of
-- its head event; a lease lets several worker processes share the table safely.
CREATE TABLE webhook_endpoints (
    id                    INTEGER PRIMARY KEY,
    url                   TEXT    NOT NULL,
    secret                TEXT    NOT NULL,
    description           TEXT,
    enabled               INTEGER NOT NULL DEFAULT 1,
    consecutive_failures  INTEGER NOT NULL DEFAULT 0,
    disabled_reason       TEXT,
    disabled_at           INTEGER,
    created_at            INTEGER NOT NULL,
    cursor_seq            INTEGER NOT NULL,
    head_attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at       INTEGER NOT NULL DEFAULT 0,
    lease_owner           TEXT,
    lease_until           INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE webhook_deliveries (
    id           INTEGER PRIMARY KEY,
    endpoint_id  INTEGER NOT NULL REFERENCES webhook_endpoints (id),
    seq          INTEGER NOT NULL,
    event_id     TEXT    NOT NULL,
    attempt      INTEGER NOT NULL,
    replay       INTEGER NOT NULL DEFAULT 0,
    at           INTEGER NOT NULL,
    outcome      TEXT    NOT NULL,
    status_code  INTEGER,
    error        TEXT,
    duration_us  INTEGER NOT NULL
);
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, id);

CREATE TABLE webhook_replays (
    id               INTEGER PRIMARY KEY,
    endpoint_id      INTEGER NOT NULL REFERENCES webhook_endpoints (id),
    seq              INTEGER NOT NULL,
    requested_at     INTEGER NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    done_at          INTEGER
);
CREATE INDEX webhook_replays_pending ON webhook_replays (next_attempt_at) WHERE done_at IS NULL;

CREATE TABLE delivery_cursors (
    name         TEXT    PRIMARY KEY,
    seq          INTEGER NOT NULL,
    lease_owner  TEXT,
    lease_until  INTEGER NOT NULL DEFAULT 0,
    updated_at   INTEGER NOT NULL
);
