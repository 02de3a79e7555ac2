//! Cancel Order: cancels the Shiprocket AWB and order when they exist (refused after pickup), then
//! `→ cancelled` with `OrderCancelled`.

use orderly_domain::intake::FieldError;
use orderly_domain::{Action, OrderStatus};
use orderly_store::fulfilment::{self, Transition};
use orderly_store::orders::{self, OrderSummary};
use orderly_store::outbox;

use super::status_changed;
use super::{ActionError, Actor, announce};
use crate::app::AppState;

/// Longest cancellation reason (it is copied into history, the outbox and every webhook).
pub const MAX_REASON: usize = 500;

/// Cancels an order (placed, processing, or shipped before pickup).
pub async fn cancel_order(
    state: &AppState,
    order_number: &str,
    reason: &str,
    expected_version: Option<i64>,
    actor: &Actor,
) -> Result<OrderSummary, ActionError> {
    let reason = reason.trim();
    if reason.chars().count() > MAX_REASON || reason.chars().any(char::is_control) {
        return Err(ActionError::Invalid(vec![FieldError {
            pointer: "/reason".into(),
            message: format!("a reason is at most {MAX_REASON} characters on one line"),
        }]));
    }
    super::gate(state, order_number, actor).await?;
    let summary = orders::get(&state.store, order_number)
        .await?
        .ok_or(ActionError::NotFound)?
        .summary;
    if expected_version.is_some_and(|v| v != summary.version) {
        return Err(ActionError::Stale);
    }
    let status = summary.status;
    if status.apply(Action::Cancel).is_err() {
        return Err(ActionError::NotAllowed(format!(
            "cannot cancel an order that is {}",
            status.as_str()
        )));
    }
    let attempts = fulfilment::shipments(&state.store, summary.id).await?;
    let live: Vec<_> = attempts.iter().filter(|s| s.step.is_live()).collect();
    if let Some(picked) = live.iter().find(|s| s.picked_up_at.is_some()) {
        return Err(ActionError::NotAllowed(format!(
            "the courier has already picked up AWB {}; it can no longer be cancelled — ask the courier for a return",
            picked.awb.clone().unwrap_or_default()
        )));
    }
    let shipment_cancelled = cancel_at_shiprocket(state, &live).await?;
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    let order = fulfilment::load_order(&mut tx, order_number)
        .await?
        .ok_or(ActionError::NotFound)?;
    let why = if reason.is_empty() {
        None
    } else {
        Some(reason)
    };
    fulfilment::transition(
        &mut tx,
        &order,
        &Transition {
            action: Action::Cancel,
            expected_version,
            actor: actor.as_str(),
            reason: why,
            at: now,
        },
    )
    .await?;
    fulfilment::cancel_all(&mut tx, order.id, now).await?;
    status_changed(&mut tx, &order, OrderStatus::Cancelled, actor, why, now).await?;
    outbox::append(
        &mut tx,
        outbox::types::ORDER_CANCELLED,
        1,
        Some((order.id, &order.order_number)),
        now,
        serde_json::json!({
            "order_number": order.order_number,
            "reason": why,
            "cancelled_at": now.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
            "shipment_cancelled": shipment_cancelled,
        }),
    )
    .await?;
    let summary = orders::get_summary_by_id(&mut tx, order.id).await?;
    tx.commit().await?;
    announce(state, order_number, "status");
    Ok(summary)
}

/// Cancels AWBs and Shiprocket orders of the live attempts; true when something was cancelled there.
async fn cancel_at_shiprocket(
    state: &AppState,
    live: &[&fulfilment::Shipment],
) -> Result<bool, ActionError> {
    let awbs: Vec<String> = live.iter().filter_map(|s| s.awb.clone()).collect();
    let sr_orders: Vec<i64> = live.iter().filter_map(|s| s.sr_order_id).collect();
    if awbs.is_empty() && sr_orders.is_empty() {
        return Ok(false);
    }
    let sr = state.shiprocket.clone().ok_or(ActionError::NotConfigured)?;
    if !awbs.is_empty() {
        sr.client.cancel_awbs(&awbs).await.map_err(|e| {
            if e.is_retryable() {
                ActionError::Shiprocket(e.ops_message())
            } else {
                ActionError::NotAllowed(format!(
                    "Shiprocket refused to cancel the shipment: {}",
                    e.ops_message()
                ))
            }
        })?;
    }
    if !sr_orders.is_empty()
        && let Err(e) = sr.client.cancel_orders(&sr_orders).await
    {
        tracing::warn!(
            kind = e.kind().as_str(),
            "Shiprocket order cancellation failed after the AWB was cancelled"
        );
        if awbs.is_empty() {
            return Err(ActionError::Shiprocket(e.ops_message()));
        }
    }
    Ok(true)
}
