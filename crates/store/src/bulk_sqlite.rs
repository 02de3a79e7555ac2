//! The SQLite bulk path: one direct connection, one `IMMEDIATE` transaction, cached prepared
//! statements executed row by row (each a few microseconds, with no thread hand-off).

use orderly_domain::order::NewOrder;
use rusqlite::{OptionalExtension, TransactionBehavior, params};
use time::OffsetDateTime;

use crate::{StoreError, audit, to_micros};

pub(crate) fn err(e: rusqlite::Error) -> StoreError {
    StoreError::Bulk(e.to_string())
}

/// Inserts `orders` into the SQLite file at `path`, skipping stored order numbers.
pub(crate) fn insert(
    path: &str,
    orders: &[NewOrder],
    suspect: &[Option<String>],
    actor: &str,
    now: OffsetDateTime,
) -> Result<u64, StoreError> {
    let mut conn = rusqlite::Connection::open(path).map_err(err)?;
    conn.busy_timeout(std::time::Duration::from_secs(30))
        .map_err(err)?;
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(err)?;
    conn.pragma_update(None, "cache_size", -262_144)
        .map_err(err)?;
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(err)?;
    let received = to_micros(now);
    let mut inserted = 0u64;
    {
        for (i, o) in orders.iter().enumerate() {
            let changed = insert_order_row(
                &tx,
                o,
                received,
                &o.content_hash(),
                suspect.get(i).cloned().flatten(),
            )?;
            if changed == 0 {
                continue;
            }
            let id = tx.last_insert_rowid();
            insert_items(&tx, id, o)?;
            insert_history(&tx, id, actor, "bulk load", to_micros(o.placed_at))?;
            inserted += 1;
        }
        if let (Some(first), Some(last)) = (orders.first(), orders.last()) {
            let detail = serde_json::json!({ "first": first.order_number.as_str(), "last": last.order_number.as_str(), "inserted": inserted }).to_string();
            append_audit(
                &tx,
                received,
                actor,
                "orders.bulk_loaded",
                "orders",
                first.order_number.as_str(),
                &detail,
            )?;
        }
    }
    tx.commit().map_err(err)?;
    Ok(inserted)
}

/// Inserts the order row; 0 when the order number is already stored.
pub(crate) fn insert_order_row(
    tx: &rusqlite::Transaction<'_>,
    o: &NewOrder,
    received: i64,
    hash: &str,
    suspect: Option<String>,
) -> Result<usize, StoreError> {
    let billing = o
        .billing_address
        .as_ref()
        .map(|b| serde_json::to_string(&crate::orders::AddressView::from(b)))
        .transpose()
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let pkg = o.package.as_ref();
    let mut stmt = tx
        .prepare_cached(
            "INSERT INTO orders (order_number, placed_at, received_at, updated_at, status, version,
                customer_ref, customer_name, email, phone,
                ship_name, ship_line1, ship_line2, ship_city, ship_state, ship_pincode, ship_country,
                billing_json, items_subtotal_paise, tax_paise, shipping_paise, discount_paise, total_paise,
                payment_method, payment_status, weight_g, length_mm, breadth_mm, height_mm,
                content_hash, address_suspect)
             VALUES (?1, ?2, ?3, ?3, 'placed', 1, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,
                ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28)
             ON CONFLICT (order_number) DO NOTHING",
        )
        .map_err(err)?;
    stmt.execute(params![
        o.order_number.as_str(),
        to_micros(o.placed_at),
        received,
        o.customer.id,
        o.customer.name,
        o.customer.email.as_str(),
        o.customer.phone.as_str(),
        o.shipping_address.name,
        o.shipping_address.line1,
        o.shipping_address.line2,
        o.shipping_address.city,
        o.shipping_address.state,
        o.shipping_address.pincode.as_str(),
        o.shipping_address.country,
        billing,
        o.items_subtotal().paise(),
        o.tax_total().paise(),
        o.shipping_charges.paise(),
        o.discount.paise(),
        o.total.paise(),
        o.payment_method.as_str(),
        o.payment_status.as_str(),
        pkg.and_then(|p| p.weight_g),
        pkg.and_then(|p| p.length_mm),
        pkg.and_then(|p| p.breadth_mm),
        pkg.and_then(|p| p.height_mm),
        hash,
        suspect,
    ])
    .map_err(err)
}

/// Inserts an order's lines.
pub(crate) fn insert_items(
    tx: &rusqlite::Transaction<'_>,
    order_id: i64,
    o: &NewOrder,
) -> Result<(), StoreError> {
    let mut stmt = tx
        .prepare_cached(
            "INSERT INTO order_items (order_id, line_no, sku, name, units, unit_price_paise, tax_rate_bps, tax_paise, hsn_code)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )
        .map_err(err)?;
    for (line_no, item) in o.items.iter().enumerate() {
        stmt.execute(params![
            order_id,
            line_no as i64,
            item.sku,
            item.name,
            item.units,
            item.unit_price.paise(),
            item.tax_rate_bps,
            item.line_tax().paise(),
            item.hsn_code,
        ])
        .map_err(err)?;
    }
    Ok(())
}

/// Appends the first status-history row (`placed`).
pub(crate) fn insert_history(
    tx: &rusqlite::Transaction<'_>,
    order_id: i64,
    actor: &str,
    reason: &str,
    at: i64,
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO order_status_history (order_id, from_status, to_status, actor, reason, at) VALUES (?1, NULL, 'placed', ?2, ?3, ?4)",
    )
    .map_err(err)?
    .execute(params![order_id, actor, reason, at])
    .map_err(err)?;
    Ok(())
}

/// Appends an entry to the hash chain inside `tx` (same rules as [`crate::audit::append`]).
pub(crate) fn append_audit(
    tx: &rusqlite::Transaction<'_>,
    at: i64,
    actor: &str,
    action: &str,
    entity: &str,
    entity_id: &str,
    detail: &str,
) -> Result<(), StoreError> {
    let (seq, prev): (i64, String) = tx
        .query_row(
            "UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(err)?
        .ok_or_else(|| StoreError::Corrupt("audit_head row missing".into()))?;
    let hash = audit::entry_hash(&prev, seq, at, actor, action, entity, entity_id, detail);
    tx.execute(
        "UPDATE audit_head SET hash = ?1 WHERE id = 1",
        params![hash],
    )
    .map_err(err)?;
    tx.execute(
        "INSERT INTO audit_log (seq, at, actor, action, entity, entity_id, detail, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            seq, at, actor, action, entity, entity_id, detail, prev, hash
        ],
    )
    .map_err(err)?;
    Ok(())
}
