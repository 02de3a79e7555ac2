//! Recording a placed order: exactly once by event id and by order number, in one transaction with
//! its items, its first status-history row and its audit entry.

use orderly_domain::order::NewOrder;
use sqlx::Row;
use time::OffsetDateTime;

use super::{OrderSummary, read};
use crate::audit::{self, AuditEntry};
use crate::{Store, StoreError, Tx, retry_busy, to_micros};

/// Where an order came from and what intake concluded about it.
#[derive(Debug, Clone)]
pub struct PlacedMeta<'a> {
    /// The inbound event's id (the idempotency key).
    pub event_id: &'a str,
    /// `http`, `nats`, `import` or `seed`.
    pub source: &'a str,
    /// Who is recorded in history and audit.
    pub actor: &'a str,
    /// When Orderly received it.
    pub received_at: OffsetDateTime,
    /// Why the address looks wrong, if it does (the order is still accepted).
    pub address_suspect: Option<String>,
}

/// What happened to an inbound `OrderPlaced`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntakeOutcome {
    /// A new order was stored.
    Created(OrderSummary),
    /// The same event, or the same order with identical content, was already stored.
    Duplicate(OrderSummary),
    /// The order number is stored with different content; nothing changed.
    Conflict(OrderSummary),
    /// The event id was used before for a different order or content; nothing changed.
    EventIdReused(OrderSummary),
}

/// Stores `order` unless it is already there. Lock contention is retried.
pub async fn place(
    store: &Store,
    order: &NewOrder,
    meta: &PlacedMeta<'_>,
) -> Result<IntakeOutcome, StoreError> {
    let hash = order.content_hash();
    if let Some(writer) = store.intake_writer() {
        return retry_busy(20, || writer.place(order, &hash, meta)).await;
    }
    retry_busy(20, || async {
        let mut tx = store.begin().await?;
        let outcome = place_in(&mut tx, order, &hash, meta).await?;
        match &outcome {
            IntakeOutcome::Created(_) | IntakeOutcome::Duplicate(_) => tx.commit().await?,
            IntakeOutcome::Conflict(_) | IntakeOutcome::EventIdReused(_) => tx.rollback().await?,
        }
        Ok(outcome)
    })
    .await
}

async fn place_in(
    tx: &mut Tx<'_>,
    order: &NewOrder,
    hash: &str,
    meta: &PlacedMeta<'_>,
) -> Result<IntakeOutcome, StoreError> {
    if let Some(seen) =
        sqlx::query("SELECT order_id, content_hash FROM processed_events WHERE event_id = $1")
            .bind(meta.event_id)
            .fetch_optional(&mut **tx)
            .await?
    {
        let order_id: i64 = seen.try_get("order_id")?;
        let seen_hash: String = seen.try_get("content_hash")?;
        let summary = read::get_summary_by_id(tx, order_id).await?;
        return Ok(
            if seen_hash == hash && summary.order_number == order.order_number.as_str() {
                IntakeOutcome::Duplicate(summary)
            } else {
                IntakeOutcome::EventIdReused(summary)
            },
        );
    }
    let now = to_micros(meta.received_at);
    let inserted = insert_order_row(tx, order, hash, now, meta.address_suspect.as_deref()).await?;
    let Some(order_id) = inserted else {
        let existing = sqlx::query("SELECT id, content_hash FROM orders WHERE order_number = $1")
            .bind(order.order_number.as_str())
            .fetch_one(&mut **tx)
            .await?;
        let id: i64 = existing.try_get("id")?;
        let existing_hash: String = existing.try_get("content_hash")?;
        let summary = read::get_summary_by_id(tx, id).await?;
        if existing_hash != hash {
            return Ok(IntakeOutcome::Conflict(summary));
        }
        record_event(tx, meta, id, hash, now).await?;
        return Ok(IntakeOutcome::Duplicate(summary));
    };
    insert_items(tx, order_id, order).await?;
    sqlx::query(
        "INSERT INTO order_status_history (order_id, from_status, to_status, actor, reason, at)
         VALUES ($1, NULL, 'placed', $2, $3, $4)",
    )
    .bind(order_id)
    .bind(meta.actor)
    .bind(format!("received via {}", meta.source))
    .bind(to_micros(order.placed_at))
    .execute(&mut **tx)
    .await?;
    audit::append(
        tx,
        &AuditEntry {
            at: meta.received_at,
            actor: meta.actor,
            action: "order.placed",
            entity: "order",
            entity_id: order.order_number.as_str(),
            detail: serde_json::json!({
                "event_id": meta.event_id,
                "source": meta.source,
                "content_hash": hash,
                "total_paise": order.total.paise(),
                "address_suspect": meta.address_suspect.is_some(),
            }),
        },
    )
    .await?;
    record_event(tx, meta, order_id, hash, now).await?;
    let summary = read::get_summary_by_id(tx, order_id).await?;
    Ok(IntakeOutcome::Created(summary))
}

async fn record_event(
    tx: &mut Tx<'_>,
    meta: &PlacedMeta<'_>,
    order_id: i64,
    hash: &str,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO processed_events (event_id, source, order_id, content_hash, received_at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (event_id) DO NOTHING",
    )
    .bind(meta.event_id)
    .bind(meta.source)
    .bind(order_id)
    .bind(hash)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Inserts the order row; `None` when the order number already exists.
pub(crate) async fn insert_order_row(
    tx: &mut Tx<'_>,
    o: &NewOrder,
    hash: &str,
    now: i64,
    address_suspect: Option<&str>,
) -> Result<Option<i64>, StoreError> {
    let billing = match &o.billing_address {
        Some(b) => Some(
            serde_json::to_string(&super::AddressView::from(b))
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        ),
        None => None,
    };
    let pkg = o.package.as_ref();
    let row = sqlx::query(
        "INSERT INTO orders (order_number, placed_at, received_at, updated_at, status, version,
            customer_ref, customer_name, email, phone,
            ship_name, ship_line1, ship_line2, ship_city, ship_state, ship_pincode, ship_country,
            billing_json, items_subtotal_paise, tax_paise, shipping_paise, discount_paise, total_paise,
            payment_method, payment_status, weight_g, length_mm, breadth_mm, height_mm,
            content_hash, address_suspect)
         VALUES ($1, $2, $3, $3, 'placed', 1, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
                 $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28)
         ON CONFLICT (order_number) DO NOTHING
         RETURNING id",
    )
    .bind(o.order_number.as_str())
    .bind(to_micros(o.placed_at))
    .bind(now)
    .bind(o.customer.id.as_deref())
    .bind(o.customer.name.as_str())
    .bind(o.customer.email.as_str())
    .bind(o.customer.phone.as_str())
    .bind(o.shipping_address.name.as_str())
    .bind(o.shipping_address.line1.as_str())
    .bind(o.shipping_address.line2.as_deref())
    .bind(o.shipping_address.city.as_str())
    .bind(o.shipping_address.state.as_str())
    .bind(o.shipping_address.pincode.as_str())
    .bind(o.shipping_address.country.as_str())
    .bind(billing)
    .bind(o.items_subtotal().paise())
    .bind(o.tax_total().paise())
    .bind(o.shipping_charges.paise())
    .bind(o.discount.paise())
    .bind(o.total.paise())
    .bind(o.payment_method.as_str())
    .bind(o.payment_status.as_str())
    .bind(pkg.and_then(|p| p.weight_g).map(i64::from))
    .bind(pkg.and_then(|p| p.length_mm).map(i64::from))
    .bind(pkg.and_then(|p| p.breadth_mm).map(i64::from))
    .bind(pkg.and_then(|p| p.height_mm).map(i64::from))
    .bind(hash)
    .bind(address_suspect)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(match row {
        Some(r) => Some(r.try_get("id")?),
        None => None,
    })
}

/// Inserts an order's lines.
pub(crate) async fn insert_items(
    tx: &mut Tx<'_>,
    order_id: i64,
    o: &NewOrder,
) -> Result<(), StoreError> {
    for (line_no, item) in o.items.iter().enumerate() {
        sqlx::query(
            "INSERT INTO order_items (order_id, line_no, sku, name, units, unit_price_paise, tax_rate_bps, tax_paise, hsn_code)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(order_id)
        .bind(i64::try_from(line_no).unwrap_or(i64::MAX))
        .bind(item.sku.as_str())
        .bind(item.name.as_str())
        .bind(i64::from(item.units))
        .bind(item.unit_price.paise())
        .bind(i64::from(item.tax_rate_bps))
        .bind(item.line_tax().paise())
        .bind(item.hsn_code.as_deref())
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
