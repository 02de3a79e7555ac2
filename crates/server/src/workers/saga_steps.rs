//! The saga's steps. Each makes at most one kind of Shiprocket call and commits its result before
//! returning; errors are classified retryable (retried later, in the background) or permanent (the
//! attempt fails with a reason a person can act on and the order is flagged, staying `processing`).

use std::sync::Arc;

use orderly_domain::Action;
use orderly_domain::courier::{self, Choice, Policy, Recommendation};
use orderly_store::audit::{self, AuditEntry};
use orderly_store::fulfilment::{self, Shipment, ShipmentUpdate, Transition};
use orderly_store::orders::{self, OrderDetail};
use orderly_store::outbox;
use shiprocket::{Error as SrError, ErrorKind, ServiceabilityQuery};

use super::saga::{Next, save};
use super::saga_build::{create_request, parcel, quote, tracking_url};
use super::shipments::Shiprocket;
use crate::actions::Actor;
use crate::app::AppState;

/// Background retries of a transient failure before the attempt is failed.
const MAX_RETRIES: i64 = 6;

async fn order_of(state: &AppState, sh: &Shipment) -> anyhow::Result<OrderDetail> {
    let mut conn = state.store.reader().acquire().await?;
    let summary = orders::get_summary_by_id(&mut conn, sh.order_id).await?;
    drop(conn);
    orders::get(&state.store, &summary.order_number)
        .await?
        .ok_or_else(|| anyhow::anyhow!("order {} vanished", summary.order_number))
}

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
                step: Some("sr_order_created"),
                sr_order_id: Some(resp.order_id),
                sr_shipment_id: Some(resp.shipment_id),
                clear_failure: true,
                ..ShipmentUpdate::default()
            };
            advance(state, sh, "requested", &u).await
        }
        Err(e) => on_error(state, sh, &e, false).await,
    }
}

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
    let (weight, length, breadth, height) = parcel(&order);
    let cod = order.summary.payment_method == "cod";
    let query = ServiceabilityQuery {
        pickup_postcode: pickup,
        delivery_postcode: order.shipping_address.pincode.clone(),
        order_id: sh.sr_order_id,
        cod: Some(cod),
        weight: Some(weight),
        length: Some(length),
        breadth: Some(breadth),
        height: Some(height),
        declared_value: Some(order.summary.total_paise as f64 / 100.0),
        ..ServiceabilityQuery::default()
    };
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
    let parcel = courier::Shipment {
        cod,
        weight_g: u32::try_from(order.package.weight_g.unwrap_or(500)).unwrap_or(u32::MAX),
    };
    let policy = sh
        .policy
        .as_deref()
        .and_then(Policy::parse)
        .unwrap_or(Policy::Recommended);
    let rec = Recommendation {
        recommended_courier_id: service
            .recommended_courier_company_id
            .or(service.shiprocket_recommended_courier_id),
    };
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
        step: Some("courier_chosen"),
        quotes_json: serde_json::to_string(&choice).ok(),
        choice_explanation: Some(choice.explanation.clone()),
        courier_id: Some(chosen.courier_id),
        courier_name: Some(chosen.courier_name.clone()),
        clear_failure: true,
        ..ShipmentUpdate::default()
    };
    advance(state, sh, "sr_order_created", &u).await
}

/// Commits `u` and goes on, or stops when the attempt moved on meanwhile (e.g. cancelled).
async fn advance(
    state: &AppState,
    sh: &Shipment,
    expect_step: &str,
    u: &ShipmentUpdate,
) -> anyhow::Result<Next> {
    Ok(if save(state, sh, expect_step, u).await? {
        Next::Continue
    } else {
        Next::Stop
    })
}

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
    if !save(state, sh, "courier_chosen", &marked).await? {
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
    advance(state, sh, "courier_chosen", &u).await
}

/// The AWB, the order's `shipped` status and `OrderShipped`, in one transaction.
async fn commit_shipped(
    state: &AppState,
    sr: &Arc<Shiprocket>,
    sh: &Shipment,
    awb: &str,
    courier_id: i64,
    courier_name: &str,
) -> anyhow::Result<Next> {
    let now = state.clock.now();
    let url = tracking_url(awb);
    let order = order_of(state, sh).await?;
    let actor = Actor::system("worker");
    let mut tx = state.store.begin().await?;
    let u = ShipmentUpdate {
        step: Some("awb_assigned"),
        awb: Some(awb.to_string()),
        courier_id: Some(courier_id),
        courier_name: Some(courier_name.to_string()),
        tracking_url: Some(url.clone()),
        clear_failure: true,
        ..ShipmentUpdate::default()
    };
    let still_ours = fulfilment::update_fields(&mut tx, sh.id, "courier_chosen", &u, now).await?;
    let order_ref = fulfilment::load_order(&mut tx, &order.summary.order_number).await?;
    let shipped = match (still_ours, order_ref) {
        (true, Some(o)) => fulfilment::transition(
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
        .await
        .ok()
        .map(|_| o),
        _ => None,
    };
    let Some(o) = shipped else {
        tx.rollback().await?;
        // Cancelled meanwhile: undo at Shiprocket so no shipment is left behind.
        let _ = sr.client.cancel_awbs(&[awb.to_string()]).await;
        abandon(state, sr, sh).await?;
        return Ok(Next::Stop);
    };
    fulfilment::set_shipping_info(&mut tx, o.id, awb, courier_name, &url).await?;
    crate::actions::status_changed(
        &mut tx,
        &o,
        "shipped",
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
        shipped_event(&order, awb, courier_id, courier_name, &url, now),
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
    state.metrics.inc(
        "orderly_shipments_total",
        &[
            ("outcome", "shipped"),
            ("reason", "none"),
            ("courier", courier_name),
        ],
        1.0,
    );
    crate::actions::announce(state, &o.order_number, "shipment");
    Ok(Next::Continue)
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
            step: Some("pickup_scheduled"),
            pickup_token: p.pickup_token_number,
            pickup_scheduled_for: p.pickup_scheduled_date.map(|d| d.date().to_string()),
            clear_failure: true,
            ..ShipmentUpdate::default()
        },
        Err(e) if e.to_string().contains("Already in Pickup Queue") => ShipmentUpdate {
            step: Some("pickup_scheduled"),
            ..ShipmentUpdate::default()
        },
        Err(e) if e.is_retryable() && sh.retry_count < MAX_RETRIES => {
            return on_error(state, sh, &e, true).await;
        }
        Err(e) => {
            flag_pickup_error(state, sh, &e.ops_message()).await?;
            ShipmentUpdate {
                step: Some("pickup_scheduled"),
                ..ShipmentUpdate::default()
            }
        }
    };
    if after_call {
        return Ok(Next::Stop);
    }
    advance(state, sh, "awb_assigned", &u).await
}

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
        step: Some("done"),
        label_url: label,
        manifest_url: manifest,
        ..ShipmentUpdate::default()
    };
    save(state, sh, "pickup_scheduled", &u).await?;
    Ok(Next::Stop)
}

/// The order was cancelled while this attempt ran: cancel what exists at Shiprocket, end the attempt.
pub(crate) async fn abandon(
    state: &AppState,
    sr: &Arc<Shiprocket>,
    sh: &Shipment,
) -> anyhow::Result<()> {
    if let Some(sr_order) = sh.sr_order_id {
        let _ = sr.client.cancel_orders(&[sr_order]).await;
    }
    let mut conn = state.store.writer().acquire().await?;
    let u = ShipmentUpdate {
        step: Some("cancelled"),
        ..ShipmentUpdate::default()
    };
    fulfilment::update_fields(&mut conn, sh.id, &sh.step, &u, state.clock.now()).await?;
    Ok(())
}

/// Schedules another try whatever the error class (used when Shiprocket's state is unknown).
async fn retry_later(state: &AppState, sh: &Shipment, e: &SrError) -> anyhow::Result<Next> {
    if sh.retry_count + 1 >= MAX_RETRIES {
        return on_error(state, sh, e, false).await;
    }
    schedule_retry(state, sh, e).await
}

async fn schedule_retry(state: &AppState, sh: &Shipment, e: &SrError) -> anyhow::Result<Next> {
    let wait = time::Duration::seconds(5 * (1i64 << sh.retry_count.clamp(0, 7)));
    let u = ShipmentUpdate {
        retry_at: Some(state.clock.now() + wait),
        failure: Some((
            e.kind().as_str().to_string(),
            e.ops_message(),
            Some(shiprocket::error::masked_excerpt(&e.to_string())),
        )),
        ..ShipmentUpdate::default()
    };
    save(state, sh, &sh.step, &u).await?;
    tracing::info!(
        shipment = sh.id,
        kind = e.kind().as_str(),
        "transient Shiprocket failure; retrying later"
    );
    Ok(Next::Stop)
}

async fn on_error(
    state: &AppState,
    sh: &Shipment,
    e: &SrError,
    after_awb: bool,
) -> anyhow::Result<Next> {
    if e.is_retryable() && sh.retry_count + 1 < MAX_RETRIES {
        return schedule_retry(state, sh, e).await;
    }
    if after_awb {
        flag_pickup_error(state, sh, &e.ops_message()).await?;
        return Ok(Next::Stop);
    }
    let message = if e.is_retryable() {
        format!("Shiprocket kept failing: {}", e.ops_message())
    } else {
        e.ops_message()
    };
    fail(state, sh, e.kind().as_str(), &message, Some(e)).await?;
    Ok(Next::Stop)
}

/// Ends the attempt as failed and flags the order "Shipment failed"; it stays `processing`.
pub(crate) async fn fail(
    state: &AppState,
    sh: &Shipment,
    class: &str,
    message: &str,
    e: Option<&SrError>,
) -> anyhow::Result<()> {
    let now = state.clock.now();
    let excerpt = e.map(|e| shiprocket::error::masked_excerpt(&e.to_string()));
    let mut tx = state.store.begin().await?;
    let u = ShipmentUpdate {
        step: Some("failed"),
        failure: Some((class.to_string(), message.to_string(), excerpt)),
        ..ShipmentUpdate::default()
    };
    if !fulfilment::update_fields(&mut tx, sh.id, &sh.step, &u, now).await? {
        tx.rollback().await?;
        return Ok(());
    }
    fulfilment::set_flag(
        &mut tx,
        sh.order_id,
        "shipment_failed",
        Some(&crate::actions::failure_reason(message)),
        now,
    )
    .await?;
    let summary = orders::get_summary_by_id(&mut tx, sh.order_id).await?;
    audit::append(
        &mut tx,
        &AuditEntry {
            at: now,
            actor: "worker",
            action: "shipment.failed",
            entity: "order",
            entity_id: &summary.order_number,
            detail: serde_json::json!({ "shipment": sh.id, "class": class }),
        },
    )
    .await?;
    tx.commit().await?;
    state.metrics.inc(
        "orderly_shipments_total",
        &[
            ("outcome", "failed"),
            ("reason", class),
            ("courier", sh.courier_name.as_deref().unwrap_or("none")),
        ],
        1.0,
    );
    crate::actions::announce(state, &summary.order_number, "shipment");
    Ok(())
}

async fn flag_pickup_error(state: &AppState, sh: &Shipment, message: &str) -> anyhow::Result<()> {
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    fulfilment::set_flag(&mut tx, sh.order_id, "pickup_error", Some(message), now).await?;
    let summary = orders::get_summary_by_id(&mut tx, sh.order_id).await?;
    tx.commit().await?;
    crate::actions::announce(state, &summary.order_number, "flags");
    Ok(())
}
