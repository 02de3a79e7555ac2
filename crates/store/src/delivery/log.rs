//! The append-only attempt log: one row per HTTP attempt (ordered stream and replays alike).

use serde::Serialize;
use sqlx::Row;
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::endpoints::Attempt;
use crate::{Store, StoreError, from_micros, to_micros};

/// Appends one row to the attempt log.
pub(crate) async fn log_attempt(
    tx: &mut crate::Tx<'_>,
    endpoint_id: i64,
    a: &Attempt,
    attempt_no: i64,
    replay: bool,
    outcome: &str,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO webhook_deliveries
             (endpoint_id, seq, event_id, attempt, replay, at, outcome, status_code, error, duration_us)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(endpoint_id)
    .bind(a.seq)
    .bind(&a.event_id)
    .bind(attempt_no)
    .bind(i64::from(replay))
    .bind(to_micros(now))
    .bind(outcome)
    .bind(a.status_code.map(i64::from))
    .bind(a.error.as_deref().map(|e| e.chars().take(200).collect::<String>()))
    .bind(i64::try_from(a.duration.as_micros()).unwrap_or(i64::MAX))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// One logged attempt.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeliveryLog {
    /// Log row id.
    pub id: i64,
    /// The event's outbox seq.
    pub seq: i64,
    /// The event id.
    pub event_id: String,
    /// 1 for the first try of this event.
    pub attempt: i64,
    /// True for a replay.
    pub replay: bool,
    /// When the attempt finished.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    /// `delivered`, `failed` (will retry) or `dead` (given up).
    pub outcome: String,
    /// The HTTP status, when one came back.
    pub status_code: Option<i64>,
    /// What went wrong.
    pub error: Option<String>,
    /// Request duration in milliseconds.
    pub duration_ms: f64,
}

/// The newest `limit` attempts for an endpoint, newest first.
pub async fn deliveries(
    store: &Store,
    endpoint_id: i64,
    limit: i64,
) -> Result<Vec<DeliveryLog>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, seq, event_id, attempt, replay, at, outcome, status_code, error, duration_us
         FROM webhook_deliveries WHERE endpoint_id = $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(endpoint_id)
    .bind(limit.max(1))
    .fetch_all(store.reader())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(DeliveryLog {
                id: r.try_get("id")?,
                seq: r.try_get("seq")?,
                event_id: r.try_get("event_id")?,
                attempt: r.try_get("attempt")?,
                replay: r.try_get::<i64, _>("replay")? != 0,
                at: from_micros(r.try_get("at")?),
                outcome: r.try_get("outcome")?,
                status_code: r.try_get("status_code")?,
                error: r.try_get("error")?,
                duration_ms: r.try_get::<i64, _>("duration_us")? as f64 / 1000.0,
            })
        })
        .collect()
}
