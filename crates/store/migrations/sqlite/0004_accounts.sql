-- 0004_accounts (sqlite): dashboard users, their sessions (stored hashed) and login attempts.
CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    email          TEXT    NOT NULL UNIQUE,
    role           TEXT    NOT NULL,
    password_hash  TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    disabled_at    INTEGER
);

CREATE TABLE sessions (
    token_hash  TEXT    PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    csrf_token  TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

CREATE TABLE login_attempts (
    id         INTEGER PRIMARY KEY,
    email      TEXT    NOT NULL,
    at         INTEGER NOT NULL,
    succeeded  INTEGER NOT NULL
);
CREATE INDEX login_attempts_by_email ON login_attempts (email, at);
