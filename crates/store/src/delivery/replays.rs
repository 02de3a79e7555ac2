//! Replays: an operator asks for one stored event to be sent again (same envelope, same id) to one
//! or every enabled endpoint. Replays run beside the in-order stream and never move its cursor;
//! they are retried on the same schedule and logged in the same attempt log (`replay = true`).

use sqlx::Row;
use time::OffsetDateTime;

use super::endpoints::{Attempt, backoff};
use super::log::log_attempt;
use super::{OutboxEvent, event_by_id};
use crate::audit::{self, AuditEntry};
use crate::{Store, StoreError, to_micros};

/// Queues a replay of `event_id` to `endpoint` (or every enabled endpoint). `None` when the event
/// is unknown; otherwise the endpoints it was queued for (empty when none matched).
pub async fn replay(
    store: &Store,
    event_id: &str,
    endpoint: Option<i64>,
    now: OffsetDateTime,
    actor: &str,
) -> Result<Option<Vec<i64>>, StoreError> {
    let Some(event) = event_by_id(store, event_id).await? else {
        return Ok(None);
    };
    let mut tx = store.begin().await?;
    let rows = sqlx::query(
        "INSERT INTO webhook_replays (endpoint_id, seq, requested_at, next_attempt_at)
         SELECT id, $1, $2, $2 FROM webhook_endpoints
         WHERE enabled = 1 AND ($3 = 0 OR id = $3)
         RETURNING endpoint_id",
    )
    .bind(event.seq)
    .bind(to_micros(now))
    .bind(endpoint.unwrap_or(0))
    .fetch_all(&mut *tx)
    .await?;
    let ids = rows
        .iter()
        .map(|r| r.try_get::<i64, _>("endpoint_id"))
        .collect::<Result<Vec<_>, _>>()?;
    audit::append(
        &mut tx,
        &AuditEntry {
            at: now,
            actor,
            action: "event.replayed",
            entity: "event",
            entity_id: event_id,
            detail: serde_json::json!({ "endpoints": ids }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Some(ids))
}

/// A replay claimed by a worker, with what it needs to send it.
#[derive(Debug, Clone)]
pub struct DueReplay {
    /// The replay's id.
    pub id: i64,
    /// The target endpoint.
    pub endpoint_id: i64,
    /// Its URL.
    pub url: String,
    /// Its signing secret.
    pub secret: String,
    /// Attempts made so far.
    pub attempts: i64,
    /// The event to send.
    pub event: OutboxEvent,
}

/// Claims up to `limit` replays due at `now` (each for `lease` so no other worker sends it too).
pub async fn due_replays(
    store: &Store,
    now: OffsetDateTime,
    lease: time::Duration,
    limit: i64,
) -> Result<Vec<DueReplay>, StoreError> {
    let rows = sqlx::query(
        "SELECT r.id, r.endpoint_id, r.attempts, r.next_attempt_at, e.url, e.secret,
                o.seq, o.event_id, o.event_type, o.event_version, o.order_number, o.occurred_at, o.payload
         FROM webhook_replays r
         JOIN webhook_endpoints e ON e.id = r.endpoint_id
         JOIN outbox o ON o.seq = r.seq
         WHERE r.done_at IS NULL AND r.next_attempt_at <= $1 AND e.enabled = 1
         ORDER BY r.id LIMIT $2",
    )
    .bind(to_micros(now))
    .bind(limit.max(1))
    .fetch_all(store.reader())
    .await?;
    let mut out = Vec::new();
    for r in rows {
        let id: i64 = r.try_get("id")?;
        let claimed = sqlx::query(
            "UPDATE webhook_replays SET next_attempt_at = $1 WHERE id = $2 AND next_attempt_at = $3 AND done_at IS NULL",
        )
        .bind(to_micros(now + lease))
        .bind(id)
        .bind(r.try_get::<i64, _>("next_attempt_at")?)
        .execute(store.writer())
        .await?;
        if claimed.rows_affected() != 1 {
            continue;
        }
        out.push(DueReplay {
            id,
            endpoint_id: r.try_get("endpoint_id")?,
            url: r.try_get("url")?,
            secret: r.try_get("secret")?,
            attempts: r.try_get("attempts")?,
            event: super::event_from(&r)?,
        });
    }
    Ok(out)
}

/// Records a replay attempt: done on success or after the last attempt, otherwise rescheduled.
pub async fn record_replay(
    store: &Store,
    replay: &DueReplay,
    attempt: &Attempt,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    let attempt_no = replay.attempts + 1;
    let retry_at = (!attempt.ok).then(|| backoff(attempt_no)).flatten();
    let outcome = match (attempt.ok, retry_at) {
        (true, _) => "delivered",
        (false, Some(_)) => "failed",
        (false, None) => "dead",
    };
    let mut tx = store.begin().await?;
    log_attempt(
        &mut tx,
        replay.endpoint_id,
        attempt,
        attempt_no,
        true,
        outcome,
        now,
    )
    .await?;
    sqlx::query(
        "UPDATE webhook_replays SET attempts = $1, next_attempt_at = $2,
             done_at = CASE WHEN $3 = 1 THEN $4 ELSE NULL END
         WHERE id = $5",
    )
    .bind(attempt_no)
    .bind(to_micros(retry_at.map(|w| now + w).unwrap_or(now)))
    .bind(i64::from(retry_at.is_none()))
    .bind(to_micros(now))
    .bind(replay.id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}
