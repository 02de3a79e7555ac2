//! Attempts *waiting for Shiprocket*: when Shiprocket is down for everyone (circuit open, 5xx,
//! timeouts), the saga parks an attempt instead of failing it. A parked attempt is not due
//! ([`super::runnable`] skips it) and not settled (the rollback guard does not judge it); the worker
//! probes Shiprocket with one cheap call and, when it answers, [`resume_waiting`] puts every parked
//! attempt back in the queue. The state is in the `shipments` row, so a restart keeps it.

use sqlx::{AnyConnection, Row};
use time::OffsetDateTime;

use crate::{Store, StoreError, from_micros, to_micros};

/// The outage as the parked attempts see it (for the dashboard banner and the API).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    /// When the oldest parked attempt was parked: Shiprocket has been failing since then.
    pub since: OffsetDateTime,
    /// Attempts parked now.
    pub attempts: i64,
    /// The newest reason, as an operator reads it (no customer data).
    pub reason: Option<String>,
}

/// Parks attempt `id` (if it is still in `expect_step`) as waiting for Shiprocket: keeps the first
/// `waiting_since`, records `reason`, and clears any retry time. False when the attempt moved on.
pub async fn park(
    conn: &mut AnyConnection,
    id: i64,
    expect_step: &str,
    reason: &str,
    at: OffsetDateTime,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE shipments SET waiting_since = COALESCE(waiting_since, $1), waiting_reason = $2,
            next_attempt_at = NULL, updated_at = $1
         WHERE id = $3 AND step = $4",
    )
    .bind(to_micros(at))
    .bind(reason)
    .bind(id)
    .bind(expect_step)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The current outage, or `None` when no unfinished attempt is waiting for Shiprocket.
pub async fn waiting(store: &Store) -> Result<Option<Waiting>, StoreError> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n, MIN(waiting_since) AS since FROM shipments
         WHERE waiting_since IS NOT NULL AND step NOT IN ('done', 'failed', 'cancelled')",
    )
    .fetch_one(store.reader())
    .await?;
    let n: i64 = row.try_get("n")?;
    let since: Option<i64> = row.try_get("since")?;
    let Some(since) = since.filter(|_| n > 0) else {
        return Ok(None);
    };
    let reason = sqlx::query(
        "SELECT waiting_reason FROM shipments
         WHERE waiting_since IS NOT NULL AND step NOT IN ('done', 'failed', 'cancelled')
         ORDER BY updated_at DESC, id DESC LIMIT 1",
    )
    .fetch_optional(store.reader())
    .await?
    .map(|r| r.try_get::<Option<String>, _>("waiting_reason"))
    .transpose()?
    .flatten();
    Ok(Some(Waiting {
        since: from_micros(since),
        attempts: n,
        reason,
    }))
}

/// Puts every parked attempt back in the queue (Shiprocket answered again); returns how many.
pub async fn resume_waiting(store: &Store, at: OffsetDateTime) -> Result<u64, StoreError> {
    let done = sqlx::query(
        "UPDATE shipments SET waiting_since = NULL, waiting_reason = NULL, next_attempt_at = NULL,
            updated_at = $1
         WHERE waiting_since IS NOT NULL",
    )
    .bind(to_micros(at))
    .execute(store.writer())
    .await?;
    Ok(done.rows_affected())
}
