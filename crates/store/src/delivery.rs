//! Outbound delivery of outbox events: reading the outbox in seq order (never skipping a row that is
//! still being committed), named cursors for NATS publishing and the pull feed, and how far behind
//! each consumer is. Webhook endpoints, their attempt log and replays are in the submodules.
//!
//! **Gaps.** On PostgreSQL an identity value is taken when the row is inserted, not when it commits,
//! so a reader can see seq 11 while seq 10 is still in flight (or rolled back, leaving a permanent
//! gap). [`pending`] therefore returns only the contiguous run after the cursor; when the very next
//! seq is missing it takes a brief `SHARE` lock on `outbox` (waiting for in-flight inserts to finish)
//! to learn which gaps are permanent. SQLite has one writer and reuses rolled-back rowids, so its
//! outbox has no gaps.

mod endpoints;
mod log;
mod replays;

pub use endpoints::{
    Attempt, Endpoint, MAX_ATTEMPTS, MAX_CONSECUTIVE_FAILURES, NewEndpoint, RecordOutcome, backoff,
    claim_endpoint, create_endpoint, due_endpoints, get_endpoint, list_endpoints, record_attempts,
    release_endpoint, set_enabled,
};
pub use log::{DeliveryLog, deliveries};
pub use replays::{DueReplay, due_replays, record_replay, replay};

use sqlx::Row;
use sqlx::any::AnyRow;
use time::OffsetDateTime;

use crate::{Engine, Store, StoreError, from_micros, to_micros};

/// One stored outbox row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEvent {
    /// Position in the outbox (the cursor).
    pub seq: i64,
    /// The envelope's id (UUIDv7); consumers de-duplicate by it.
    pub event_id: String,
    /// e.g. `OrderShipped`.
    pub event_type: String,
    /// Schema version of `data`.
    pub event_version: i64,
    /// The order number, for order events.
    pub order_number: Option<String>,
    /// When the change happened.
    pub occurred_at: OffsetDateTime,
    /// The whole JSON envelope, exactly as sent.
    pub payload: String,
}

const COLUMNS: &str =
    "seq, event_id, event_type, event_version, order_number, occurred_at, payload";

fn event_from(row: &AnyRow) -> Result<OutboxEvent, StoreError> {
    Ok(OutboxEvent {
        seq: row.try_get("seq")?,
        event_id: row.try_get("event_id")?,
        event_type: row.try_get("event_type")?,
        event_version: row.try_get("event_version")?,
        order_number: row.try_get("order_number")?,
        occurred_at: from_micros(row.try_get("occurred_at")?),
        payload: row.try_get("payload")?,
    })
}

/// Up to `limit` committed events after `after`, in seq order, never passing a seq that may still
/// commit (see the module notes).
pub async fn pending(
    store: &Store,
    after: i64,
    limit: i64,
) -> Result<Vec<OutboxEvent>, StoreError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM outbox WHERE seq > $1 ORDER BY seq LIMIT $2"
    )))
    .bind(after)
    .bind(limit.max(1))
    .fetch_all(store.reader())
    .await?;
    let events = rows.iter().map(event_from).collect::<Result<Vec<_>, _>>()?;
    let contiguous = events
        .iter()
        .zip(after + 1..)
        .take_while(|(e, expected)| e.seq == *expected)
        .count();
    if contiguous > 0 || events.is_empty() || store.engine() == Engine::Sqlite {
        let mut events = events;
        if store.engine() == Engine::Postgres {
            events.truncate(contiguous);
        }
        return Ok(events);
    }
    // The next seq is missing: wait for in-flight inserts, then every gap below the mark is final.
    let Some(mark) = settled_mark(store).await? else {
        return Ok(Vec::new());
    };
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM outbox WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3"
    )))
    .bind(after)
    .bind(mark)
    .bind(limit.max(1))
    .fetch_all(store.reader())
    .await?;
    rows.iter().map(event_from).collect()
}

/// The highest seq below which nothing can still commit (PostgreSQL: after a `SHARE` lock, which
/// waits for every transaction holding an insert lock on `outbox`). The wait is capped at 100 ms so
/// a slow writer never stalls the others queued behind the lock; `None` means "try again later".
async fn settled_mark(store: &Store) -> Result<Option<i64>, StoreError> {
    let mut tx = store.begin().await?;
    sqlx::query("SET LOCAL lock_timeout = '100ms'")
        .execute(&mut *tx)
        .await?;
    let locked = sqlx::query("LOCK TABLE outbox IN SHARE MODE")
        .execute(&mut *tx)
        .await;
    match locked {
        Ok(_) => {}
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("55P03") => {
            tx.rollback().await?;
            return Ok(None);
        }
        Err(e) => return Err(e.into()),
    }
    let mark: i64 = sqlx::query("SELECT COALESCE(MAX(seq), 0) AS m FROM outbox")
        .fetch_one(&mut *tx)
        .await?
        .try_get("m")?;
    tx.commit().await?;
    Ok(Some(mark))
}

/// The highest seq in the outbox (0 when empty).
pub async fn head_seq(store: &Store) -> Result<i64, StoreError> {
    Ok(sqlx::query("SELECT COALESCE(MAX(seq), 0) AS m FROM outbox")
        .fetch_one(store.reader())
        .await?
        .try_get("m")?)
}

/// The outbox row of an event id.
pub async fn event_by_id(store: &Store, event_id: &str) -> Result<Option<OutboxEvent>, StoreError> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM outbox WHERE event_id = $1"
    )))
    .bind(event_id)
    .fetch_optional(store.reader())
    .await?
    .as_ref()
    .map(event_from)
    .transpose()
}

/// Claims the named cursor (e.g. `nats`) until `until` for `owner`, creating it at `start` when it
/// does not exist yet. Returns its position, or `None` when another worker holds it.
pub async fn claim_cursor(
    store: &Store,
    name: &str,
    owner: &str,
    now: OffsetDateTime,
    until: OffsetDateTime,
    start: i64,
) -> Result<Option<i64>, StoreError> {
    sqlx::query(
        "INSERT INTO delivery_cursors (name, seq, lease_until, updated_at) VALUES ($1, $2, 0, $3)
         ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(start)
    .bind(to_micros(now))
    .execute(store.writer())
    .await?;
    let row = sqlx::query(
        "UPDATE delivery_cursors SET lease_owner = $1, lease_until = $2
         WHERE name = $3 AND (lease_until <= $4 OR lease_owner = $1) RETURNING seq",
    )
    .bind(owner)
    .bind(to_micros(until))
    .bind(name)
    .bind(to_micros(now))
    .fetch_optional(store.writer())
    .await?;
    row.map(|r| r.try_get("seq"))
        .transpose()
        .map_err(Into::into)
}

/// Moves the named cursor to `seq` (only while `owner` holds it; never backwards).
pub async fn advance_cursor(
    store: &Store,
    name: &str,
    owner: &str,
    seq: i64,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    let done = sqlx::query(
        "UPDATE delivery_cursors SET seq = $1, updated_at = $2
         WHERE name = $3 AND lease_owner = $4 AND seq <= $1",
    )
    .bind(seq)
    .bind(to_micros(now))
    .bind(name)
    .bind(owner)
    .execute(store.writer())
    .await?;
    if done.rows_affected() == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict(format!(
            "cursor {name} is held by another worker"
        )))
    }
}

/// Lets another worker take the named cursor at once.
pub async fn release_cursor(store: &Store, name: &str, owner: &str) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE delivery_cursors SET lease_owner = NULL, lease_until = 0 WHERE name = $1 AND lease_owner = $2",
    )
    .bind(name)
    .bind(owner)
    .execute(store.writer())
    .await?;
    Ok(())
}

/// How far one consumer is behind the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct Lag {
    /// `webhook:<endpoint id>` or the cursor name (`nats`).
    pub consumer: String,
    /// Events not yet delivered.
    pub events: i64,
    /// Age of the oldest undelivered event (0 when none).
    pub seconds: f64,
}

/// The lag of every enabled webhook endpoint and every named cursor, at `now`.
pub async fn lags(store: &Store, now: OffsetDateTime) -> Result<Vec<Lag>, StoreError> {
    let rows = sqlx::query(
        "SELECT 'webhook:' || CAST(id AS TEXT) AS consumer, cursor_seq AS seq FROM webhook_endpoints WHERE enabled = 1
         UNION ALL SELECT name AS consumer, seq FROM delivery_cursors",
    )
    .fetch_all(store.reader())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let seq: i64 = row.try_get("seq")?;
        let stats = sqlx::query(
            "SELECT COUNT(*) AS n, MIN(occurred_at) AS oldest FROM outbox WHERE seq > $1",
        )
        .bind(seq)
        .fetch_one(store.reader())
        .await?;
        let oldest: Option<i64> = stats.try_get("oldest")?;
        out.push(Lag {
            consumer: row.try_get("consumer")?,
            events: stats.try_get("n")?,
            seconds: oldest
                .map(|o| ((to_micros(now) - o).max(0) as f64) / 1e6)
                .unwrap_or(0.0),
        });
    }
    Ok(out)
}
