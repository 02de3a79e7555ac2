//! Bulk loading for `orderly seed` and benchmarks: many orders per transaction. On SQLite, prepared
//! statements on a direct connection (`bulk_sqlite`), which avoids a thread hand-off per statement;
//! on PostgreSQL, the same row inserts as intake, in one transaction per chunk. Each order gets its
//! items and its first status-history row; the audit log gets one entry per chunk naming the range.

use orderly_domain::order::NewOrder;
use time::OffsetDateTime;

use crate::audit::{self, AuditEntry};
use crate::orders::{insert_items, insert_order_row};
use crate::{Store, StoreError, to_micros};

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
    let received = to_micros(now);
    let mut tx = store.begin().await?;
    let mut inserted = 0u64;
    for (i, o) in orders.iter().enumerate() {
        let hash = o.content_hash();
        let address_suspect = suspect.get(i).and_then(|s| s.as_deref());
        let Some(id) = insert_order_row(&mut tx, o, &hash, received, address_suspect).await? else {
            continue;
        };
        insert_items(&mut tx, id, o).await?;
        sqlx::query(
            "INSERT INTO order_status_history (order_id, from_status, to_status, actor, reason, at)
             VALUES ($1, NULL, 'placed', $2, 'bulk load', $3)",
        )
        .bind(id)
        .bind(actor)
        .bind(to_micros(o.placed_at))
        .execute(&mut *tx)
        .await?;
        inserted += 1;
    }
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
                    "inserted": inserted,
                }),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(inserted)
}
