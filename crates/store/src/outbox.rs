//! The transactional outbox: events written in the same transaction as the change they announce.
//! Delivery (webhooks, NATS, the pull feed) reads from here; see `delivery`.

use serde::Serialize;
use time::OffsetDateTime;

use crate::{StoreError, Tx, to_micros};

/// Event types Orderly emits.
pub mod types {
    /// An AWB was assigned: the order is shipped.
    pub const ORDER_SHIPPED: &str = "OrderShipped";
    /// Any status transition.
    pub const ORDER_STATUS_CHANGED: &str = "OrderStatusChanged";
    /// The order was cancelled.
    pub const ORDER_CANCELLED: &str = "OrderCancelled";
    /// The parcel was delivered.
    pub const ORDER_DELIVERED: &str = "OrderDelivered";
    /// Automation was switched off by the rollback guard.
    pub const FEATURE_ROLLED_BACK: &str = "FeatureRolledBack";
}

/// The envelope every outbound event has: `{id, type, version, occurred_at, order_id, data}`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Envelope {
    /// UUIDv7; consumers de-duplicate by it.
    pub id: String,
    /// Event type, e.g. `OrderShipped`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// Schema version of `data`.
    pub version: i64,
    /// When the change happened (RFC 3339 UTC).
    #[serde(with = "time::serde::rfc3339")]
    pub occurred_at: OffsetDateTime,
    /// The order number the event is about (absent for non-order events).
    pub order_id: Option<String>,
    /// The payload.
    pub data: serde_json::Value,
}

/// Appends an event to the outbox inside `tx`; returns its sequence number.
pub async fn append(
    tx: &mut Tx<'_>,
    event_type: &str,
    version: i64,
    order: Option<(i64, &str)>,
    occurred_at: OffsetDateTime,
    data: serde_json::Value,
) -> Result<Envelope, StoreError> {
    let envelope = Envelope {
        id: uuid::Uuid::now_v7().to_string(),
        event_type: event_type.to_string(),
        version,
        occurred_at,
        order_id: order.map(|(_, n)| n.to_string()),
        data,
    };
    let payload =
        serde_json::to_string(&envelope).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    sqlx::query(
        "INSERT INTO outbox (event_id, event_type, event_version, order_id, order_number, occurred_at, payload)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&envelope.id)
    .bind(event_type)
    .bind(version)
    .bind(order.map(|(id, _)| id))
    .bind(order.map(|(_, n)| n.to_string()))
    .bind(to_micros(occurred_at))
    .bind(payload)
    .execute(&mut **tx)
    .await?;
    Ok(envelope)
}
