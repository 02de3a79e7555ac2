//! Batches: one job row per order, claimed one at a time by the batch runner, resumable.

use serde::Serialize;
use sqlx::Row;
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::{Store, StoreError, from_micros, to_micros};

/// A batch with its jobs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Batch {
    /// Id.
    pub id: i64,
    /// `generate_shipments` or `mark_processing`.
    pub kind: String,
    /// Who started it.
    pub actor: String,
    /// Orders in it.
    pub total: i64,
    /// Jobs that succeeded.
    pub succeeded: i64,
    /// Jobs that failed.
    pub failed: i64,
    /// When it started.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    /// True when every job has ended.
    pub finished: bool,
    /// One row per order.
    pub jobs: Vec<BatchJob>,
}

/// One order of a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct BatchJob {
    /// Position in the batch.
    pub position: i64,
    /// The order.
    pub order_number: String,
    /// `pending`, `running`, `succeeded` or `failed`.
    pub state: String,
    /// The result or the failure reason.
    pub message: Option<String>,
    /// The AWB, for shipments.
    pub awb: Option<String>,
}

/// Creates a batch with one pending job per order; returns its id.
pub async fn create_batch(
    store: &Store,
    kind: &str,
    actor: &str,
    orders: &[String],
    at: OffsetDateTime,
) -> Result<i64, StoreError> {
    let mut tx = store.begin().await?;
    let id: i64 = sqlx::query(
        "INSERT INTO batches (kind, actor, total, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(kind)
    .bind(actor)
    .bind(orders.len() as i64)
    .bind(to_micros(at))
    .fetch_one(&mut *tx)
    .await?
    .try_get("id")?;
    for (i, n) in orders.iter().enumerate() {
        sqlx::query(
            "INSERT INTO batch_jobs (batch_id, position, order_number, state, updated_at) VALUES ($1, $2, $3, 'pending', $4)",
        )
        .bind(id)
        .bind(i as i64)
        .bind(n)
        .bind(to_micros(at))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(id)
}

/// Claims the next pending job of `batch_id` (marks it running); `None` when none is left.
pub async fn claim_next_job(
    store: &Store,
    batch_id: i64,
    at: OffsetDateTime,
) -> Result<Option<BatchJob>, StoreError> {
    let row = sqlx::query(
        "UPDATE batch_jobs SET state = 'running', updated_at = $1
         WHERE batch_id = $2 AND state = 'pending' AND position = (
            SELECT MIN(position) FROM batch_jobs WHERE batch_id = $2 AND state = 'pending')
         RETURNING position, order_number, state, message, awb",
    )
    .bind(to_micros(at))
    .bind(batch_id)
    .fetch_optional(store.writer())
    .await?;
    row.map(|r| {
        Ok(BatchJob {
            position: r.try_get("position")?,
            order_number: r.try_get("order_number")?,
            state: r.try_get("state")?,
            message: r.try_get("message")?,
            awb: r.try_get("awb")?,
        })
    })
    .transpose()
}

/// Records a job's result and closes the batch when it was the last.
pub async fn finish_job(
    store: &Store,
    batch_id: i64,
    position: i64,
    succeeded: bool,
    message: &str,
    awb: Option<&str>,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    sqlx::query("UPDATE batch_jobs SET state = $1, message = $2, awb = $3, updated_at = $4 WHERE batch_id = $5 AND position = $6")
        .bind(if succeeded { "succeeded" } else { "failed" })
        .bind(message)
        .bind(awb)
        .bind(to_micros(at))
        .bind(batch_id)
        .bind(position)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "UPDATE batches SET finished_at = $1 WHERE id = $2 AND finished_at IS NULL
           AND NOT EXISTS (SELECT 1 FROM batch_jobs WHERE batch_id = $2 AND state IN ('pending', 'running'))",
    )
    .bind(to_micros(at))
    .bind(batch_id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Batches with jobs still to do (resumed after a restart).
pub async fn open_batches(store: &Store) -> Result<Vec<i64>, StoreError> {
    let rows = sqlx::query("SELECT id FROM batches WHERE finished_at IS NULL ORDER BY id")
        .fetch_all(store.reader())
        .await?;
    rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
}

/// A batch with every job, or `None`.
pub async fn batch(store: &Store, id: i64) -> Result<Option<Batch>, StoreError> {
    let Some(b) = sqlx::query(
        "SELECT id, kind, actor, total, created_at, finished_at FROM batches WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(store.reader())
    .await?
    else {
        return Ok(None);
    };
    let jobs = sqlx::query("SELECT position, order_number, state, message, awb FROM batch_jobs WHERE batch_id = $1 ORDER BY position")
        .bind(id)
        .fetch_all(store.reader())
        .await?
        .iter()
        .map(|r| {
            Ok(BatchJob {
                position: r.try_get("position")?,
                order_number: r.try_get("order_number")?,
                state: r.try_get("state")?,
                message: r.try_get("message")?,
                awb: r.try_get("awb")?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(Some(Batch {
        id: b.try_get("id")?,
        kind: b.try_get("kind")?,
        actor: b.try_get("actor")?,
        total: b.try_get("total")?,
        succeeded: jobs.iter().filter(|j| j.state == "succeeded").count() as i64,
        failed: jobs.iter().filter(|j| j.state == "failed").count() as i64,
        created_at: from_micros(b.try_get("created_at")?),
        finished: b.try_get::<Option<i64>, _>("finished_at")?.is_some(),
        jobs,
    }))
}

/// Puts jobs a crashed runner left `running` back to `pending` (called once when a batch resumes).
pub async fn requeue_running(store: &Store, batch_id: i64) -> Result<u64, StoreError> {
    let done = sqlx::query(
        "UPDATE batch_jobs SET state = 'pending' WHERE batch_id = $1 AND state = 'running'",
    )
    .bind(batch_id)
    .execute(store.writer())
    .await?;
    Ok(done.rows_affected())
}

/// Marks the batch finished when no job is pending or running. Called by the runner after its last
/// job: two jobs finishing at once on PostgreSQL cannot see each other's update, so the check in
/// [`finish_job`] alone can miss the end.
pub async fn close_if_done(
    store: &Store,
    batch_id: i64,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE batches SET finished_at = $1 WHERE id = $2 AND finished_at IS NULL
           AND NOT EXISTS (SELECT 1 FROM batch_jobs WHERE batch_id = $2 AND state IN ('pending', 'running'))",
    )
    .bind(to_micros(at))
    .bind(batch_id)
    .execute(store.writer())
    .await?;
    Ok(())
}
