//! Cancel Order: cancels the Shiprocket AWB and order when they exist (refused after pickup), then
//! `→ cancelled` with `OrderCancelled`.

use orderly_domain::intake::FieldError;
use orderly_domain::{Action, OrderStatus};
use orderly_store::audit::{self, AuditEntry};
use orderly_store::fulfilment::CancelIntent;
use orderly_store::fulfilment::{self, Transition};
use orderly_store::orders::{self, OrderSummary};
use orderly_store::{StoreError, outbox};

use super::status_changed;
use super::{ActionError, Actor, announce};
use crate::app::AppState;
use crate::shipping::FaultPoint;

/// How old an intent must be before the worker finishes it (a live request is still at it before).
pub const INTENT_GRACE: time::Duration = time::Duration::seconds(3);

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
    if let Some(picked) = attempts
        .iter()
        .find(|s| s.step.is_live() && s.picked_up_at.is_some())
    {
        return Err(ActionError::NotAllowed(format!(
            "the courier has already picked up AWB {}; it can no longer be cancelled — ask the courier for a return",
            picked.awb.clone().unwrap_or_default()
        )));
    }
    let why = if reason.is_empty() {
        None
    } else {
        Some(reason.to_string())
    };
    let intent = CancelIntent {
        reason: why,
        actor: actor.as_str().to_string(),
        requested_at: state.clock.now(),
        expected_version,
    };
    // The intent is written (with its audit entry) before Shiprocket is called, so a failure after
    // the call leaves something the worker finishes instead of "AWB gone, order still shipped".
    let mut tx = state.store.begin().await?;
    let order = fulfilment::load_order(&mut tx, order_number)
        .await?
        .ok_or(ActionError::NotFound)?;
    if expected_version.is_some_and(|v| v != order.version) {
        return Err(ActionError::Stale);
    }
    fulfilment::set_cancel_intent(&mut tx, order.id, &intent).await?;
    audit::append(
        &mut tx,
        &AuditEntry {
            at: intent.requested_at,
            actor: actor.as_str(),
            action: "order.cancel_requested",
            entity: "order",
            entity_id: &order.order_number,
            detail: serde_json::json!({ "reason": intent.reason }),
        },
    )
    .await?;
    tx.commit().await?;
    finish_cancel(state, order_number, &intent).await
}

/// Finishes a written cancel intent: cancels at Shiprocket (again, if an earlier pass got that far:
/// cancelling a cancelled AWB succeeds), then one transaction cancels the order and clears the
/// intent. A refusal (picked up, Shiprocket says no) clears the intent; any other failure leaves it
/// for the shipment worker.
pub(crate) async fn finish_cancel(
    state: &AppState,
    order_number: &str,
    intent: &CancelIntent,
) -> Result<OrderSummary, ActionError> {
    let summary = orders::get(&state.store, order_number)
        .await?
        .ok_or(ActionError::NotFound)?
        .summary;
    let attempts = fulfilment::shipments(&state.store, summary.id).await?;
    let live: Vec<_> = attempts.iter().filter(|s| s.step.is_live()).collect();
    if let Some(picked) = live.iter().find(|s| s.picked_up_at.is_some()) {
        let e = ActionError::NotAllowed(format!(
            "the courier has already picked up AWB {}; it can no longer be cancelled — ask the courier for a return",
            picked.awb.clone().unwrap_or_default()
        ));
        return refused(state, summary.id, e).await;
    }
    let shipment_cancelled = match cancel_at_shiprocket(state, &live).await {
        Ok(done) => done,
        Err(e @ ActionError::NotAllowed(_)) => return refused(state, summary.id, e).await,
        Err(e) => return Err(e),
    };
    let now = state.clock.now();
    let actor = Actor::system(&intent.actor);
    let why = intent.reason.as_deref();
    let mut tx = state.store.begin().await?;
    let order = fulfilment::load_order(&mut tx, order_number)
        .await?
        .ok_or(ActionError::NotFound)?;
    if state.faults.fires(FaultPoint::CancelCommitDbError) {
        return Err(StoreError::Db(sqlx::Error::PoolTimedOut).into());
    }
    // The caller's version was checked when the intent was written; a change since (a tracking
    // update, a flag) must not strand a cancellation Shiprocket has already done.
    fulfilment::transition(
        &mut tx,
        &order,
        &Transition {
            action: Action::Cancel,
            expected_version: None,
            actor: actor.as_str(),
            reason: why,
            at: now,
        },
    )
    .await?;
    fulfilment::cancel_all(&mut tx, order.id, now).await?;
    fulfilment::clear_cancel_intent(&mut tx, order.id).await?;
    status_changed(&mut tx, &order, OrderStatus::Cancelled, &actor, why, now).await?;
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

/// Clears the intent of a cancellation that cannot happen and answers `e`.
async fn refused(
    state: &AppState,
    order_id: i64,
    e: ActionError,
) -> Result<OrderSummary, ActionError> {
    let mut tx = state.store.begin().await?;
    fulfilment::clear_cancel_intent(&mut tx, order_id).await?;
    tx.commit().await?;
    Err(e)
}

/// Finishes cancel intents older than [`INTENT_GRACE`] (at most a few per pass): an order already
/// cancelled only has its intent cleared. Called by the shipment worker every second.
pub async fn finish_pending_cancels(state: &AppState) {
    let pending = match fulfilment::pending_cancel_intents(&state.store, 20).await {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(error = %e, "could not list pending cancel intents");
            return;
        }
    };
    let now = state.clock.now();
    for (n, intent) in pending {
        if now - intent.requested_at < INTENT_GRACE {
            continue;
        }
        let done = match orders::get(&state.store, &n).await {
            Ok(Some(o)) if o.summary.status == OrderStatus::Cancelled => {
                refused(state, o.summary.id, ActionError::NotFound).await
            }
            Ok(Some(_)) => finish_cancel(state, &n, &intent).await,
            Ok(None) => continue,
            Err(e) => Err(e.into()),
        };
        match done {
            Ok(_) => tracing::info!("finished a pending cancellation"),
            Err(ActionError::NotFound) => {}
            Err(e) => tracing::warn!(error = %e, "a pending cancellation is not finished yet"),
        }
    }
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
