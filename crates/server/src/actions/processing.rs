//! Mark as Processing: `placed → processing`.

use orderly_domain::Action;
use orderly_store::audit::{self, AuditEntry};
use orderly_store::fulfilment::{self, Transition};
use orderly_store::orders::{self, OrderSummary};
use orderly_store::outbox;

use super::{ActionError, Actor, announce};
use crate::app::AppState;

/// Moves an order from `placed` to `processing`.
pub async fn mark_processing(
    state: &AppState,
    order_number: &str,
    expected_version: Option<i64>,
    actor: &Actor,
) -> Result<OrderSummary, ActionError> {
    super::gate(state, order_number, actor).await?;
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    let order = fulfilment::load_order(&mut tx, order_number)
        .await?
        .ok_or(ActionError::NotFound)?;
    let (to, _) = fulfilment::transition(
        &mut tx,
        &order,
        &Transition {
            action: Action::MarkProcessing,
            expected_version,
            actor: actor.as_str(),
            reason: None,
            at: now,
        },
    )
    .await?;
    status_changed(&mut tx, &order, to.as_str(), actor, None, now).await?;
    let summary = orders::get_summary_by_id(&mut tx, order.id).await?;
    tx.commit().await?;
    announce(state, order_number, "status");
    Ok(summary)
}

/// The audit entry and `OrderStatusChanged` event every transition writes.
pub(crate) async fn status_changed(
    tx: &mut orderly_store::Tx<'_>,
    order: &fulfilment::OrderRef,
    to: &str,
    actor: &Actor,
    reason: Option<&str>,
    at: time::OffsetDateTime,
) -> Result<(), ActionError> {
    audit::append(
        tx,
        &AuditEntry {
            at,
            actor: actor.as_str(),
            action: "order.status_changed",
            entity: "order",
            entity_id: &order.order_number,
            detail: serde_json::json!({ "from": order.status.as_str(), "to": to, "reason": reason }),
        },
    )
    .await?;
    outbox::append(
        tx,
        outbox::types::ORDER_STATUS_CHANGED,
        1,
        Some((order.id, &order.order_number)),
        at,
        serde_json::json!({
            "order_number": order.order_number,
            "from": order.status.as_str(),
            "to": to,
            "actor": actor.as_str(),
            "reason": reason,
            "at": at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
        }),
    )
    .await?;
    Ok(())
}
