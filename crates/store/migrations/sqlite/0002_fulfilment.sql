-- Fulfilment: notes, idempotency keys, batches, tracking events (sqlite).
CREATE TABLE order_notes (
    id        INTEGER PRIMARY KEY,
    order_id  INTEGER NOT NULL REFERENCES orders (id),
    author    TEXT    NOT NULL,
    body      TEXT    NOT NULL,
    at        INTEGER NOT NULL
);
CREATE INDEX order_notes_by_order ON order_notes (order_id, id);

CREATE TABLE idempotency_keys (
    scope         TEXT    NOT NULL,
    key           TEXT    NOT NULL,
    request_hash  TEXT    NOT NULL,
    status        INTEGER NOT NULL,
    response      TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
);

CREATE TABLE batches (
    id          INTEGER PRIMARY KEY,
    kind        TEXT    NOT NULL,
    actor       TEXT    NOT NULL,
    total       INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    finished_at INTEGER
);

CREATE TABLE batch_jobs (
    batch_id      INTEGER NOT NULL REFERENCES batches (id),
    position      INTEGER NOT NULL,
    order_number  TEXT    NOT NULL,
    state         TEXT    NOT NULL,
    message       TEXT,
    awb           TEXT,
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (batch_id, position)
);
CREATE INDEX batch_jobs_open ON batch_jobs (state) WHERE state IN ('pending', 'running');

CREATE TABLE tracking_events (
    id            INTEGER PRIMARY KEY,
    dedupe_key    TEXT    NOT NULL UNIQUE,
    awb           TEXT    NOT NULL,
    status_code   INTEGER NOT NULL,
    label         TEXT    NOT NULL,
    scan_at       INTEGER,
    location      TEXT,
    source        TEXT    NOT NULL,
    received_at   INTEGER NOT NULL
);
CREATE INDEX tracking_events_by_awb ON tracking_events (awb, id);
