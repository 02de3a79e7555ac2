//! Tracking events (append-only, de-duplicated) and the look-ups tracking needs.

use sqlx::Row;
use time::OffsetDateTime;

use crate::{Store, StoreError, Tx, to_micros};

/// A shipped attempt found by its AWB.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackedShipment {
    /// Attempt id.
    pub shipment_id: i64,
    /// The order's internal id.
    pub order_id: i64,
    /// Order number.
    pub order_number: String,
}

/// The attempt carrying `awb`.
pub async fn shipment_by_awb(
    tx: &mut Tx<'_>,
    awb: &str,
) -> Result<Option<TrackedShipment>, StoreError> {
    let row = sqlx::query(
        "SELECT s.id, s.order_id, o.order_number FROM shipments s JOIN orders o ON o.id = s.order_id
         WHERE s.awb = $1 ORDER BY s.id DESC LIMIT 1",
    )
    .bind(awb)
    .fetch_optional(&mut **tx)
    .await?;
    row.map(|r| {
        Ok(TrackedShipment {
            shipment_id: r.try_get("id")?,
            order_id: r.try_get("order_id")?,
            order_number: r.try_get("order_number")?,
        })
    })
    .transpose()
}

/// Records a scan; false when the same scan (same `dedupe_key`) was recorded before.
#[expect(clippy::too_many_arguments, reason = "one column each")]
pub async fn record_event(
    tx: &mut Tx<'_>,
    dedupe_key: &str,
    awb: &str,
    status_code: i64,
    label: &str,
    scan_at: Option<OffsetDateTime>,
    location: Option<&str>,
    source: &str,
    at: OffsetDateTime,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "INSERT INTO tracking_events (dedupe_key, awb, status_code, label, scan_at, location, source, received_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(dedupe_key)
    .bind(awb)
    .bind(status_code)
    .bind(label)
    .bind(scan_at.map(to_micros))
    .bind(location)
    .bind(source)
    .bind(to_micros(at))
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// AWBs of shipped orders whose last tracking news is older than `before` (for the poller).
pub async fn stale_shipped(
    store: &Store,
    before: OffsetDateTime,
    limit: i64,
) -> Result<Vec<String>, StoreError> {
    let rows = sqlx::query(
        "SELECT awb FROM orders WHERE status = 'shipped' AND awb IS NOT NULL
           AND (last_tracking_at IS NULL OR last_tracking_at < $1)
         ORDER BY last_tracking_at LIMIT $2",
    )
    .bind(to_micros(before))
    .bind(limit)
    .fetch_all(store.reader())
    .await?;
    rows.iter().map(|r| Ok(r.try_get("awb")?)).collect()
}

/// The order's last tracking effect (`delivered`, `ndr`, …) as stored.
pub async fn tracking_status(tx: &mut Tx<'_>, order_id: i64) -> Result<Option<String>, StoreError> {
    let row = sqlx::query("SELECT tracking_status FROM orders WHERE id = $1")
        .bind(order_id)
        .fetch_one(&mut **tx)
        .await?;
    Ok(row.try_get("tracking_status")?)
}

/// Stores the order's newest tracking effect and when it was heard.
pub async fn set_tracking_status(
    tx: &mut Tx<'_>,
    order_id: i64,
    effect: Option<&str>,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE orders SET tracking_status = COALESCE($1, tracking_status), last_tracking_at = $2 WHERE id = $3")
        .bind(effect)
        .bind(to_micros(at))
        .bind(order_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Records that the courier picked the parcel up (cancellation is refused from now on).
pub async fn mark_picked_up(
    tx: &mut Tx<'_>,
    shipment_id: i64,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE shipments SET picked_up_at = COALESCE(picked_up_at, $1) WHERE id = $2")
        .bind(to_micros(at))
        .bind(shipment_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
