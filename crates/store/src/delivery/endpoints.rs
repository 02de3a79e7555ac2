//! Webhook endpoints: configuration, the lease that lets one worker at a time deliver to an
//! endpoint, the retry schedule of its head event, auto-disable, and the append-only attempt log.

use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;
use time::{Duration, OffsetDateTime};
use utoipa::ToSchema;

use super::log::log_attempt;
use crate::audit::{self, AuditEntry};
use crate::{Store, StoreError, from_micros, to_micros};

/// Attempts per event: the first delivery plus eight retries spread over about four hours.
pub const MAX_ATTEMPTS: i64 = 9;
/// Consecutive failed attempts after which an endpoint is disabled.
pub const MAX_CONSECUTIVE_FAILURES: i64 = 20;
/// Minutes to wait after the n-th failed attempt (1-based): 1, 2, 4 … 64, then 113 (≈ 4 h in all).
const DELAYS_MIN: [i64; 8] = [1, 2, 4, 8, 16, 32, 64, 113];

/// How long to wait after `failed_attempts` failed attempts; `None` once the event is given up.
pub fn backoff(failed_attempts: i64) -> Option<Duration> {
    if failed_attempts >= MAX_ATTEMPTS {
        return None;
    }
    let i = usize::try_from(failed_attempts.max(1) - 1).unwrap_or(0);
    DELAYS_MIN.get(i).map(|m| Duration::minutes(*m))
}

/// A configured webhook endpoint. The secret is never serialised.
#[derive(Clone, Serialize, ToSchema)]
pub struct Endpoint {
    /// Identifier.
    pub id: i64,
    /// Where events are POSTed.
    pub url: String,
    /// The signing secret (needed to sign; shown to people once, at creation).
    #[serde(skip)]
    pub secret: String,
    /// Free text.
    pub description: Option<String>,
    /// False after `DELETE` or auto-disable.
    pub enabled: bool,
    /// Failed attempts since the last success.
    pub consecutive_failures: i64,
    /// Why it was disabled.
    pub disabled_reason: Option<String>,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    /// The last outbox seq this endpoint is done with (delivered or given up).
    pub cursor: i64,
    /// Attempts already made on the next event.
    pub head_attempts: i64,
    /// Not before this instant is the next event tried.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub next_attempt_at: OffsetDateTime,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("id", &self.id)
            .field("url", &self.url)
            .field("secret", &"***")
            .field("enabled", &self.enabled)
            .field("cursor", &self.cursor)
            .finish_non_exhaustive()
    }
}

const COLUMNS: &str = "id, url, secret, description, enabled, consecutive_failures, disabled_reason, \
     created_at, cursor_seq, head_attempts, next_attempt_at";

fn endpoint_from(row: &AnyRow) -> Result<Endpoint, StoreError> {
    Ok(Endpoint {
        id: row.try_get("id")?,
        url: row.try_get("url")?,
        secret: row.try_get("secret")?,
        description: row.try_get("description")?,
        enabled: row.try_get::<i64, _>("enabled")? != 0,
        consecutive_failures: row.try_get("consecutive_failures")?,
        disabled_reason: row.try_get("disabled_reason")?,
        created_at: from_micros(row.try_get("created_at")?),
        cursor: row.try_get("cursor_seq")?,
        head_attempts: row.try_get("head_attempts")?,
        next_attempt_at: from_micros(row.try_get("next_attempt_at")?),
    })
}

/// What `create_endpoint` needs.
#[derive(Debug, Clone, Copy)]
pub struct NewEndpoint<'a> {
    /// Where to POST.
    pub url: &'a str,
    /// The signing secret.
    pub secret: &'a str,
    /// Free text.
    pub description: Option<&'a str>,
}

/// Stores an endpoint that receives every event committed from now on (older events: the pull
/// feed or replay), and records it in the audit log.
pub async fn create_endpoint(
    store: &Store,
    new: &NewEndpoint<'_>,
    at: OffsetDateTime,
    actor: &str,
) -> Result<Endpoint, StoreError> {
    let mut tx = store.begin().await?;
    let head: i64 = sqlx::query("SELECT COALESCE(MAX(seq), 0) AS m FROM outbox")
        .fetch_one(&mut *tx)
        .await?
        .try_get("m")?;
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO webhook_endpoints (url, secret, description, created_at, cursor_seq)
         VALUES ($1, $2, $3, $4, $5) RETURNING {COLUMNS}"
    )))
    .bind(new.url)
    .bind(new.secret)
    .bind(new.description)
    .bind(to_micros(at))
    .bind(head)
    .fetch_one(&mut *tx)
    .await?;
    let endpoint = endpoint_from(&row)?;
    let entity_id = endpoint.id.to_string();
    audit::append(
        &mut tx,
        &AuditEntry {
            at,
            actor,
            action: "webhook.created",
            entity: "webhook_endpoint",
            entity_id: &entity_id,
            detail: serde_json::json!({ "url": new.url, "description": new.description }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(endpoint)
}

/// Every endpoint, oldest first.
pub async fn list_endpoints(store: &Store) -> Result<Vec<Endpoint>, StoreError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM webhook_endpoints ORDER BY id"
    )))
    .fetch_all(store.reader())
    .await?;
    rows.iter().map(endpoint_from).collect()
}

/// One endpoint.
pub async fn get_endpoint(store: &Store, id: i64) -> Result<Option<Endpoint>, StoreError> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM webhook_endpoints WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(store.reader())
    .await?
    .as_ref()
    .map(endpoint_from)
    .transpose()
}

/// Disables (with `reason`) or re-enables an endpoint, recorded in the audit log. Re-enabling clears
/// the failure count and retries at once; the cursor is kept, so the backlog is delivered in order.
pub async fn set_enabled(
    store: &Store,
    id: i64,
    enabled: bool,
    reason: Option<&str>,
    at: OffsetDateTime,
    actor: &str,
) -> Result<Option<Endpoint>, StoreError> {
    let mut tx = store.begin().await?;
    let done = if enabled {
        sqlx::query(
            "UPDATE webhook_endpoints SET enabled = 1, consecutive_failures = 0, head_attempts = 0,
                 next_attempt_at = 0, disabled_reason = NULL, disabled_at = NULL WHERE id = $1",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?
    } else {
        sqlx::query(
            "UPDATE webhook_endpoints SET enabled = 0, disabled_reason = $2, disabled_at = $3 WHERE id = $1",
        )
        .bind(id)
        .bind(reason.unwrap_or("disabled by an operator"))
        .bind(to_micros(at))
        .execute(&mut *tx)
        .await?
    };
    if done.rows_affected() == 0 {
        return Ok(None);
    }
    let entity_id = id.to_string();
    audit::append(
        &mut tx,
        &AuditEntry {
            at,
            actor,
            action: if enabled {
                "webhook.enabled"
            } else {
                "webhook.disabled"
            },
            entity: "webhook_endpoint",
            entity_id: &entity_id,
            detail: serde_json::json!({ "reason": reason }),
        },
    )
    .await?;
    tx.commit().await?;
    get_endpoint(store, id).await
}

/// Enabled endpoints with work due at `now`: events after their cursor, retry time reached, no
/// live lease held by another worker.
pub async fn due_endpoints(
    store: &Store,
    now: OffsetDateTime,
) -> Result<Vec<Endpoint>, StoreError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM webhook_endpoints
         WHERE enabled = 1 AND next_attempt_at <= $1 AND lease_until <= $1
           AND cursor_seq < (SELECT COALESCE(MAX(seq), 0) FROM outbox)
         ORDER BY id"
    )))
    .bind(to_micros(now))
    .fetch_all(store.reader())
    .await?;
    rows.iter().map(endpoint_from).collect()
}

/// Takes the endpoint's lease for `owner` until `until`; false when another worker holds it.
pub async fn claim_endpoint(
    store: &Store,
    id: i64,
    owner: &str,
    now: OffsetDateTime,
    until: OffsetDateTime,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE webhook_endpoints SET lease_owner = $1, lease_until = $2
         WHERE id = $3 AND enabled = 1 AND (lease_until <= $4 OR lease_owner = $1)",
    )
    .bind(owner)
    .bind(to_micros(until))
    .bind(id)
    .bind(to_micros(now))
    .execute(store.writer())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives the lease back.
pub async fn release_endpoint(store: &Store, id: i64, owner: &str) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE webhook_endpoints SET lease_owner = NULL, lease_until = 0 WHERE id = $1 AND lease_owner = $2",
    )
    .bind(id)
    .bind(owner)
    .execute(store.writer())
    .await?;
    Ok(())
}

/// One HTTP attempt, as the dispatcher saw it.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// The event's outbox seq.
    pub seq: i64,
    /// The event's id.
    pub event_id: String,
    /// True for a 2xx answer.
    pub ok: bool,
    /// The HTTP status, when one came back.
    pub status_code: Option<u16>,
    /// A short description of the failure (never the response body's PII: at most 200 chars).
    pub error: Option<String>,
    /// How long the request took.
    pub duration: std::time::Duration,
}

/// What recording a batch of attempts decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordOutcome {
    /// Events delivered.
    pub delivered: usize,
    /// The failed event was given up after [`MAX_ATTEMPTS`] (the cursor moved past it).
    pub dead: bool,
    /// The endpoint was disabled by this batch.
    pub disabled: bool,
}

/// Records a batch of in-order attempts for an endpoint (successes, then at most one failure) in
/// one transaction: the attempt log, the cursor, the retry schedule and auto-disable. Fails with
/// `Conflict` when `owner` no longer holds the lease (nothing is recorded).
pub async fn record_attempts(
    store: &Store,
    endpoint_id: i64,
    owner: &str,
    attempts: &[Attempt],
    now: OffsetDateTime,
) -> Result<RecordOutcome, StoreError> {
    let mut tx = store.begin().await?;
    let row = sqlx::query(
        "SELECT cursor_seq, head_attempts, consecutive_failures FROM webhook_endpoints
         WHERE id = $1 AND lease_owner = $2",
    )
    .bind(endpoint_id)
    .bind(owner)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| StoreError::Conflict(format!("lease on endpoint {endpoint_id} lost")))?;
    let mut cursor: i64 = row.try_get("cursor_seq")?;
    let mut head_attempts: i64 = row.try_get("head_attempts")?;
    let mut failures: i64 = row.try_get("consecutive_failures")?;
    let mut next_at = now;
    let mut out = RecordOutcome {
        delivered: 0,
        dead: false,
        disabled: false,
    };
    let mut last_error = None;
    for a in attempts {
        let attempt_no = head_attempts + 1;
        let outcome = if a.ok {
            "delivered"
        } else if attempt_no >= MAX_ATTEMPTS {
            "dead"
        } else {
            "failed"
        };
        log_attempt(&mut tx, endpoint_id, a, attempt_no, false, outcome, now).await?;
        if a.ok {
            cursor = a.seq;
            head_attempts = 0;
            failures = 0;
            out.delivered += 1;
            continue;
        }
        failures += 1;
        last_error = a.error.clone();
        match backoff(attempt_no) {
            Some(wait) => {
                head_attempts = attempt_no;
                next_at = now + wait;
            }
            None => {
                cursor = a.seq;
                head_attempts = 0;
                out.dead = true;
            }
        }
        break;
    }
    out.disabled = failures >= MAX_CONSECUTIVE_FAILURES;
    let reason = out.disabled.then(|| {
        format!(
            "{failures} consecutive failed deliveries; last: {}",
            last_error.as_deref().unwrap_or("unknown")
        )
    });
    sqlx::query(
        "UPDATE webhook_endpoints SET cursor_seq = $1, head_attempts = $2, consecutive_failures = $3,
             next_attempt_at = $4, enabled = CASE WHEN $5 = 0 THEN 0 ELSE enabled END, disabled_reason = COALESCE($6, disabled_reason),
             disabled_at = CASE WHEN $5 = 0 THEN $7 ELSE disabled_at END
         WHERE id = $8",
    )
    .bind(cursor)
    .bind(head_attempts)
    .bind(failures)
    .bind(to_micros(next_at))
    .bind(if out.disabled { 0i64 } else { 1 })
    .bind(reason)
    .bind(to_micros(now))
    .bind(endpoint_id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(out)
}
