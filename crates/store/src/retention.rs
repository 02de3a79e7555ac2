//! Retention: deletes rows that only grow and are no longer needed — used idempotency keys, login
//! attempts, expired sessions and webhook delivery logs — past their configured age. Deletes run in
//! bounded chunks (each its own short statement), so a large backlog never holds a long lock.

use time::OffsetDateTime;

use crate::{Store, StoreError, to_micros};

/// Rows deleted per statement.
pub const CHUNK: i64 = 5_000;

/// Cut-offs: rows older than each are deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cutoffs {
    /// Idempotency keys created before this.
    pub idempotency_keys: OffsetDateTime,
    /// Login attempts made before this.
    pub login_attempts: OffsetDateTime,
    /// Sessions that expired before this.
    pub sessions: OffsetDateTime,
    /// Webhook delivery attempts made before this.
    pub webhook_deliveries: OffsetDateTime,
}

/// How many rows one sweep deleted, per table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    /// From `idempotency_keys`.
    pub idempotency_keys: u64,
    /// From `login_attempts`.
    pub login_attempts: u64,
    /// From `sessions`.
    pub sessions: u64,
    /// From `webhook_deliveries`.
    pub webhook_deliveries: u64,
}

const IDEMPOTENCY: &str = "DELETE FROM idempotency_keys WHERE (scope, key) IN
    (SELECT scope, key FROM idempotency_keys WHERE created_at < $1 ORDER BY created_at LIMIT $2)";
const LOGIN_ATTEMPTS: &str = "DELETE FROM login_attempts WHERE id IN
    (SELECT id FROM login_attempts WHERE at < $1 ORDER BY at LIMIT $2)";
const SESSIONS: &str = "DELETE FROM sessions WHERE token_hash IN
    (SELECT token_hash FROM sessions WHERE expires_at < $1 ORDER BY expires_at LIMIT $2)";
const WEBHOOK_DELIVERIES: &str = "DELETE FROM webhook_deliveries WHERE id IN
    (SELECT id FROM webhook_deliveries WHERE at < $1 ORDER BY at LIMIT $2)";

/// Deletes everything older than `cutoffs`, [`CHUNK`] rows per statement.
pub async fn sweep(store: &Store, cutoffs: &Cutoffs) -> Result<Swept, StoreError> {
    Ok(Swept {
        idempotency_keys: drain(store, IDEMPOTENCY, cutoffs.idempotency_keys).await?,
        login_attempts: drain(store, LOGIN_ATTEMPTS, cutoffs.login_attempts).await?,
        sessions: drain(store, SESSIONS, cutoffs.sessions).await?,
        webhook_deliveries: drain(store, WEBHOOK_DELIVERIES, cutoffs.webhook_deliveries).await?,
    })
}

async fn drain(
    store: &Store,
    sql: &'static str,
    before: OffsetDateTime,
) -> Result<u64, StoreError> {
    let mut total = 0;
    loop {
        let done = sqlx::query(sql)
            .bind(to_micros(before))
            .bind(CHUNK)
            .execute(store.writer())
            .await?
            .rows_affected();
        total += done;
        if done < u64::try_from(CHUNK).unwrap_or(u64::MAX) {
            return Ok(total);
        }
        // Let other writers in between chunks (SQLite has one writer connection).
        tokio::task::yield_now().await;
    }
}
