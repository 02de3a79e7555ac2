//! Mark as Processing: `placed → processing`.

use orderly_domain::Action;
use orderly_store::fulfilment::{self, Transition};
use orderly_store::orders::{self, OrderSummary};

use super::{ActionError, Actor, announce, status_changed};
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
    status_changed(&mut tx, &order, to, actor, None, now).await?;
    let summary = orders::get_summary_by_id(&mut tx, order.id).await?;
    tx.commit().await?;
    announce(state, order_number, "status");
    Ok(summary)
}
