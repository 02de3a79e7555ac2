-- Orderly schema, SQLite flavour. Times are unix microseconds (UTC); money is integer paise.
CREATE TABLE orders (
    id                     INTEGER PRIMARY KEY,
    order_number           TEXT    NOT NULL UNIQUE,
    placed_at              INTEGER NOT NULL,
    received_at            INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL,
    status                 TEXT    NOT NULL,
    version                INTEGER NOT NULL DEFAULT 1,
    customer_ref           TEXT,
    customer_name          TEXT    NOT NULL,
    email                  TEXT    NOT NULL,
    phone                  TEXT    NOT NULL,
    ship_name              TEXT    NOT NULL,
    ship_line1             TEXT    NOT NULL,
    ship_line2             TEXT,
    ship_city              TEXT    NOT NULL,
    ship_state             TEXT    NOT NULL,
    ship_pincode           TEXT    NOT NULL,
    ship_country           TEXT    NOT NULL,
    billing_json           TEXT,
    items_subtotal_paise   INTEGER NOT NULL,
    tax_paise              INTEGER NOT NULL,
    shipping_paise         INTEGER NOT NULL,
    discount_paise         INTEGER NOT NULL,
    total_paise            INTEGER NOT NULL,
    payment_method         TEXT    NOT NULL,
    payment_status         TEXT    NOT NULL,
    weight_g               INTEGER,
    length_mm              INTEGER,
    breadth_mm             INTEGER,
    height_mm              INTEGER,
    content_hash           TEXT    NOT NULL,
    address_suspect        TEXT,
    shipment_failed        TEXT,
    pickup_error           TEXT,
    ndr                    TEXT,
    awb                    TEXT,
    courier_name           TEXT,
    tracking_url           TEXT,
    shipped_at             INTEGER,
    delivered_at           INTEGER,
    cancelled_at           INTEGER,
    tracking_status        TEXT,
    last_tracking_at       INTEGER,
    seen_at                INTEGER
);
CREATE INDEX orders_by_placed        ON orders (placed_at DESC, id DESC);
CREATE INDEX orders_by_status_placed ON orders (status, placed_at DESC, id DESC);
CREATE INDEX orders_by_email         ON orders (email);
CREATE INDEX orders_by_phone         ON orders (phone);
CREATE INDEX orders_failed           ON orders (placed_at DESC, id DESC) WHERE shipment_failed IS NOT NULL;

CREATE TABLE order_items (
    order_id          INTEGER NOT NULL REFERENCES orders (id),
    line_no           INTEGER NOT NULL,
    sku               TEXT    NOT NULL,
    name              TEXT    NOT NULL,
    units             INTEGER NOT NULL,
    unit_price_paise  INTEGER NOT NULL,
    tax_rate_bps      INTEGER NOT NULL,
    tax_paise         INTEGER NOT NULL,
    hsn_code          TEXT,
    PRIMARY KEY (order_id, line_no)
);

CREATE TABLE order_status_history (
    id           INTEGER PRIMARY KEY,
    order_id     INTEGER NOT NULL REFERENCES orders (id),
    from_status  TEXT,
    to_status    TEXT    NOT NULL,
    actor        TEXT    NOT NULL,
    reason       TEXT,
    at           INTEGER NOT NULL
);
CREATE INDEX status_history_by_order ON order_status_history (order_id, id);

CREATE TABLE shipments (
    id                   INTEGER PRIMARY KEY,
    order_id             INTEGER NOT NULL REFERENCES orders (id),
    attempt              INTEGER NOT NULL,
    step                 TEXT    NOT NULL,
    channel_order_id     TEXT    NOT NULL,
    policy               TEXT,
    requested_courier_id INTEGER,
    sr_order_id          INTEGER,
    sr_shipment_id       INTEGER,
    quotes_json          TEXT,
    choice_explanation   TEXT,
    refused_couriers     TEXT    NOT NULL DEFAULT '[]',
    courier_id           INTEGER,
    courier_name         TEXT,
    awb                  TEXT,
    tracking_url         TEXT,
    assign_attempts      INTEGER NOT NULL DEFAULT 0,
    pickup_token         TEXT,
    pickup_scheduled_for TEXT,
    label_url            TEXT,
    manifest_url         TEXT,
    picked_up_at         INTEGER,
    failure_class        TEXT,
    failure_message      TEXT,
    failure_excerpt      TEXT,
    retry_count          INTEGER NOT NULL DEFAULT 0,
    next_attempt_at      INTEGER,
    lease_until          INTEGER,
    batch_id             INTEGER,
    actor                TEXT    NOT NULL,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    UNIQUE (order_id, attempt)
);
CREATE INDEX shipments_open ON shipments (next_attempt_at) WHERE step NOT IN ('done', 'failed', 'cancelled');
CREATE INDEX shipments_by_awb ON shipments (awb) WHERE awb IS NOT NULL;

CREATE TABLE audit_head (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    seq   INTEGER NOT NULL,
    hash  TEXT    NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE audit_log (
    seq        INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    actor      TEXT    NOT NULL,
    action     TEXT    NOT NULL,
    entity     TEXT    NOT NULL,
    entity_id  TEXT    NOT NULL,
    detail     TEXT    NOT NULL,
    prev_hash  TEXT    NOT NULL,
    hash       TEXT    NOT NULL
);
CREATE INDEX audit_by_entity ON audit_log (entity, entity_id);

CREATE TABLE processed_events (
    event_id      TEXT    PRIMARY KEY,
    source        TEXT    NOT NULL,
    order_id      INTEGER NOT NULL REFERENCES orders (id),
    content_hash  TEXT    NOT NULL,
    received_at   INTEGER NOT NULL
);

CREATE TABLE outbox (
    seq           INTEGER PRIMARY KEY,
    event_id      TEXT    NOT NULL UNIQUE,
    event_type    TEXT    NOT NULL,
    event_version INTEGER NOT NULL,
    order_id      INTEGER REFERENCES orders (id),
    order_number  TEXT,
    occurred_at   INTEGER NOT NULL,
    payload       TEXT    NOT NULL
);

CREATE TABLE api_keys (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL,
    prefix      TEXT    NOT NULL UNIQUE,
    key_hash    TEXT    NOT NULL,
    scopes      TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);
