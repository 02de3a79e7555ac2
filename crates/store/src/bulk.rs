//! Bulk loading for `orderly seed` and benchmarks: many orders per transaction. On PostgreSQL,
//! multi-row `INSERT`s through the pool; on SQLite, prepared statements on a direct connection
//! (`bulk_sqlite`), which avoids a thread hand-off per statement. Each order still gets its items and its first status-history row; the audit log
//! gets one entry per chunk naming the range.

use std::collections::HashMap;

use orderly_domain::order::NewOrder;
use sqlx::Row;
use sqlx::any::AnyArguments;
use sqlx::query::Query;
use time::OffsetDateTime;

use crate::audit::{self, AuditEntry};
use crate::{Store, StoreError, Tx, to_micros};

/// Orders per multi-row statement (31 parameters each). Kept small on purpose: SQLite looks
/// parameters up by name in a linear scan, so binding is quadratic in the parameter count and
/// statements of a few hundred parameters are far faster than ones near the 32,766 limit.
const ORDERS_PER_STATEMENT: usize = 4;
/// Item rows per statement (9 parameters each).
const ITEMS_PER_STATEMENT: usize = 12;
/// Status-history rows per statement (6 parameters each).
const HISTORY_PER_STATEMENT: usize = 20;

type AnyQuery<'q> = Query<'q, sqlx::Any, AnyArguments<'q>>;

fn placeholders(rows: usize, cols: usize) -> String {
    let mut s = String::with_capacity(rows * cols * 5);
    for r in 0..rows {
        if r > 0 {
            s.push(',');
        }
        s.push('(');
        for c in 0..cols {
            if c > 0 {
                s.push(',');
            }
            s.push('$');
            s.push_str(&(r * cols + c + 1).to_string());
        }
        s.push(')');
    }
    s
}

/// Inserts `orders` (skipping order numbers already stored) in one transaction; returns how many
/// were inserted. `suspect` gives each order's address-check result, in the same order.
pub async fn insert_orders(
    store: &Store,
    orders: &[NewOrder],
    suspect: &[Option<String>],
    actor: &str,
) -> Result<u64, StoreError> {
    let now = OffsetDateTime::now_utc();
    if let Some(path) = store.sqlite_path() {
        let (path, orders, suspect, actor) = (
            path.to_string(),
            orders.to_vec(),
            suspect.to_vec(),
            actor.to_string(),
        );
        return tokio::task::spawn_blocking(move || {
            crate::bulk_sqlite::insert(&path, &orders, &suspect, &actor, now)
        })
        .await
        .map_err(|e| StoreError::Bulk(e.to_string()))?;
    }
    let mut tx = store.begin().await?;
    let mut inserted: HashMap<String, i64> = HashMap::with_capacity(orders.len());
    for (chunk_no, chunk) in orders.chunks(ORDERS_PER_STATEMENT).enumerate() {
        let offset = chunk_no * ORDERS_PER_STATEMENT;
        insert_order_rows(
            &mut tx,
            chunk,
            &suspect[offset.min(suspect.len())..],
            now,
            &mut inserted,
        )
        .await?;
    }
    insert_item_rows(&mut tx, orders, &inserted).await?;
    insert_history_rows(&mut tx, orders, &inserted, actor).await?;
    if let (Some(first), Some(last)) = (orders.first(), orders.last()) {
        audit::append(
            &mut tx,
            &AuditEntry {
                at: now,
                actor,
                action: "orders.bulk_loaded",
                entity: "orders",
                entity_id: first.order_number.as_str(),
                detail: serde_json::json!({
                    "first": first.order_number.as_str(),
                    "last": last.order_number.as_str(),
                    "inserted": inserted.len(),
                }),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(inserted.len() as u64)
}

async fn insert_order_rows(
    tx: &mut Tx<'_>,
    chunk: &[NewOrder],
    suspect: &[Option<String>],
    now: OffsetDateTime,
    inserted: &mut HashMap<String, i64>,
) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO orders (order_number, placed_at, received_at, updated_at, status, version,
            customer_ref, customer_name, email, phone,
            ship_name, ship_line1, ship_line2, ship_city, ship_state, ship_pincode, ship_country,
            billing_json, items_subtotal_paise, tax_paise, shipping_paise, discount_paise, total_paise,
            payment_method, payment_status, weight_g, length_mm, breadth_mm, height_mm,
            content_hash, address_suspect)
         VALUES {}
         ON CONFLICT (order_number) DO NOTHING
         RETURNING id, order_number",
        placeholders(chunk.len(), 31)
    );
    let received = to_micros(now);
    let mut q: AnyQuery<'_> = sqlx::query(&sql);
    for (i, o) in chunk.iter().enumerate() {
        let billing = o
            .billing_address
            .as_ref()
            .map(|b| serde_json::to_string(&crate::orders::AddressView::from(b)))
            .transpose()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let pkg = o.package.as_ref();
        q = q
            .bind(o.order_number.as_str().to_string())
            .bind(to_micros(o.placed_at))
            .bind(received)
            .bind(received)
            .bind("placed")
            .bind(1i64)
            .bind(o.customer.id.clone())
            .bind(o.customer.name.clone())
            .bind(o.customer.email.as_str().to_string())
            .bind(o.customer.phone.as_str().to_string())
            .bind(o.shipping_address.name.clone())
            .bind(o.shipping_address.line1.clone())
            .bind(o.shipping_address.line2.clone())
            .bind(o.shipping_address.city.clone())
            .bind(o.shipping_address.state.clone())
            .bind(o.shipping_address.pincode.as_str().to_string())
            .bind(o.shipping_address.country.clone())
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
            .bind(o.content_hash())
            .bind(suspect.get(i).cloned().flatten());
    }
    for row in q.fetch_all(&mut **tx).await? {
        inserted.insert(row.try_get("order_number")?, row.try_get("id")?);
    }
    Ok(())
}

async fn insert_item_rows(
    tx: &mut Tx<'_>,
    orders: &[NewOrder],
    inserted: &HashMap<String, i64>,
) -> Result<(), StoreError> {
    let rows: Vec<(i64, usize, &orderly_domain::order::OrderItem)> = orders
        .iter()
        .filter_map(|o| inserted.get(o.order_number.as_str()).map(|id| (*id, o)))
        .flat_map(|(id, o)| {
            o.items
                .iter()
                .enumerate()
                .map(move |(n, item)| (id, n, item))
        })
        .collect();
    for chunk in rows.chunks(ITEMS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO order_items (order_id, line_no, sku, name, units, unit_price_paise, tax_rate_bps, tax_paise, hsn_code)
             VALUES {}",
            placeholders(chunk.len(), 9)
        );
        let mut q: AnyQuery<'_> = sqlx::query(&sql);
        for (order_id, line_no, item) in chunk {
            q = q
                .bind(*order_id)
                .bind(i64::try_from(*line_no).unwrap_or(i64::MAX))
                .bind(item.sku.clone())
                .bind(item.name.clone())
                .bind(i64::from(item.units))
                .bind(item.unit_price.paise())
                .bind(i64::from(item.tax_rate_bps))
                .bind(item.line_tax().paise())
                .bind(item.hsn_code.clone());
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

async fn insert_history_rows(
    tx: &mut Tx<'_>,
    orders: &[NewOrder],
    inserted: &HashMap<String, i64>,
    actor: &str,
) -> Result<(), StoreError> {
    let rows: Vec<(i64, i64)> = orders
        .iter()
        .filter_map(|o| {
            inserted
                .get(o.order_number.as_str())
                .map(|id| (*id, to_micros(o.placed_at)))
        })
        .collect();
    for chunk in rows.chunks(HISTORY_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO order_status_history (order_id, from_status, to_status, actor, reason, at)
             VALUES {}",
            placeholders(chunk.len(), 6)
        );
        let mut q: AnyQuery<'_> = sqlx::query(&sql);
        for (order_id, at) in chunk {
            q = q
                .bind(*order_id)
                .bind(None::<String>)
                .bind("placed")
                .bind(actor.to_string())
                .bind("bulk load")
                .bind(*at);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}
