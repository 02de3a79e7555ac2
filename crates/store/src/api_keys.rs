//! API keys for machine callers: shown once, stored as a SHA-256 hash, looked up by a short
//! public prefix, carrying scopes, optionally expiring; listed and revoked by admins. When a key
//! was last used is recorded at most once a minute per key, not on every request.

use rand::distr::{Alphanumeric, SampleString};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::audit::{self, AuditEntry};
use crate::{Store, StoreError, from_micros, to_micros};

/// How stale `last_used_at` may get before a request writes it again.
pub const LAST_USED_GRANULARITY: time::Duration = time::Duration::minutes(1);

/// A key as the caller sees it once: `ok_<prefix>_<secret>`.
#[derive(Clone)]
pub struct NewApiKey {
    /// The whole key. Shown once; never stored.
    pub key: String,
    /// The public prefix (safe to log).
    pub prefix: String,
}

impl std::fmt::Debug for NewApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewApiKey")
            .field("prefix", &self.prefix)
            .field("key", &"***")
            .finish()
    }
}

/// A verified caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiPrincipal {
    /// The key's public prefix, used as the actor in history and audit.
    pub prefix: String,
    /// The key's name.
    pub name: String,
    /// Scopes such as `orders:read`.
    pub scopes: Vec<String>,
}

impl ApiPrincipal {
    /// True when the key carries `scope` (or `*`).
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope || s == "*")
    }
}

fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// Creates a key named `name` with `scopes` and records it in the audit log.
pub async fn create(
    store: &Store,
    name: &str,
    scopes: &[String],
    actor: &str,
) -> Result<NewApiKey, StoreError> {
    create_expiring(store, name, scopes, None, OffsetDateTime::now_utc(), actor).await
}

/// Creates a key that stops working at `expires_at` (never when `None`); audited.
pub async fn create_expiring(
    store: &Store,
    name: &str,
    scopes: &[String],
    expires_at: Option<OffsetDateTime>,
    now: OffsetDateTime,
    actor: &str,
) -> Result<NewApiKey, StoreError> {
    let (prefix, key) = generate();
    let mut tx = store.begin().await?;
    sqlx::query("INSERT INTO api_keys (name, prefix, key_hash, scopes, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(name)
        .bind(&prefix)
        .bind(hash_key(&key))
        .bind(scopes.join(" "))
        .bind(to_micros(now))
        .bind(expires_at.map(to_micros))
        .execute(&mut *tx)
        .await?;
    audit::append(
        &mut tx,
        &AuditEntry {
            at: now,
            actor,
            action: "apikey.created",
            entity: "apikey",
            entity_id: &prefix,
            detail: serde_json::json!({
                "name": name,
                "scopes": scopes,
                "expires_at": expires_at.map(to_micros),
            }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(NewApiKey { key, prefix })
}

/// A fresh `(prefix, key)` (the thread-local generator never lives across an await).
fn generate() -> (String, String) {
    let mut rng = rand::rng();
    let prefix = Alphanumeric.sample_string(&mut rng, 8);
    let secret = Alphanumeric.sample_string(&mut rng, 40);
    let key = format!("ok_{prefix}_{secret}");
    (prefix, key)
}

/// What a presented key turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyCheck {
    /// A live key.
    Valid(ApiPrincipal),
    /// A real key past its expiry.
    Expired,
    /// Unknown, malformed, wrong or revoked (never said which).
    Refused,
}

/// A key as admins see it (never the key or its hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ApiKeyInfo {
    /// The public prefix (`ok_<prefix>_…`).
    pub prefix: String,
    /// The name given at creation.
    pub name: String,
    /// Scopes.
    pub scopes: Vec<String>,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    /// When it was last used (to the minute); null if never.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_used_at: Option<OffsetDateTime>,
    /// When it stops working; null if never.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<OffsetDateTime>,
    /// When it was revoked; null while active.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<OffsetDateTime>,
}

impl ApiKeyInfo {
    /// `active`, `expired` or `revoked` at `now`.
    pub fn state(&self, now: OffsetDateTime) -> &'static str {
        if self.revoked_at.is_some() {
            "revoked"
        } else if self.expires_at.is_some_and(|e| e <= now) {
            "expired"
        } else {
            "active"
        }
    }
}

fn info_from_row(r: &sqlx::any::AnyRow) -> Result<ApiKeyInfo, StoreError> {
    let scopes: String = r.try_get("scopes")?;
    let at = |col: &str| -> Result<Option<OffsetDateTime>, StoreError> {
        Ok(r.try_get::<Option<i64>, _>(col)?.map(from_micros))
    };
    Ok(ApiKeyInfo {
        prefix: r.try_get("prefix")?,
        name: r.try_get("name")?,
        scopes: scopes.split_whitespace().map(str::to_string).collect(),
        created_at: from_micros(r.try_get("created_at")?),
        last_used_at: at("last_used_at")?,
        expires_at: at("expires_at")?,
        revoked_at: at("revoked_at")?,
    })
}

/// Every key, newest first, revoked ones included.
pub async fn list(store: &Store) -> Result<Vec<ApiKeyInfo>, StoreError> {
    sqlx::query(
        "SELECT prefix, name, scopes, created_at, last_used_at, expires_at, revoked_at FROM api_keys
         ORDER BY created_at DESC, id DESC",
    )
    .fetch_all(store.reader())
    .await?
    .iter()
    .map(info_from_row)
    .collect()
}

/// Revokes the key with `prefix` (it is refused from now on); audited. `None` when there is no
/// such key; revoking a revoked key changes nothing and answers it as it is.
pub async fn revoke(
    store: &Store,
    prefix: &str,
    now: OffsetDateTime,
    actor: &str,
) -> Result<Option<ApiKeyInfo>, StoreError> {
    let mut tx = store.begin().await?;
    let done =
        sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE prefix = $2 AND revoked_at IS NULL")
            .bind(to_micros(now))
            .bind(prefix)
            .execute(&mut *tx)
            .await?;
    if done.rows_affected() > 0 {
        audit::append(
            &mut tx,
            &AuditEntry {
                at: now,
                actor,
                action: "apikey.revoked",
                entity: "apikey",
                entity_id: prefix,
                detail: serde_json::json!({}),
            },
        )
        .await?;
    }
    let row = sqlx::query(
        "SELECT prefix, name, scopes, created_at, last_used_at, expires_at, revoked_at FROM api_keys
         WHERE prefix = $1",
    )
        .bind(prefix)
        .fetch_optional(&mut *tx)
        .await?;
    tx.commit().await?;
    row.as_ref().map(info_from_row).transpose()
}

/// Checks a presented key at `now`: valid, expired, or refused. A valid key's `last_used_at` is
/// written when it is older than [`LAST_USED_GRANULARITY`] (so at most about once a minute).
pub async fn check(
    store: &Store,
    presented: &str,
    now: OffsetDateTime,
) -> Result<KeyCheck, StoreError> {
    let mut parts = presented.splitn(3, '_');
    let (Some("ok"), Some(prefix), Some(_)) = (parts.next(), parts.next(), parts.next()) else {
        return Ok(KeyCheck::Refused);
    };
    let Some(row) = sqlx::query(
        "SELECT name, key_hash, scopes, expires_at, last_used_at FROM api_keys WHERE prefix = $1 AND revoked_at IS NULL",
    )
    .bind(prefix)
    .fetch_optional(store.reader())
    .await?
    else {
        return Ok(KeyCheck::Refused);
    };
    let stored: String = row.try_get("key_hash")?;
    let presented_hash = hash_key(presented);
    if !constant_time_eq(stored.as_bytes(), presented_hash.as_bytes()) {
        return Ok(KeyCheck::Refused);
    }
    let expires_at: Option<i64> = row.try_get("expires_at")?;
    if expires_at.is_some_and(|e| e <= to_micros(now)) {
        return Ok(KeyCheck::Expired);
    }
    let last_used: Option<i64> = row.try_get("last_used_at")?;
    let stale_before = to_micros(now - LAST_USED_GRANULARITY);
    if last_used.is_none_or(|t| t <= stale_before) {
        // Concurrent requests may all see a stale value; the condition makes all but one no-ops.
        sqlx::query(
            "UPDATE api_keys SET last_used_at = $1 WHERE prefix = $2 AND (last_used_at IS NULL OR last_used_at <= $3)",
        )
        .bind(to_micros(now))
        .bind(prefix)
        .bind(stale_before)
        .execute(store.writer())
        .await?;
    }
    let scopes: String = row.try_get("scopes")?;
    Ok(KeyCheck::Valid(ApiPrincipal {
        prefix: prefix.to_string(),
        name: row.try_get("name")?,
        scopes: scopes.split_whitespace().map(str::to_string).collect(),
    }))
}

/// Checks a presented key now; `None` when it is unknown, malformed, revoked, expired or wrong.
pub async fn verify(store: &Store, presented: &str) -> Result<Option<ApiPrincipal>, StoreError> {
    match check(store, presented, OffsetDateTime::now_utc()).await? {
        KeyCheck::Valid(p) => Ok(Some(p)),
        KeyCheck::Expired | KeyCheck::Refused => Ok(None),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    bool::from(subtle::ConstantTimeEq::ct_eq(a, b))
}
