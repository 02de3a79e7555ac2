//! Orderly's storage: one SQL text for SQLite (the default) and PostgreSQL, through sqlx's `Any` driver.
//!
//! Every query is written once with `$N` placeholders and runs on both engines; only the DDL differs
//! (`migrations/sqlite`, `migrations/postgres`). Times are stored as unix microseconds (UTC) and money
//! as integer paise, so both engines see the same plain integer columns.

pub mod accounts;
pub mod api_keys;
pub mod audit;
pub mod bulk;
mod bulk_sqlite;
pub mod delivery;
pub mod flags;
pub mod fulfilment;
mod migrate;
pub mod orders;
pub mod outbox;
mod pool;
pub mod retention;
pub mod testing;

pub use pool::{Engine, Store, StoreOptions};

use time::OffsetDateTime;

/// A transaction on either engine.
pub type Tx<'c> = sqlx::Transaction<'c, sqlx::Any>;

/// What can go wrong in the store. Internal text is for logs, never for users.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed the statement.
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    /// A row that the code expects is missing.
    #[error("not found")]
    NotFound,
    /// The caller's view of the row is stale (optimistic concurrency).
    #[error("version conflict: {0}")]
    Conflict(String),
    /// A stored value could not be turned back into a domain value.
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
    /// The SQLite bulk loader failed.
    #[error("bulk load: {0}")]
    Bulk(String),
    /// The migrations on disk do not match what the database has applied.
    #[error("migration error: {0}")]
    Migration(String),
}

impl StoreError {
    /// True when the error is transient lock contention worth retrying
    /// (SQLite `BUSY`/`LOCKED`, PostgreSQL serialization failure or deadlock).
    pub fn is_busy(&self) -> bool {
        match self {
            StoreError::Db(e) => is_busy(e),
            _ => false,
        }
    }
}

/// True for SQLite busy/locked and PostgreSQL serialization/deadlock errors.
pub(crate) fn is_busy(e: &sqlx::Error) -> bool {
    let Some(db) = e.as_database_error() else {
        return matches!(e, sqlx::Error::PoolTimedOut);
    };
    match db.code() {
        Some(code) => {
            let code = code.as_ref();
            // SQLite primary codes 5 (BUSY) and 6 (LOCKED) and their extended forms.
            let sqlite_busy = code
                .parse::<i64>()
                .map(|c| matches!(c & 0xff, 5 | 6))
                .unwrap_or(false);
            sqlite_busy || code == "40001" || code == "40P01"
        }
        None => db.message().contains("database is locked"),
    }
}

/// Unix microseconds of a UTC instant, the storage form of every time.
pub fn to_micros(t: OffsetDateTime) -> i64 {
    let nanos = t.unix_timestamp_nanos() / 1000;
    i64::try_from(nanos).unwrap_or(i64::MAX)
}

/// The UTC instant for stored unix microseconds.
pub fn from_micros(us: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Runs `op` again (with a short backoff) while it fails with lock contention, at most `tries` times.
/// A busy SQLite database is retried, never reported as a failure while retries remain.
pub async fn retry_busy<T, F, Fut>(tries: u32, mut op: F) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, StoreError>>,
{
    let mut attempt = 0u32;
    loop {
        match op().await {
            Err(e) if e.is_busy() && attempt + 1 < tries => {
                attempt += 1;
                let backoff = 5u64.saturating_mul(1 << attempt.min(6));
                tracing::debug!(attempt, "database busy; retrying");
                tokio::time::sleep(std::time::Duration::from_millis(backoff)).await;
            }
            other => return other,
        }
    }
}
