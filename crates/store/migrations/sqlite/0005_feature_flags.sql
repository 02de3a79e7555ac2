-- 0005_feature_flags (sqlite): feature flags (current value) and their append-only change history.
CREATE TABLE feature_flags (
    name                 TEXT    PRIMARY KEY,
    stage                TEXT    NOT NULL,
    percent              INTEGER NOT NULL DEFAULT 0,
    staff                TEXT    NOT NULL DEFAULT '[]',
    version              INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    updated_by           TEXT    NOT NULL,
    reason               TEXT    NOT NULL,
    rolled_back_at       INTEGER,
    rolled_back_reason   TEXT,
    rolled_back_figures  TEXT
);

CREATE TABLE feature_flag_changes (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL,
    at            INTEGER NOT NULL,
    actor         TEXT    NOT NULL,
    from_stage    TEXT,
    from_percent  INTEGER,
    to_stage      TEXT    NOT NULL,
    to_percent    INTEGER NOT NULL,
    staff         TEXT    NOT NULL,
    reason        TEXT    NOT NULL,
    automatic     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX feature_flag_changes_by_name ON feature_flag_changes (name, id);
CREATE INDEX shipments_by_updated ON shipments (updated_at);
