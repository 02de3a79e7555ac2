//! Step `awb_assigned`: schedule the courier's pickup. A failure flags `pickup_error`; the order
//! stays shipped.

use std::sync::Arc;

use orderly_domain::shipment::Step;
use orderly_store::fulfilment::{Shipment, ShipmentUpdate};

use shiprocket::ErrorKind;

use super::Shiprocket;
use super::outcome::{MAX_RETRIES, advance, flag_pickup_error, on_error};
use super::saga::Next;
use crate::app::AppState;

/// Step 4: schedule the pickup. A failure flags `pickup_error`; the order stays shipped.
pub(crate) async fn schedule_pickup(
    state: &AppState,
    sr: &Arc<Shiprocket>,
    sh: &Shipment,
    after_call: bool,
) -> anyhow::Result<Next> {
    let Some(shipment_id) = sh.sr_shipment_id else {
        anyhow::bail!("no Shiprocket shipment")
    };
    let u = match sr.client.generate_pickup(&[shipment_id]).await {
        Ok(p) => ShipmentUpdate {
            step: Some(Step::PickupScheduled),
            pickup_token: p.pickup_token_number,
            pickup_scheduled_for: p.pickup_scheduled_date.map(|d| d.date().to_string()),
            clear_failure: true,
            ..ShipmentUpdate::default()
        },
        Err(e) if e.kind() == ErrorKind::AlreadyInPickupQueue => ShipmentUpdate {
            step: Some(Step::PickupScheduled),
            ..ShipmentUpdate::default()
        },
        Err(e) if e.is_retryable() && sh.retry_count < MAX_RETRIES => {
            return on_error(state, sh, &e, true).await;
        }
        Err(e) => {
            flag_pickup_error(state, sh, &e.ops_message()).await?;
            ShipmentUpdate {
                step: Some(Step::PickupScheduled),
                ..ShipmentUpdate::default()
            }
        }
    };
    if after_call {
        return Ok(Next::Stop);
    }
    advance(state, sh, Step::AwbAssigned, &u).await
}
