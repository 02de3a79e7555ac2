//! Dashboard accounts: users with a role and an Argon2id hash (hashed by the caller), server-side
//! sessions stored as a SHA-256 of the cookie token with a CSRF token each, and login attempts for
//! rate limiting. Also the "someone opened this order" mark the order list highlights on.

use sha2::{Digest, Sha256};
use sqlx::Row;
use time::OffsetDateTime;

use crate::audit::{self, AuditEntry};
use crate::{Store, StoreError, from_micros, to_micros};

/// What a person may do in the dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Sees everything, changes nothing.
    Viewer,
    /// Acts on orders.
    Operator,
    /// Also manages users, settings and webhooks.
    Admin,
}

impl Role {
    /// The stored, lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }

    /// The role named `s`, if any.
    pub fn parse(s: &str) -> Option<Role> {
        [Role::Viewer, Role::Operator, Role::Admin]
            .into_iter()
            .find(|r| r.as_str() == s)
    }

    /// True when this role may act on orders.
    pub fn can_act(self) -> bool {
        self >= Role::Operator
    }
}

/// A dashboard user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Internal id.
    pub id: i64,
    /// Sign-in email (lower case).
    pub email: String,
    /// What they may do.
    pub role: Role,
}

/// A signed-in user with the session's CSRF token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionUser {
    /// Who.
    pub user: User,
    /// The synchroniser token every form of this session must carry.
    pub csrf_token: String,
    /// When the session ends.
    pub expires_at: OffsetDateTime,
}

/// The stored form of a session token (the cookie value itself is never stored).
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn user_from_row(r: &sqlx::any::AnyRow) -> Result<User, StoreError> {
    let role: String = r.try_get("role")?;
    Ok(User {
        id: r.try_get("id")?,
        email: r.try_get("email")?,
        role: Role::parse(&role).ok_or_else(|| StoreError::Corrupt(format!("role {role:?}")))?,
    })
}

/// Creates a user, or replaces the role and password of the user with that email (ending every
/// session they had, and re-enabling them); audited.
pub async fn upsert_user(
    store: &Store,
    email: &str,
    role: Role,
    password_hash: &str,
    now: OffsetDateTime,
    actor: &str,
) -> Result<User, StoreError> {
    let email = email.trim().to_lowercase();
    let mut tx = store.begin().await?;
    let existing = sqlx::query("SELECT id FROM users WHERE email = $1")
        .bind(&email)
        .fetch_optional(&mut *tx)
        .await?;
    let (id, action) = match existing {
        Some(r) => {
            let id: i64 = r.try_get("id")?;
            sqlx::query(
                "UPDATE users SET role = $1, password_hash = $2, disabled_at = NULL WHERE id = $3",
            )
            .bind(role.as_str())
            .bind(password_hash)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            // A new password or role takes effect everywhere at once: every session ends.
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            (id, "user.updated")
        }
        None => {
            let r = sqlx::query(
                "INSERT INTO users (email, role, password_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(&email)
            .bind(role.as_str())
            .bind(password_hash)
            .bind(to_micros(now))
            .fetch_one(&mut *tx)
            .await?;
            (r.try_get("id")?, "user.created")
        }
    };
    audit::append(
        &mut tx,
        &AuditEntry {
            at: now,
            actor,
            action,
            entity: "user",
            entity_id: &id.to_string(),
            detail: serde_json::json!({ "role": role.as_str() }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(User { id, email, role })
}

/// The enabled user with `email` and their password hash, for signing in.
pub async fn find_for_login(
    store: &Store,
    email: &str,
) -> Result<Option<(User, String)>, StoreError> {
    let row = sqlx::query(
        "SELECT id, email, role, password_hash FROM users WHERE email = $1 AND disabled_at IS NULL",
    )
    .bind(email.trim().to_lowercase())
    .fetch_optional(store.reader())
    .await?;
    match row {
        Some(r) => Ok(Some((user_from_row(&r)?, r.try_get("password_hash")?))),
        None => Ok(None),
    }
}

/// Every user, by email.
pub async fn list_users(store: &Store) -> Result<Vec<User>, StoreError> {
    sqlx::query("SELECT id, email, role FROM users WHERE disabled_at IS NULL ORDER BY email")
        .fetch_all(store.reader())
        .await?
        .iter()
        .map(user_from_row)
        .collect()
}

/// The enabled user with `id`.
pub async fn user_by_id(store: &Store, id: i64) -> Result<Option<User>, StoreError> {
    let row =
        sqlx::query("SELECT id, email, role FROM users WHERE id = $1 AND disabled_at IS NULL")
            .bind(id)
            .fetch_optional(store.reader())
            .await?;
    row.as_ref().map(user_from_row).transpose()
}

/// Disables the enabled user with `email`: they cannot sign in, and every session they had ends.
/// Audited. `None` when there is no such enabled user.
pub async fn disable_user(
    store: &Store,
    email: &str,
    now: OffsetDateTime,
    actor: &str,
) -> Result<Option<User>, StoreError> {
    let email = email.trim().to_lowercase();
    let mut tx = store.begin().await?;
    let Some(row) =
        sqlx::query("SELECT id, email, role FROM users WHERE email = $1 AND disabled_at IS NULL")
            .bind(&email)
            .fetch_optional(&mut *tx)
            .await?
    else {
        return Ok(None);
    };
    let user = user_from_row(&row)?;
    sqlx::query("UPDATE users SET disabled_at = $1 WHERE id = $2")
        .bind(to_micros(now))
        .bind(user.id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user.id)
        .execute(&mut *tx)
        .await?;
    audit::append(
        &mut tx,
        &AuditEntry {
            at: now,
            actor,
            action: "user.disabled",
            entity: "user",
            entity_id: &user.id.to_string(),
            detail: serde_json::json!({}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Some(user))
}

/// Longest email a sign-in attempt is recorded for (RFC 5321's limit on a path); callers refuse
/// longer ones before any work.
pub const MAX_EMAIL: usize = 254;

/// Records a sign-in attempt for `email` (lower-cased) *before* the password is checked, as a
/// failure until [`login_succeeded`] says otherwise; returns its id. Committed at once, so every
/// concurrent attempt counted after it sees it.
pub async fn begin_login_attempt(
    store: &Store,
    email: &str,
    now: OffsetDateTime,
) -> Result<i64, StoreError> {
    let email = email.trim().to_lowercase();
    if email.len() > MAX_EMAIL {
        return Err(StoreError::Corrupt(format!(
            "an email over {MAX_EMAIL} bytes reached the login store"
        )));
    }
    let row = sqlx::query(
        "INSERT INTO login_attempts (email, at, succeeded) VALUES ($1, $2, 0) RETURNING id",
    )
    .bind(email)
    .bind(to_micros(now))
    .fetch_one(store.writer())
    .await?;
    Ok(row.try_get("id")?)
}

/// Marks attempt `id` as a successful sign-in.
pub async fn login_succeeded(store: &Store, id: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE login_attempts SET succeeded = 1 WHERE id = $1")
        .bind(id)
        .execute(store.writer())
        .await?;
    Ok(())
}

/// Failed attempts for `email` since `since` and since its last successful sign-in.
pub async fn recent_failures(
    store: &Store,
    email: &str,
    since: OffsetDateTime,
) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM login_attempts
         WHERE email = $1 AND succeeded = 0 AND at >= $2
           AND at > COALESCE((SELECT MAX(at) FROM login_attempts WHERE email = $1 AND succeeded = 1), 0)",
    )
    .bind(email.trim().to_lowercase())
    .bind(to_micros(since))
    .fetch_one(store.writer())
    .await?;
    Ok(row.try_get("n")?)
}

/// Stores a new session for `user_id` under the hash of `token`.
pub async fn create_session(
    store: &Store,
    user_id: i64,
    token: &str,
    csrf_token: &str,
    now: OffsetDateTime,
    expires_at: OffsetDateTime,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(token_hash(token))
    .bind(user_id)
    .bind(csrf_token)
    .bind(to_micros(now))
    .bind(to_micros(expires_at))
    .execute(store.writer())
    .await?;
    Ok(())
}

/// The user behind a session cookie, unless the session is unknown, expired or the user disabled.
pub async fn session(
    store: &Store,
    token: &str,
    now: OffsetDateTime,
) -> Result<Option<SessionUser>, StoreError> {
    let row = sqlx::query(
        "SELECT u.id, u.email, u.role, s.csrf_token, s.expires_at FROM sessions s
         JOIN users u ON u.id = s.user_id
         WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.disabled_at IS NULL",
    )
    .bind(token_hash(token))
    .bind(to_micros(now))
    .fetch_optional(store.reader())
    .await?;
    match row {
        Some(r) => Ok(Some(SessionUser {
            user: user_from_row(&r)?,
            csrf_token: r.try_get("csrf_token")?,
            expires_at: from_micros(r.try_get("expires_at")?),
        })),
        None => Ok(None),
    }
}

/// Ends a session (sign-out); also sweeps expired sessions.
pub async fn delete_session(
    store: &Store,
    token: &str,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1 OR expires_at <= $2")
        .bind(token_hash(token))
        .bind(to_micros(now))
        .execute(store.writer())
        .await?;
    Ok(())
}

/// Marks an order as opened by someone (it stops being highlighted as new). Idempotent and cheap:
/// only the first opening writes.
pub async fn mark_order_seen(
    store: &Store,
    order_number: &str,
    now: OffsetDateTime,
) -> Result<bool, StoreError> {
    let done =
        sqlx::query("UPDATE orders SET seen_at = $1 WHERE order_number = $2 AND seen_at IS NULL")
            .bind(to_micros(now))
            .bind(order_number)
            .execute(store.writer())
            .await?;
    Ok(done.rows_affected() > 0)
}
