//! Step `requested`: create (or find again) the Shiprocket order. Safe to repeat: Shiprocket
//! returns the existing order for a repeated channel order id.

use std::sync::Arc;

use orderly_domain::shipment::Step;
use orderly_store::fulfilment::{Shipment, ShipmentUpdate};

use super::Shiprocket;
use super::outcome::{advance, fail, on_error, order_of};
use super::requests::create_request;
use super::saga::Next;
use crate::app::AppState;

/// Step 1: create (or find again) the Shiprocket order.
pub(crate) async fn create_order(
    state: &AppState,
    sr: &Arc<Shiprocket>,
    sh: &Shipment,
    after_call: bool,
) -> anyhow::Result<Next> {
    let order = order_of(state, sh).await?;
    let req = create_request(&order, &sh.channel_order_id, &sr.pickup_location);
    match sr.client.create_adhoc_order(&req).await {
        Ok(resp) if resp.is_cancelled() => {
            fail(state, sh, "rejected", "Shiprocket holds a cancelled order under this order number; cancel and place it again", None).await?;
            Ok(Next::Stop)
        }
        Ok(resp) => {
            if after_call {
                return Ok(Next::Stop);
            }
            let u = ShipmentUpdate {
                step: Some(Step::SrOrderCreated),
                sr_order_id: Some(resp.order_id),
                sr_shipment_id: Some(resp.shipment_id),
                clear_failure: true,
                ..ShipmentUpdate::default()
            };
            advance(state, sh, Step::Requested, &u).await
        }
        Err(e) => on_error(state, sh, &e, false).await,
    }
}
