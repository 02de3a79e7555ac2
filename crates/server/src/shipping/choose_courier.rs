//! Step `sr_order_created`: ask Shiprocket for quotes and choose the courier (by policy, or the
//! person's pick), committing the ranking and its explanation.

use std::sync::Arc;

use orderly_domain::courier::{self, Policy};
use orderly_domain::shipment::Step;
use orderly_store::fulfilment::{Shipment, ShipmentUpdate};
use shiprocket::ErrorKind;

use super::Shiprocket;
use super::outcome::{advance, fail, on_error, order_of};
use super::requests::{policy_parcel, quote, recommendation, serviceability_query};
use super::saga::Next;
use crate::app::AppState;

/// Step 2: ask for quotes and choose the courier (policy, or the person's pick).
pub(crate) async fn choose_courier(
    state: &AppState,
    sr: &Arc<Shiprocket>,
    sh: &Shipment,
    after_call: bool,
) -> anyhow::Result<Next> {
    let order = order_of(state, sh).await?;
    let pickup = match sr.pickup_pincode().await {
        Ok(p) => p,
        Err(e) => return on_error(state, sh, &e, false).await,
    };
    let query = serviceability_query(&order, pickup, sh.sr_order_id);
    let service = match sr.client.serviceability(&query).await {
        Ok(s) => s,
        Err(e) if e.kind() == ErrorKind::NotServiceable => {
            let pin = &order.shipping_address.pincode;
            let message =
                format!("Pincode {pin} is not serviceable by any courier — check the address");
            fail(state, sh, "not_serviceable", &message, Some(&e)).await?;
            return Ok(Next::Stop);
        }
        Err(e) => return on_error(state, sh, &e, false).await,
    };
    if after_call {
        return Ok(Next::Stop);
    }
    let quotes: Vec<_> = service.couriers.iter().map(quote).collect();
    let parcel = policy_parcel(&order);
    let policy = sh
        .policy
        .as_deref()
        .and_then(Policy::parse)
        .unwrap_or(Policy::Recommended);
    let rec = recommendation(&service);
    let choice = match sh.requested_courier_id {
        Some(id) => match courier::choose_override(id, &quotes, &parcel) {
            Ok(c) => c,
            Err(why) => {
                fail(
                    state,
                    sh,
                    "courier_unsuitable",
                    &format!("The courier you chose cannot take this parcel: {why}"),
                    None,
                )
                .await?;
                return Ok(Next::Stop);
            }
        },
        None => courier::choose(policy, &quotes, &parcel, &rec),
    };
    let Some(chosen) = choice.chosen.clone() else {
        let pin = &order.shipping_address.pincode;
        fail(state, sh, "not_serviceable", &format!("Pincode {pin} is not serviceable by any courier for this parcel — check the address ({})", choice.explanation), None).await?;
        return Ok(Next::Stop);
    };
    let u = ShipmentUpdate {
        step: Some(Step::CourierChosen),
        quotes_json: serde_json::to_string(&choice).ok(),
        choice_explanation: Some(choice.explanation.clone()),
        courier_id: Some(chosen.courier_id),
        courier_name: Some(chosen.courier_name.clone()),
        clear_failure: true,
        ..ShipmentUpdate::default()
    };
    advance(state, sh, Step::SrOrderCreated, &u).await
}
