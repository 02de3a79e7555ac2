//! Moving an order between statuses inside a transaction: optimistic concurrency on `version`,
//! the status-history row, and the timestamps each status carries.

use orderly_domain::{Action, OrderStatus};
use sqlx::Row;
use time::OffsetDateTime;

use crate::{StoreError, Tx, to_micros};

/// The few columns an action needs to decide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRef {
    /// Internal id.
    pub id: i64,
    /// Order number.
    pub order_number: String,
    /// Current status.
    pub status: OrderStatus,
    /// Current version.
    pub version: i64,
}

/// Loads the order inside `tx`; `None` when there is no such order.
pub async fn load_order(
    tx: &mut Tx<'_>,
    order_number: &str,
) -> Result<Option<OrderRef>, StoreError> {
    let Some(r) =
        sqlx::query("SELECT id, order_number, status, version FROM orders WHERE order_number = $1")
            .bind(order_number)
            .fetch_optional(&mut **tx)
            .await?
    else {
        return Ok(None);
    };
    let status: String = r.try_get("status")?;
    Ok(Some(OrderRef {
        id: r.try_get("id")?,
        order_number: r.try_get("order_number")?,
        status: OrderStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("status {status:?}")))?,
        version: r.try_get("version")?,
    }))
}

/// A requested transition.
#[derive(Debug, Clone)]
pub struct Transition<'a> {
    /// What is being done.
    pub action: Action,
    /// The version the caller saw; `None` means "the one just loaded".
    pub expected_version: Option<i64>,
    /// Who.
    pub actor: &'a str,
    /// Why (shown in the timeline).
    pub reason: Option<&'a str>,
    /// When.
    pub at: OffsetDateTime,
}

/// Applies `t` to `order` inside `tx`: checks the status machine and the version, updates the row
/// and appends the history row. Returns the new status and version. Refusals are
/// `StoreError::Conflict` with a sentence for people.
pub async fn transition(
    tx: &mut Tx<'_>,
    order: &OrderRef,
    t: &Transition<'_>,
) -> Result<(OrderStatus, i64), StoreError> {
    if t.expected_version.is_some_and(|v| v != order.version) {
        return Err(StoreError::Conflict("this order changed, reload".into()));
    }
    let to = order
        .status
        .apply(t.action)
        .map_err(|e| StoreError::Conflict(e.to_string()))?;
    let at = to_micros(t.at);
    let stamp = match to {
        OrderStatus::Shipped => ", shipped_at = $2",
        OrderStatus::Delivered => ", delivered_at = $2",
        OrderStatus::Cancelled => ", cancelled_at = $2",
        _ => "",
    };
    // `stamp` is one of three fixed fragments above, never input.
    let sql = format!(
        "UPDATE orders SET status = $1, version = version + 1, updated_at = $2{stamp}
         WHERE id = $3 AND version = $4"
    );
    let done = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(to.as_str())
        .bind(at)
        .bind(order.id)
        .bind(order.version)
        .execute(&mut **tx)
        .await?;
    if done.rows_affected() != 1 {
        return Err(StoreError::Conflict("this order changed, reload".into()));
    }
    sqlx::query(
        "INSERT INTO order_status_history (order_id, from_status, to_status, actor, reason, at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(order.id)
    .bind(order.status.as_str())
    .bind(to.as_str())
    .bind(t.actor)
    .bind(t.reason)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok((to, order.version + 1))
}

/// Sets (or clears, with `None`) one of the order's flags and bumps its version.
/// `flag` must be one of `address_suspect`, `shipment_failed`, `pickup_error`, `ndr`.
pub async fn set_flag(
    tx: &mut Tx<'_>,
    order_id: i64,
    flag: &str,
    reason: Option<&str>,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let column = match flag {
        "address_suspect" => "address_suspect",
        "shipment_failed" => "shipment_failed",
        "pickup_error" => "pickup_error",
        "ndr" => "ndr",
        other => return Err(StoreError::Corrupt(format!("unknown flag {other}"))),
    };
    let sql = format!(
        "UPDATE orders SET {column} = $1, version = version + 1, updated_at = $2 WHERE id = $3"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(reason)
        .bind(to_micros(at))
        .bind(order_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Records the shipping details of an assigned AWB on the order and clears the failure flag.
pub async fn set_shipping_info(
    tx: &mut Tx<'_>,
    order_id: i64,
    awb: &str,
    courier_name: &str,
    tracking_url: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE orders SET awb = $1, courier_name = $2, tracking_url = $3, shipment_failed = NULL WHERE id = $4",
    )
    .bind(awb)
    .bind(courier_name)
    .bind(tracking_url)
    .bind(order_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Replaces the shipping address (optimistic on `version`) and its address check result.
pub async fn update_shipping_address(
    tx: &mut Tx<'_>,
    order: &OrderRef,
    expected_version: Option<i64>,
    a: &crate::orders::AddressView,
    address_suspect: Option<&str>,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let version = expected_version.unwrap_or(order.version);
    let done = sqlx::query(
        "UPDATE orders SET ship_name = $1, ship_line1 = $2, ship_line2 = $3, ship_city = $4, ship_state = $5,
            ship_pincode = $6, ship_country = $7, address_suspect = $8, version = version + 1, updated_at = $9
         WHERE id = $10 AND version = $11",
    )
    .bind(&a.name)
    .bind(&a.line1)
    .bind(&a.line2)
    .bind(&a.city)
    .bind(&a.state)
    .bind(&a.pincode)
    .bind(&a.country)
    .bind(address_suspect)
    .bind(to_micros(at))
    .bind(order.id)
    .bind(version)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() != 1 {
        return Err(StoreError::Conflict("this order changed, reload".into()));
    }
    Ok(())
}
