//! Step `courier_chosen`: assign the AWB — reading the shipment back first when an earlier
//! assignment may have gone through — and commit the AWB, the order's `shipped` status and
//! `OrderShipped` in one transaction.

use std::sync::Arc;

use orderly_domain::courier::{self, Choice};
use orderly_domain::shipment::Step;
use orderly_domain::{Action, OrderStatus};
use orderly_store::audit::{self, AuditEntry};
use orderly_store::fulfilment::{self, Shipment, ShipmentUpdate, Transition};
use orderly_store::orders::OrderDetail;
use orderly_store::{StoreError, outbox};
use shiprocket::{Error as SrError, ErrorKind};

use super::Shiprocket;
use super::faults::FaultPoint;
use super::outcome::{abandon, advance, fail, on_error, order_of, retry_later};
use super::requests::tracking_url;
use super::saga::{Next, save};
use crate::app::AppState;
use crate::changes::{Actor, announce, status_changed};

/// Reads the shipment back from Shiprocket: the AWB, courier id and name when one is assigned.
async fn assigned_awb(
    sr: &Shiprocket,
    sh: &Shipment,
    shipment_id: i64,
    courier_id: i64,
) -> Result<Option<(String, i64, String)>, SrError> {
    let d = sr.client.shipment(shipment_id).await?;
    Ok(d.awb.filter(|a| !a.is_empty()).map(|awb| {
        let name = d
            .courier
            .unwrap_or_else(|| sh.courier_name.clone().unwrap_or_default());
        (awb, d.courier_company_id.unwrap_or(courier_id), name)
    }))
}

/// Step 3: assign the AWB — reading back first when an earlier assignment may have gone through.
pub(crate) async fn assign_awb(
    state: &AppState,
    sr: &Arc<Shiprocket>,
    sh: &Shipment,
    after_call: bool,
) -> anyhow::Result<Next> {
    let (Some(shipment_id), Some(courier_id)) = (sh.sr_shipment_id, sh.courier_id) else {
        anyhow::bail!(
            "attempt {} reached assign_awb without a Shiprocket shipment or courier",
            sh.id
        );
    };
    if sh.assign_attempts > 0 {
        match assigned_awb(sr, sh, shipment_id, courier_id).await {
            Ok(Some((awb, id, name))) => {
                return commit_shipped(state, sr, sh, &awb, id, &name).await;
            }
            Ok(None) => {}
            // Unknown whether an AWB exists: never fail here, look again later.
            Err(e) => return retry_later(state, sh, &e).await,
        }
    }
    let marked = ShipmentUpdate {
        bump_assign_attempts: true,
        ..ShipmentUpdate::default()
    };
    if !save(state, sh, Step::CourierChosen, &marked).await? {
        return Ok(Next::Stop);
    }
    match sr.client.assign_awb(shipment_id, Some(courier_id)).await {
        Ok(_) if after_call => Ok(Next::Stop),
        Ok(a) => {
            commit_shipped(
                state,
                sr,
                sh,
                &a.awb_code,
                a.courier_company_id,
                &a.courier_name,
            )
            .await
        }
        Err(e) if e.kind() == ErrorKind::CourierRefused => {
            next_courier(state, sh, courier_id, &e).await
        }
        // The call may have gone through (a timeout, a garbled answer, "already assigned"):
        // look before deciding, so an AWB that exists is never orphaned.
        Err(e) => match assigned_awb(sr, sh, shipment_id, courier_id).await {
            Ok(Some(_)) if after_call => Ok(Next::Stop),
            Ok(Some((awb, id, name))) => commit_shipped(state, sr, sh, &awb, id, &name).await,
            // Confirmed: no AWB. The error decides.
            Ok(None) => on_error(state, sh, &e, false).await,
            Err(_) => retry_later(state, sh, &e).await,
        },
    }
}

async fn next_courier(
    state: &AppState,
    sh: &Shipment,
    refused_id: i64,
    e: &SrError,
) -> anyhow::Result<Next> {
    let mut refused = sh.refused_couriers.clone();
    refused.push(refused_id);
    let choice: Option<Choice> = sh
        .quotes
        .clone()
        .and_then(|q| serde_json::from_value(q).ok());
    let next = choice
        .as_ref()
        .and_then(|c| courier::next_after_refusal(c, &refused, courier::MAX_HOPS));
    let Some(next) = next else {
        fail(
            state,
            sh,
            "courier_refused",
            &format!(
                "Every suitable courier refused this parcel: {}",
                e.ops_message()
            ),
            Some(e),
        )
        .await?;
        return Ok(Next::Stop);
    };
    let u = ShipmentUpdate {
        courier_id: Some(next.courier_id),
        courier_name: Some(next.courier_name.clone()),
        refused_couriers: serde_json::to_string(&refused).ok(),
        choice_explanation: Some(format!(
            "{} refused ({}); next by policy: {}",
            sh.courier_name.clone().unwrap_or_default(),
            e.ops_message(),
            next.courier_name
        )),
        ..ShipmentUpdate::default()
    };
    advance(state, sh, Step::CourierChosen, &u).await
}

/// What the transaction of [`commit_shipped`] found.
enum Commit {
    /// Committed: the order is shipped.
    Shipped,
    /// The order really is cancelled: the AWB must be undone.
    OrderCancelled,
    /// The attempt is no longer in `courier_chosen` (someone else moved it on): nothing to do.
    MovedOn,
}

/// Tries of the commit when a concurrent change bumped the order's version meanwhile.
const COMMIT_TRIES: u32 = 3;

/// The AWB, the order's `shipped` status and `OrderShipped`, in one transaction. Only an order that
/// really is cancelled undoes the AWB at Shiprocket; any other error (a database error, a busy
/// SQLite, a version race that keeps losing) leaves the attempt in `courier_chosen` to be retried
/// — and the retry reads the AWB back from Shiprocket instead of assigning another.
async fn commit_shipped(
    state: &AppState,
    sr: &Arc<Shiprocket>,
    sh: &Shipment,
    awb: &str,
    courier_id: i64,
    courier_name: &str,
) -> anyhow::Result<Next> {
    let order = order_of(state, sh).await?;
    let mut tries = 0;
    loop {
        tries += 1;
        match try_commit_shipped(state, sh, &order, awb, courier_id, courier_name).await {
            Ok(Commit::Shipped) => break,
            Ok(Commit::OrderCancelled) => {
                if let Err(e) = sr.client.cancel_awbs(&[awb.to_string()]).await {
                    tracing::warn!(
                        shipment = sh.id,
                        kind = e.kind().as_str(),
                        "could not cancel the AWB of an order cancelled meanwhile"
                    );
                }
                abandon(state, sr, sh).await?;
                return Ok(Next::Stop);
            }
            Ok(Commit::MovedOn) => return Ok(Next::Stop),
            // A concurrent edit or flag change bumped the version: read the order again.
            Err(StoreError::Conflict(_)) if tries < COMMIT_TRIES => {}
            Err(e) => {
                tracing::warn!(shipment = sh.id, error = %e, "could not commit the AWB; the step is retried");
                return Err(e.into());
            }
        }
    }
    state.metrics.inc(
        "orderly_shipments_total",
        &[
            ("outcome", "shipped"),
            ("reason", "none"),
            ("courier", courier_name),
        ],
        1.0,
    );
    announce(state, &order.summary.order_number, "shipment");
    Ok(Next::Continue)
}

async fn try_commit_shipped(
    state: &AppState,
    sh: &Shipment,
    order: &OrderDetail,
    awb: &str,
    courier_id: i64,
    courier_name: &str,
) -> Result<Commit, StoreError> {
    let now = state.clock.now();
    let url = tracking_url(awb);
    let actor = Actor::system("worker");
    let mut tx = state.store.begin().await?;
    let o = fulfilment::load_order(&mut tx, &order.summary.order_number)
        .await?
        .ok_or(StoreError::NotFound)?;
    if o.status == OrderStatus::Cancelled {
        tx.rollback().await?;
        return Ok(Commit::OrderCancelled);
    }
    let u = ShipmentUpdate {
        step: Some(Step::AwbAssigned),
        awb: Some(awb.to_string()),
        courier_id: Some(courier_id),
        courier_name: Some(courier_name.to_string()),
        tracking_url: Some(url.clone()),
        clear_failure: true,
        ..ShipmentUpdate::default()
    };
    if !fulfilment::update_fields(&mut tx, sh.id, Step::CourierChosen, &u, now).await? {
        tx.rollback().await?;
        return Ok(Commit::MovedOn);
    }
    if state.faults.fires(FaultPoint::ShipCommitDbError) {
        return Err(StoreError::Db(sqlx::Error::PoolTimedOut));
    }
    if state.faults.fires(FaultPoint::ShipCommitVersionBump) {
        fulfilment::set_flag(&mut tx, o.id, "ndr", None, now).await?;
    }
    fulfilment::transition(
        &mut tx,
        &o,
        &Transition {
            action: Action::Ship,
            expected_version: None,
            actor: actor.as_str(),
            reason: Some(&format!("AWB {awb} by {courier_name}")),
            at: now,
        },
    )
    .await?;
    fulfilment::set_shipping_info(&mut tx, o.id, awb, courier_name, &url).await?;
    status_changed(
        &mut tx,
        &o,
        OrderStatus::Shipped,
        &actor,
        Some(&format!("AWB {awb}")),
        now,
    )
    .await?;
    outbox::append(
        &mut tx,
        outbox::types::ORDER_SHIPPED,
        1,
        Some((o.id, &o.order_number)),
        now,
        shipped_event(order, awb, courier_id, courier_name, &url, now),
    )
    .await?;
    audit::append(
        &mut tx,
        &AuditEntry {
            at: now,
            actor: actor.as_str(),
            action: "shipment.awb_assigned",
            entity: "order",
            entity_id: &o.order_number,
            detail: serde_json::json!({ "shipment": sh.id, "awb": awb, "courier": courier_name }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Commit::Shipped)
}

fn shipped_event(
    o: &OrderDetail,
    awb: &str,
    courier_id: i64,
    courier_name: &str,
    url: &str,
    at: time::OffsetDateTime,
) -> serde_json::Value {
    serde_json::json!({
        "order_number": o.summary.order_number,
        "awb": awb,
        "courier": { "id": courier_id, "name": courier_name },
        "tracking_url": url,
        "shipped_at": at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
        "items": o.items.iter().map(|i| serde_json::json!({ "sku": i.sku, "name": i.name, "units": i.units })).collect::<Vec<_>>(),
        "customer": { "name": o.summary.customer_name, "email": o.summary.email, "phone": o.summary.phone },
        "shipping_address": o.shipping_address,
    })
}
