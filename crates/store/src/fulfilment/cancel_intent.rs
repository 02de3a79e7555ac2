//! Cancel intents: a cancellation is written on the order before Shiprocket is called, and cleared
//! in the transaction that cancels the order (or when Shiprocket refuses). An intent left behind
//! (the final commit failed, the process died) is finished by the shipment worker.

use serde::{Deserialize, Serialize};
use sqlx::Row;
use time::OffsetDateTime;

use crate::{Store, StoreError, Tx};

/// What was asked for, stored as JSON in `orders.cancel_intent`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelIntent {
    /// The cancellation reason (already validated), if any.
    pub reason: Option<String>,
    /// Who asked (`user:<email>`, `apikey:<prefix>`, ...).
    pub actor: String,
    /// When it was asked for (UTC).
    #[serde(with = "time::serde::rfc3339")]
    pub requested_at: OffsetDateTime,
    /// The order version the caller expected, if it gave one (checked when the intent is written).
    pub expected_version: Option<i64>,
}

/// Writes `intent` on the order inside `tx`.
pub async fn set_cancel_intent(
    tx: &mut Tx<'_>,
    order_id: i64,
    intent: &CancelIntent,
) -> Result<(), StoreError> {
    let json = serde_json::to_string(intent)
        .map_err(|e| StoreError::Conflict(format!("cancel intent: {e}")))?;
    sqlx::query("UPDATE orders SET cancel_intent = $1 WHERE id = $2")
        .bind(json)
        .bind(order_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Clears the order's intent inside `tx`.
pub async fn clear_cancel_intent(tx: &mut Tx<'_>, order_id: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE orders SET cancel_intent = NULL WHERE id = $1")
        .bind(order_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The order's pending intent, if any (an unreadable one counts as none).
pub async fn cancel_intent(
    store: &Store,
    order_id: i64,
) -> Result<Option<CancelIntent>, StoreError> {
    let row = sqlx::query("SELECT cancel_intent FROM orders WHERE id = $1")
        .bind(order_id)
        .fetch_optional(store.reader())
        .await?;
    let Some(row) = row else { return Ok(None) };
    let raw: Option<String> = row.try_get("cancel_intent")?;
    Ok(raw.and_then(|s| serde_json::from_str(&s).ok()))
}

/// Up to `limit` orders with a pending intent (order number and intent), oldest order first;
/// uses the partial index on `cancel_intent`.
pub async fn pending_cancel_intents(
    store: &Store,
    limit: i64,
) -> Result<Vec<(String, CancelIntent)>, StoreError> {
    let rows = sqlx::query(
        "SELECT order_number, cancel_intent FROM orders WHERE cancel_intent IS NOT NULL \
         ORDER BY id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(store.reader())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let n: String = r.try_get("order_number")?;
        let raw: Option<String> = r.try_get("cancel_intent")?;
        match raw.and_then(|s| serde_json::from_str::<CancelIntent>(&s).ok()) {
            Some(intent) => out.push((n, intent)),
            None => tracing::warn!("unreadable cancel intent on an order; left alone"),
        }
    }
    Ok(out)
}
