//! `Idempotency-Key` support: the first answer to a key is stored and returned for every repeat.

use sqlx::Row;
use time::OffsetDateTime;

use crate::{Store, StoreError, to_micros};

/// A stored answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotentResponse {
    /// Hash of the request that produced it (a repeat with another body is refused).
    pub request_hash: String,
    /// HTTP status.
    pub status: u16,
    /// Body.
    pub body: String,
}

/// The stored answer for `key` in `scope` (the caller's identity), if any.
pub async fn lookup(
    store: &Store,
    scope: &str,
    key: &str,
) -> Result<Option<IdempotentResponse>, StoreError> {
    let row = sqlx::query(
        "SELECT request_hash, status, response FROM idempotency_keys WHERE scope = $1 AND key = $2",
    )
    .bind(scope)
    .bind(key)
    .fetch_optional(store.writer())
    .await?;
    match row {
        None => Ok(None),
        Some(r) => Ok(Some(IdempotentResponse {
            request_hash: r.try_get("request_hash")?,
            status: u16::try_from(r.try_get::<i64, _>("status")?).unwrap_or(500),
            body: r.try_get("response")?,
        })),
    }
}

/// Stores the first answer for `key`; a concurrent first answer wins and this one is dropped.
pub async fn remember(
    store: &Store,
    scope: &str,
    key: &str,
    response: &IdempotentResponse,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO idempotency_keys (scope, key, request_hash, status, response, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (scope, key) DO NOTHING",
    )
    .bind(scope)
    .bind(key)
    .bind(&response.request_hash)
    .bind(i64::from(response.status))
    .bind(&response.body)
    .bind(to_micros(at))
    .execute(store.writer())
    .await?;
    Ok(())
}
