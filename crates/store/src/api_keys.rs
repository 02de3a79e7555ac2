//! API keys for machine callers: shown once, stored as a SHA-256 hash, looked up by a short
//! public prefix, carrying scopes.

use rand::distr::{Alphanumeric, SampleString};
use sha2::{Digest, Sha256};
use sqlx::Row;
use time::OffsetDateTime;

use crate::audit::{self, AuditEntry};
use crate::{Store, StoreError, to_micros};

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
    let mut rng = rand::rng();
    let prefix = Alphanumeric.sample_string(&mut rng, 8);
    let secret = Alphanumeric.sample_string(&mut rng, 40);
    let key = format!("ok_{prefix}_{secret}");
    let now = OffsetDateTime::now_utc();
    let mut tx = store.begin().await?;
    sqlx::query("INSERT INTO api_keys (name, prefix, key_hash, scopes, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(name)
        .bind(&prefix)
        .bind(hash_key(&key))
        .bind(scopes.join(" "))
        .bind(to_micros(now))
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
            detail: serde_json::json!({ "name": name, "scopes": scopes }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(NewApiKey { key, prefix })
}

/// Checks a presented key; `None` when it is unknown, malformed, revoked or wrong.
pub async fn verify(store: &Store, presented: &str) -> Result<Option<ApiPrincipal>, StoreError> {
    let mut parts = presented.splitn(3, '_');
    let (Some("ok"), Some(prefix), Some(_)) = (parts.next(), parts.next(), parts.next()) else {
        return Ok(None);
    };
    let Some(row) = sqlx::query(
        "SELECT name, key_hash, scopes FROM api_keys WHERE prefix = $1 AND revoked_at IS NULL",
    )
    .bind(prefix)
    .fetch_optional(store.reader())
    .await?
    else {
        return Ok(None);
    };
    let stored: String = row.try_get("key_hash")?;
    let presented_hash = hash_key(presented);
    if !constant_time_eq(stored.as_bytes(), presented_hash.as_bytes()) {
        return Ok(None);
    }
    let scopes: String = row.try_get("scopes")?;
    Ok(Some(ApiPrincipal {
        prefix: prefix.to_string(),
        name: row.try_get("name")?,
        scopes: scopes.split_whitespace().map(str::to_string).collect(),
    }))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    bool::from(subtle::ConstantTimeEq::ct_eq(a, b))
}
