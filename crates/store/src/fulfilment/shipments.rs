//! Shipment attempts: one row per attempt, the saga's step persisted after every Shiprocket call,
//! and a lease so one worker (or one interactive request) drives an attempt at a time.

use orderly_domain::shipment::Step;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::{Store, StoreError, Tx, from_micros, to_micros};

/// One shipment attempt.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Shipment {
    /// Attempt id.
    pub id: i64,
    /// The order's internal id.
    #[serde(skip)]
    pub order_id: i64,
    /// 1 for the first attempt, then 2, 3, …
    pub attempt: i64,
    /// `requested`, `sr_order_created`, `courier_chosen`, `awb_assigned`, `pickup_scheduled`, `done`, `failed`, `cancelled`.
    #[schema(value_type = String)]
    pub step: Step,
    /// The channel order id sent to Shiprocket (the order number, `-2`, `-3` after a cancelled attempt).
    pub channel_order_id: String,
    /// Courier policy used.
    pub policy: Option<String>,
    /// The courier the person chose, if any.
    pub requested_courier_id: Option<i64>,
    /// Shiprocket's order id.
    pub sr_order_id: Option<i64>,
    /// Shiprocket's shipment id.
    pub sr_shipment_id: Option<i64>,
    /// The quotes and the policy's ranking (JSON), as shown to people.
    #[schema(value_type = Object)]
    pub quotes: Option<serde_json::Value>,
    /// Why this courier.
    pub choice_explanation: Option<String>,
    /// Couriers that refused this attempt.
    pub refused_couriers: Vec<i64>,
    /// Chosen courier.
    pub courier_id: Option<i64>,
    /// Its name.
    pub courier_name: Option<String>,
    /// Air waybill number.
    pub awb: Option<String>,
    /// Carrier tracking link.
    pub tracking_url: Option<String>,
    /// How many AWB assignments were started (more than one means: read back before assigning again).
    #[serde(skip)]
    pub assign_attempts: i64,
    /// Pickup token.
    pub pickup_token: Option<String>,
    /// Pickup date as Shiprocket gave it.
    pub pickup_scheduled_for: Option<String>,
    /// Label PDF.
    pub label_url: Option<String>,
    /// Manifest PDF.
    pub manifest_url: Option<String>,
    /// When the courier picked it up (cancellation is refused after this).
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub picked_up_at: Option<OffsetDateTime>,
    /// Error class of the last failure (`not_serviceable`, `courier_refused`, …).
    pub failure_class: Option<String>,
    /// A sentence a person can act on.
    pub failure_message: Option<String>,
    /// A short excerpt of Shiprocket's answer, with digit runs masked.
    pub failure_excerpt: Option<String>,
    /// Retries of transient failures so far.
    pub retry_count: i64,
    /// The batch that started it, if any.
    pub batch_id: Option<i64>,
    /// Who asked for it.
    pub actor: String,
    /// When it was requested.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    /// Last change.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
}

const COLUMNS: &str = "id, order_id, attempt, step, channel_order_id, policy, requested_courier_id, sr_order_id, \
    sr_shipment_id, quotes_json, choice_explanation, refused_couriers, courier_id, courier_name, awb, tracking_url, \
    assign_attempts, pickup_token, pickup_scheduled_for, label_url, manifest_url, picked_up_at, failure_class, \
    failure_message, failure_excerpt, retry_count, batch_id, actor, created_at, updated_at";

fn from_row(r: &AnyRow) -> Result<Shipment, StoreError> {
    let id: i64 = r.try_get("id")?;
    let step: String = r.try_get("step")?;
    let step = Step::parse(&step)
        .ok_or_else(|| StoreError::Corrupt(format!("shipment {id}: unknown step {step:?}")))?;
    let quotes: Option<String> = r.try_get("quotes_json")?;
    let refused: String = r.try_get("refused_couriers")?;
    Ok(Shipment {
        id,
        order_id: r.try_get("order_id")?,
        attempt: r.try_get("attempt")?,
        step,
        channel_order_id: r.try_get("channel_order_id")?,
        policy: r.try_get("policy")?,
        requested_courier_id: r.try_get("requested_courier_id")?,
        sr_order_id: r.try_get("sr_order_id")?,
        sr_shipment_id: r.try_get("sr_shipment_id")?,
        quotes: quotes.and_then(|q| serde_json::from_str(&q).ok()),
        choice_explanation: r.try_get("choice_explanation")?,
        refused_couriers: serde_json::from_str(&refused).unwrap_or_default(),
        courier_id: r.try_get("courier_id")?,
        courier_name: r.try_get("courier_name")?,
        awb: r.try_get("awb")?,
        tracking_url: r.try_get("tracking_url")?,
        assign_attempts: r.try_get("assign_attempts")?,
        pickup_token: r.try_get("pickup_token")?,
        pickup_scheduled_for: r.try_get("pickup_scheduled_for")?,
        label_url: r.try_get("label_url")?,
        manifest_url: r.try_get("manifest_url")?,
        picked_up_at: r
            .try_get::<Option<i64>, _>("picked_up_at")?
            .map(from_micros),
        failure_class: r.try_get("failure_class")?,
        failure_message: r.try_get("failure_message")?,
        failure_excerpt: r.try_get("failure_excerpt")?,
        retry_count: r.try_get("retry_count")?,
        batch_id: r.try_get("batch_id")?,
        actor: r.try_get("actor")?,
        created_at: from_micros(r.try_get("created_at")?),
        updated_at: from_micros(r.try_get("updated_at")?),
    })
}

/// Starts a new attempt for `order_id` in step `requested`; returns its id.
#[expect(clippy::too_many_arguments, reason = "one column each")]
pub async fn insert_attempt(
    tx: &mut Tx<'_>,
    order_id: i64,
    channel_order_id: &str,
    policy: &str,
    requested_courier_id: Option<i64>,
    batch_id: Option<i64>,
    actor: &str,
    at: OffsetDateTime,
) -> Result<Shipment, StoreError> {
    let attempt: i64 =
        sqlx::query("SELECT COALESCE(MAX(attempt), 0) + 1 AS n FROM shipments WHERE order_id = $1")
            .bind(order_id)
            .fetch_one(&mut **tx)
            .await?
            .try_get("n")?;
    let sql = format!(
        "INSERT INTO shipments (order_id, attempt, step, channel_order_id, policy, requested_courier_id, batch_id, actor, created_at, updated_at)
         VALUES ($1, $2, 'requested', $3, $4, $5, $6, $7, $8, $8) RETURNING {COLUMNS}"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(order_id)
        .bind(attempt)
        .bind(channel_order_id)
        .bind(policy)
        .bind(requested_courier_id)
        .bind(batch_id)
        .bind(actor)
        .bind(to_micros(at))
        .fetch_one(&mut **tx)
        .await?;
    from_row(&row)
}

/// Loads one attempt.
pub async fn load(conn: &mut AnyConnection, id: i64) -> Result<Shipment, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM shipments WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    from_row(&row.ok_or(StoreError::NotFound)?)
}

/// Every attempt of an order, oldest first.
pub async fn shipments(store: &Store, order_id: i64) -> Result<Vec<Shipment>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM shipments WHERE order_id = $1 ORDER BY attempt");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(order_id)
        .fetch_all(store.reader())
        .await?;
    rows.iter().map(from_row).collect()
}

/// The attempts of an order that are still being worked on.
pub async fn open_for_order(tx: &mut Tx<'_>, order_id: i64) -> Result<Vec<Shipment>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM shipments WHERE order_id = $1 AND step NOT IN ('failed', 'cancelled') ORDER BY attempt"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(order_id)
        .fetch_all(&mut **tx)
        .await?;
    rows.iter().map(from_row).collect()
}

/// Ids of unfinished attempts that are due (not leased, not waiting for Shiprocket, next attempt
/// time passed).
pub async fn runnable(
    store: &Store,
    now: OffsetDateTime,
    limit: i64,
) -> Result<Vec<i64>, StoreError> {
    let now = to_micros(now);
    let rows = sqlx::query(
        "SELECT id FROM shipments
         WHERE step NOT IN ('done', 'failed', 'cancelled')
           AND (next_attempt_at IS NULL OR next_attempt_at <= $1)
           AND (lease_until IS NULL OR lease_until < $1)
           AND waiting_since IS NULL
         ORDER BY id LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(store.reader())
    .await?;
    rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
}

/// Columns a saga step may set. `None` leaves a column as it is.
#[derive(Debug, Clone, Default)]
pub struct ShipmentUpdate {
    /// New step.
    pub step: Option<Step>,
    /// Shiprocket order id.
    pub sr_order_id: Option<i64>,
    /// Shiprocket shipment id.
    pub sr_shipment_id: Option<i64>,
    /// Quotes (JSON).
    pub quotes_json: Option<String>,
    /// Explanation.
    pub choice_explanation: Option<String>,
    /// Refused couriers (JSON array).
    pub refused_couriers: Option<String>,
    /// Courier.
    pub courier_id: Option<i64>,
    /// Courier name.
    pub courier_name: Option<String>,
    /// AWB.
    pub awb: Option<String>,
    /// Tracking link.
    pub tracking_url: Option<String>,
    /// Add one to `assign_attempts`.
    pub bump_assign_attempts: bool,
    /// Pickup token.
    pub pickup_token: Option<String>,
    /// Pickup date.
    pub pickup_scheduled_for: Option<String>,
    /// Label.
    pub label_url: Option<String>,
    /// Manifest.
    pub manifest_url: Option<String>,
    /// Picked up at.
    pub picked_up_at: Option<OffsetDateTime>,
    /// Failure (class, message, excerpt); `Some((None…))` is not used — clear with `clear_failure`.
    pub failure: Option<(String, String, Option<String>)>,
    /// Clear the failure columns.
    pub clear_failure: bool,
    /// Add one to `retry_count` and wait until this time.
    pub retry_at: Option<OffsetDateTime>,
}

/// Applies `u` to attempt `id` if it is still in step `expect_step`; false when it moved on (for
/// example cancelled meanwhile).
pub async fn update_fields(
    conn: &mut AnyConnection,
    id: i64,
    expect_step: Step,
    u: &ShipmentUpdate,
    at: OffsetDateTime,
) -> Result<bool, StoreError> {
    let (class, message, excerpt) = match &u.failure {
        Some((c, m, e)) => (Some(c.clone()), Some(m.clone()), e.clone()),
        None => (None, None, None),
    };
    let done = sqlx::query(
        "UPDATE shipments SET
            step = COALESCE($1, step),
            sr_order_id = COALESCE($2, sr_order_id),
            sr_shipment_id = COALESCE($3, sr_shipment_id),
            quotes_json = COALESCE($4, quotes_json),
            choice_explanation = COALESCE($5, choice_explanation),
            refused_couriers = COALESCE($6, refused_couriers),
            courier_id = COALESCE($7, courier_id),
            courier_name = COALESCE($8, courier_name),
            awb = COALESCE($9, awb),
            tracking_url = COALESCE($10, tracking_url),
            assign_attempts = assign_attempts + $11,
            pickup_token = COALESCE($12, pickup_token),
            pickup_scheduled_for = COALESCE($13, pickup_scheduled_for),
            label_url = COALESCE($14, label_url),
            manifest_url = COALESCE($15, manifest_url),
            picked_up_at = COALESCE($16, picked_up_at),
            failure_class = CASE WHEN $17 = 1 THEN NULL ELSE COALESCE($18, failure_class) END,
            failure_message = CASE WHEN $17 = 1 THEN NULL ELSE COALESCE($19, failure_message) END,
            failure_excerpt = CASE WHEN $17 = 1 THEN NULL ELSE COALESCE($20, failure_excerpt) END,
            retry_count = retry_count + $21,
            next_attempt_at = $22,
            updated_at = $23
         WHERE id = $24 AND step = $25",
    )
    .bind(u.step.map(Step::as_str))
    .bind(u.sr_order_id)
    .bind(u.sr_shipment_id)
    .bind(u.quotes_json.clone())
    .bind(u.choice_explanation.clone())
    .bind(u.refused_couriers.clone())
    .bind(u.courier_id)
    .bind(u.courier_name.clone())
    .bind(u.awb.clone())
    .bind(u.tracking_url.clone())
    .bind(i64::from(u.bump_assign_attempts))
    .bind(u.pickup_token.clone())
    .bind(u.pickup_scheduled_for.clone())
    .bind(u.label_url.clone())
    .bind(u.manifest_url.clone())
    .bind(u.picked_up_at.map(to_micros))
    .bind(i64::from(u.clear_failure))
    .bind(class)
    .bind(message)
    .bind(excerpt)
    .bind(i64::from(u.retry_at.is_some()))
    .bind(u.retry_at.map(to_micros))
    .bind(to_micros(at))
    .bind(id)
    .bind(expect_step.as_str())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends every attempt of an order that has not failed (the order was cancelled).
pub async fn cancel_all(
    tx: &mut Tx<'_>,
    order_id: i64,
    at: OffsetDateTime,
) -> Result<u64, StoreError> {
    let done = sqlx::query(
        "UPDATE shipments SET step = 'cancelled', updated_at = $1 WHERE order_id = $2 AND step NOT IN ('failed', 'cancelled')",
    )
    .bind(to_micros(at))
    .bind(order_id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}
