//! Step `pickup_scheduled`: the label and manifest, best effort; the attempt ends `done`.

use std::sync::Arc;

use orderly_domain::shipment::Step;
use orderly_store::fulfilment::{Shipment, ShipmentUpdate};

use super::Shiprocket;
use super::saga::{Next, save};
use crate::app::AppState;

/// Step 5: label and manifest, best effort.
pub(crate) async fn documents(
    state: &AppState,
    sr: &Arc<Shiprocket>,
    sh: &Shipment,
    after_call: bool,
) -> anyhow::Result<Next> {
    let Some(shipment_id) = sh.sr_shipment_id else {
        anyhow::bail!("no Shiprocket shipment")
    };
    let label = sr
        .client
        .generate_label(&[shipment_id])
        .await
        .ok()
        .filter(|u| !u.is_empty());
    let manifest = sr
        .client
        .generate_manifest(&[shipment_id])
        .await
        .ok()
        .filter(|u| !u.is_empty());
    if after_call {
        return Ok(Next::Stop);
    }
    let u = ShipmentUpdate {
        step: Some(Step::Done),
        label_url: label,
        manifest_url: manifest,
        ..ShipmentUpdate::default()
    };
    save(state, sh, Step::PickupScheduled, &u).await?;
    Ok(Next::Stop)
}
