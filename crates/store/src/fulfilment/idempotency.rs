//! `Idempotency-Key` support: the key is reserved before the action runs (so two concurrent
//! requests with one key execute once), the first answer is stored and returned for every repeat.

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

impl IdempotentResponse {
    /// True while the first request with this key is still running (reserved, no answer yet).
    pub fn is_pending(&self) -> bool {
        self.status == PENDING
    }
}

/// The `status` of a reserved key whose action has not answered yet.
const PENDING: u16 = 0;

/// What [`reserve`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reservation {
    /// The key was free and is now this request's: run the action, then [`complete`] or [`release`].
    Reserved,
    /// Another request holds the key: its answer, or [`IdempotentResponse::is_pending`].
    Taken(IdempotentResponse),
}

/// Reserves `key` in `scope` for a request whose fingerprint hashes to `request_hash`. The
/// unique `(scope, key)` makes this atomic on both engines: exactly one concurrent caller wins.
pub async fn reserve(
    store: &Store,
    scope: &str,
    key: &str,
    request_hash: &str,
    at: OffsetDateTime,
) -> Result<Reservation, StoreError> {
    for _ in 0..3 {
        let inserted = sqlx::query(
            "INSERT INTO idempotency_keys (scope, key, request_hash, status, response, created_at)
             VALUES ($1, $2, $3, $4, '', $5) ON CONFLICT (scope, key) DO NOTHING",
        )
        .bind(scope)
        .bind(key)
        .bind(request_hash)
        .bind(i64::from(PENDING))
        .bind(to_micros(at))
        .execute(store.writer())
        .await?
        .rows_affected();
        if inserted == 1 {
            return Ok(Reservation::Reserved);
        }
        // Taken: read it (unless it was released meanwhile; then try again).
        if let Some(found) = lookup(store, scope, key).await? {
            return Ok(Reservation::Taken(found));
        }
    }
    Err(StoreError::Conflict(
        "an idempotency key kept changing hands".into(),
    ))
}

/// Stores the answer of a reserved key.
pub async fn complete(
    store: &Store,
    scope: &str,
    key: &str,
    response: &IdempotentResponse,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE idempotency_keys SET status = $3, response = $4
         WHERE scope = $1 AND key = $2 AND status = $5",
    )
    .bind(scope)
    .bind(key)
    .bind(i64::from(response.status))
    .bind(&response.body)
    .bind(i64::from(PENDING))
    .execute(store.writer())
    .await?;
    Ok(())
}

/// Frees a reserved key whose action did not answer (an error, or the request went away), so a
/// retry runs it.
pub async fn release(store: &Store, scope: &str, key: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND status = $3")
        .bind(scope)
        .bind(key)
        .bind(i64::from(PENDING))
        .execute(store.writer())
        .await?;
    Ok(())
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
