//! Generate Shipment, Retry Shipment, and the courier quotes for the picker.

use std::time::Duration;

use orderly_domain::OrderStatus;
use orderly_domain::courier::{self, Choice, Policy};
use orderly_domain::shipment::Step;
use orderly_store::audit::{self, AuditEntry};
use orderly_store::fulfilment;
use serde::Serialize;
use utoipa::ToSchema;

use super::{ActionError, Actor, announce};
use crate::app::AppState;
use crate::shipping::requests;

/// How long a person waits for an interactive "Generate Shipment".
pub const INTERACTIVE_BUDGET: Duration = Duration::from_secs(5);

/// What came of a shipment request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ShipmentOutcome {
    /// The AWB is assigned; the order is shipped.
    Shipped {
        /// Attempt id.
        shipment_id: i64,
        /// Air waybill.
        awb: String,
        /// Courier.
        courier_name: String,
        /// Tracking link.
        tracking_url: String,
    },
    /// The attempt failed; the order stays processing, flagged.
    Failed {
        /// Attempt id.
        shipment_id: i64,
        /// A reason a person can act on.
        reason: String,
    },
    /// Still working after the interactive budget; it continues in the background.
    Pending {
        /// Attempt id.
        shipment_id: i64,
    },
}

/// Starts a shipment attempt for a processing order and waits up to 5 s for its AWB.
/// `courier_id` is the person's pick; otherwise the configured policy chooses.
pub async fn generate_shipment(
    state: &AppState,
    order_number: &str,
    courier_id: Option<i64>,
    expected_version: Option<i64>,
    actor: &Actor,
) -> Result<ShipmentOutcome, ActionError> {
    let id = request(
        state,
        order_number,
        courier_id,
        expected_version,
        None,
        actor,
    )
    .await?;
    wait(state, id, INTERACTIVE_BUDGET).await
}

/// Retries a failed shipment: a new attempt with the same channel order id (Shiprocket returns the
/// order it already has), after the person corrected what was wrong.
pub async fn retry_shipment(
    state: &AppState,
    order_number: &str,
    actor: &Actor,
) -> Result<ShipmentOutcome, ActionError> {
    generate_shipment(state, order_number, None, None, actor).await
}

/// Records a new attempt in step `requested` (one transaction with its audit entry) and returns its id.
pub async fn request(
    state: &AppState,
    order_number: &str,
    courier_id: Option<i64>,
    expected_version: Option<i64>,
    batch_id: Option<i64>,
    actor: &Actor,
) -> Result<i64, ActionError> {
    if state.shiprocket.is_none() {
        return Err(ActionError::NotConfigured);
    }
    super::gate(state, order_number, actor).await?;
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    let order = fulfilment::load_order(&mut tx, order_number)
        .await?
        .ok_or(ActionError::NotFound)?;
    if expected_version.is_some_and(|v| v != order.version) {
        return Err(ActionError::Stale);
    }
    match order.status {
        OrderStatus::Processing => {}
        OrderStatus::Placed => {
            return Err(ActionError::NotAllowed(
                "mark the order as processing first".into(),
            ));
        }
        other => {
            return Err(ActionError::NotAllowed(format!(
                "cannot ship an order that is {}",
                other.as_str()
            )));
        }
    }
    let open = fulfilment::open_for_order(&mut tx, order.id).await?;
    if let Some(sh) = open.iter().find(|s| s.awb.is_some()) {
        return Err(ActionError::NotAllowed(format!(
            "already shipped: AWB {}",
            sh.awb.clone().unwrap_or_default()
        )));
    }
    if let Some(sh) = open.first() {
        tx.rollback().await?;
        return Ok(sh.id);
    }
    let policy = Policy::parse(&state.settings.courier_policy).unwrap_or(Policy::Recommended);
    let sh = fulfilment::insert_attempt(
        &mut tx,
        order.id,
        order_number,
        policy.as_str(),
        courier_id,
        batch_id,
        actor.as_str(),
        now,
    )
    .await?;
    audit::append(
        &mut tx,
        &AuditEntry {
            at: now,
            actor: actor.as_str(),
            action: "shipment.requested",
            entity: "order",
            entity_id: order_number,
            detail: serde_json::json!({ "shipment": sh.id, "attempt": sh.attempt, "courier_id": courier_id, "policy": policy.as_str() }),
        },
    )
    .await?;
    tx.commit().await?;
    announce(state, order_number, "shipment");
    Ok(sh.id)
}

/// Drives attempt `id` in the background and waits at most `budget` for it to ship or fail.
pub(crate) async fn wait(
    state: &AppState,
    id: i64,
    budget: Duration,
) -> Result<ShipmentOutcome, ActionError> {
    let bg = state.clone();
    tokio::spawn(async move {
        if let Err(e) = crate::shipping::drive(&bg, id).await {
            tracing::warn!(shipment = id, error = %e, "shipment saga stopped with an error");
        }
    });
    let deadline = tokio::time::Instant::now() + budget;
    loop {
        let mut conn = state.store.reader().acquire().await?;
        let sh = fulfilment::load_shipment(&mut conn, id).await?;
        drop(conn);
        match sh.step {
            step if step.has_awb() => {
                return Ok(ShipmentOutcome::Shipped {
                    shipment_id: id,
                    awb: sh.awb.unwrap_or_default(),
                    courier_name: sh.courier_name.unwrap_or_default(),
                    tracking_url: sh.tracking_url.unwrap_or_default(),
                });
            }
            Step::Failed => {
                return Ok(ShipmentOutcome::Failed {
                    shipment_id: id,
                    reason: super::failure_reason(
                        sh.failure_message.as_deref().unwrap_or("unknown error"),
                    ),
                });
            }
            Step::Cancelled => {
                return Err(ActionError::NotAllowed("the order was cancelled".into()));
            }
            _ => {}
        }
        if tokio::time::Instant::now() >= deadline {
            return Ok(ShipmentOutcome::Pending { shipment_id: id });
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Couriers for an order with the policy's ranking and choice, for the courier picker. It asks
/// Shiprocket the same serviceability question as the saga.
pub async fn quotes(state: &AppState, order_number: &str) -> Result<Choice, ActionError> {
    let sr = state.shiprocket.clone().ok_or(ActionError::NotConfigured)?;
    let order = orderly_store::orders::get(&state.store, order_number)
        .await?
        .ok_or(ActionError::NotFound)?;
    let pickup = sr
        .pickup_pincode()
        .await
        .map_err(|e| ActionError::Shiprocket(e.ops_message()))?;
    let query = requests::serviceability_query(&order, pickup, None);
    let service = sr
        .client
        .serviceability(&query)
        .await
        .map_err(|e| ActionError::Shiprocket(e.ops_message()))?;
    let quotes: Vec<_> = service.couriers.iter().map(requests::quote).collect();
    let policy = Policy::parse(&state.settings.courier_policy).unwrap_or(Policy::Recommended);
    let parcel = requests::policy_parcel(&order);
    let rec = requests::recommendation(&service);
    Ok(courier::choose(policy, &quotes, &parcel, &rec))
}
