//! Reading one order: the list-row summary and the whole detail.

use orderly_domain::OrderStatus;
use orderly_domain::order::PaymentMethod;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{
    AddressView, Flags, HistoryView, ItemView, OrderDetail, OrderSummary, PackageView,
    SUMMARY_COLUMNS,
};
use crate::{Store, StoreError, from_micros};

/// The status stored for order `id`; an unknown name is an error naming the row.
pub(crate) fn typed_status(id: i64, stored: &str) -> Result<OrderStatus, StoreError> {
    OrderStatus::parse(stored)
        .ok_or_else(|| StoreError::Corrupt(format!("order {id}: unknown status {stored:?}")))
}

/// The payment method stored for order `id`; an unknown name is an error naming the row.
pub(crate) fn typed_payment(id: i64, stored: &str) -> Result<PaymentMethod, StoreError> {
    [PaymentMethod::Prepaid, PaymentMethod::Cod]
        .into_iter()
        .find(|m| m.as_str() == stored)
        .ok_or_else(|| {
            StoreError::Corrupt(format!("order {id}: unknown payment method {stored:?}"))
        })
}

/// Builds a summary from a row selected with [`SUMMARY_COLUMNS`].
pub(crate) fn summary_from_row(r: &AnyRow) -> Result<OrderSummary, StoreError> {
    let id: i64 = r.try_get("id")?;
    let status = typed_status(id, &r.try_get::<String, _>("status")?)?;
    let payment_method = typed_payment(id, &r.try_get::<String, _>("payment_method")?)?;
    Ok(OrderSummary {
        id,
        order_number: r.try_get("order_number")?,
        placed_at: from_micros(r.try_get("placed_at")?),
        status,
        version: r.try_get("version")?,
        customer_name: r.try_get("customer_name")?,
        email: r.try_get("email")?,
        phone: r.try_get("phone")?,
        total_paise: r.try_get("total_paise")?,
        payment_method,
        payment_status: r.try_get("payment_status")?,
        flags: Flags {
            address_suspect: r.try_get("address_suspect")?,
            shipment_failed: r.try_get("shipment_failed")?,
            pickup_error: r.try_get("pickup_error")?,
            ndr: r.try_get("ndr")?,
        },
        awb: r.try_get("awb")?,
        courier_name: r.try_get("courier_name")?,
        tracking_url: r.try_get("tracking_url")?,
        seen: r.try_get::<Option<i64>, _>("seen_at")?.is_some(),
    })
}

/// The summary of the order with internal id `id`.
pub async fn get_summary_by_id(
    conn: &mut AnyConnection,
    id: i64,
) -> Result<OrderSummary, StoreError> {
    let sql = format!("SELECT {SUMMARY_COLUMNS} FROM orders WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    summary_from_row(&row.ok_or(StoreError::NotFound)?)
}

/// The whole order `order_number`, or `None` when there is no such order.
pub async fn get(store: &Store, order_number: &str) -> Result<Option<OrderDetail>, StoreError> {
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS}, customer_ref, ship_name, ship_line1, ship_line2, ship_city, ship_state,
                ship_pincode, ship_country, billing_json, items_subtotal_paise, tax_paise, shipping_paise,
                discount_paise, weight_g, length_mm, breadth_mm, height_mm, received_at
         FROM orders WHERE order_number = $1"
    );
    let mut conn = store.reader().acquire().await?;
    let Some(r) = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(order_number)
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    let summary = summary_from_row(&r)?;
    let billing: Option<String> = r.try_get("billing_json")?;
    let billing_address = match billing {
        Some(json) => {
            Some(serde_json::from_str(&json).map_err(|e| StoreError::Corrupt(e.to_string()))?)
        }
        None => None,
    };
    let items = sqlx::query(
        "SELECT sku, name, units, unit_price_paise, tax_rate_bps, tax_paise, hsn_code
         FROM order_items WHERE order_id = $1 ORDER BY line_no",
    )
    .bind(summary.id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|i| {
        Ok(ItemView {
            sku: i.try_get("sku")?,
            name: i.try_get("name")?,
            units: i.try_get("units")?,
            unit_price_paise: i.try_get("unit_price_paise")?,
            tax_rate_bps: i.try_get("tax_rate_bps")?,
            tax_paise: i.try_get("tax_paise")?,
            hsn_code: i.try_get("hsn_code")?,
        })
    })
    .collect::<Result<Vec<_>, StoreError>>()?;
    let history = sqlx::query(
        "SELECT from_status, to_status, actor, reason, at FROM order_status_history
         WHERE order_id = $1 ORDER BY id",
    )
    .bind(summary.id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|h| {
        Ok(HistoryView {
            from: h.try_get("from_status")?,
            to: h.try_get("to_status")?,
            actor: h.try_get("actor")?,
            reason: h.try_get("reason")?,
            at: from_micros(h.try_get("at")?),
        })
    })
    .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(Some(OrderDetail {
        customer_ref: r.try_get("customer_ref")?,
        shipping_address: AddressView {
            name: r.try_get("ship_name")?,
            line1: r.try_get("ship_line1")?,
            line2: r.try_get("ship_line2")?,
            city: r.try_get("ship_city")?,
            state: r.try_get("ship_state")?,
            pincode: r.try_get("ship_pincode")?,
            country: r.try_get("ship_country")?,
        },
        billing_address,
        items,
        items_subtotal_paise: r.try_get("items_subtotal_paise")?,
        tax_paise: r.try_get("tax_paise")?,
        shipping_paise: r.try_get("shipping_paise")?,
        discount_paise: r.try_get("discount_paise")?,
        package: PackageView {
            weight_g: r.try_get("weight_g")?,
            length_mm: r.try_get("length_mm")?,
            breadth_mm: r.try_get("breadth_mm")?,
            height_mm: r.try_get("height_mm")?,
        },
        received_at: from_micros(r.try_get("received_at")?),
        history,
        summary,
    }))
}
