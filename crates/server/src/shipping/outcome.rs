//! How a step ends when it does not simply go on: when Shiprocket is down for everyone the attempt
//! waits for it (parked, see [`super::drive`]); another transient error is retried later (up to
//! [`MAX_RETRIES`] times, in the background), a permanent one fails the attempt with a reason a
//! person can act on and flags the order (it stays `processing`), a cancelled order abandons the
//! attempt. Also the helpers every step shares.

use std::sync::Arc;

use orderly_domain::shipment::Step;
use orderly_store::audit::{self, AuditEntry};
use orderly_store::fulfilment::{self, Shipment, ShipmentUpdate};
use orderly_store::orders::{self, OrderDetail};
use shiprocket::Error as SrError;

use super::Shiprocket;
use super::saga::{Next, save};
use crate::app::AppState;
use crate::changes::{announce, failure_reason};

/// Background retries of a transient failure before the attempt is failed.
pub(crate) const MAX_RETRIES: i64 = 6;

/// The order an attempt ships, with its items and addresses.
pub(crate) async fn order_of(state: &AppState, sh: &Shipment) -> anyhow::Result<OrderDetail> {
    let mut conn = state.store.reader().acquire().await?;
    let summary = orders::get_summary_by_id(&mut conn, sh.order_id).await?;
    drop(conn);
    orders::get(&state.store, &summary.order_number)
        .await?
        .ok_or_else(|| anyhow::anyhow!("order {} vanished", summary.order_number))
}

/// Commits `u` and goes on, or stops when the attempt moved on meanwhile (e.g. cancelled).
pub(crate) async fn advance(
    state: &AppState,
    sh: &Shipment,
    expect_step: Step,
    u: &ShipmentUpdate,
) -> anyhow::Result<Next> {
    Ok(if save(state, sh, expect_step, u).await? {
        Next::Continue
    } else {
        Next::Stop
    })
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
        step: Some(Step::Cancelled),
        ..ShipmentUpdate::default()
    };
    fulfilment::update_fields(&mut conn, sh.id, sh.step, &u, state.clock.now()).await?;
    Ok(())
}

/// Schedules another try whatever the error class (used when Shiprocket's state is unknown).
pub(crate) async fn retry_later(
    state: &AppState,
    sh: &Shipment,
    e: &SrError,
) -> anyhow::Result<Next> {
    if crate::outage::is_outage(e) {
        return wait_for_shiprocket(state, sh, e).await;
    }
    if sh.retry_count + 1 >= MAX_RETRIES {
        return on_error(state, sh, e, false).await;
    }
    schedule_retry(state, sh, e).await
}

/// Shiprocket is down for everyone: the attempt waits for it instead of using up its retries.
async fn wait_for_shiprocket(state: &AppState, sh: &Shipment, e: &SrError) -> anyhow::Result<Next> {
    super::drive::wait_for_shiprocket(state, sh, e).await?;
    Ok(Next::Stop)
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
    save(state, sh, sh.step, &u).await?;
    tracing::info!(
        shipment = sh.id,
        kind = e.kind().as_str(),
        "transient Shiprocket failure; retrying later"
    );
    Ok(Next::Stop)
}

pub(crate) async fn on_error(
    state: &AppState,
    sh: &Shipment,
    e: &SrError,
    after_awb: bool,
) -> anyhow::Result<Next> {
    if crate::outage::is_outage(e) {
        return wait_for_shiprocket(state, sh, e).await;
    }
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
        step: Some(Step::Failed),
        failure: Some((class.to_string(), message.to_string(), excerpt)),
        ..ShipmentUpdate::default()
    };
    if !fulfilment::update_fields(&mut tx, sh.id, sh.step, &u, now).await? {
        tx.rollback().await?;
        return Ok(());
    }
    fulfilment::set_flag(
        &mut tx,
        sh.order_id,
        "shipment_failed",
        Some(&failure_reason(message)),
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
    announce(state, &summary.order_number, "shipment");
    Ok(())
}

pub(crate) async fn flag_pickup_error(
    state: &AppState,
    sh: &Shipment,
    message: &str,
) -> anyhow::Result<()> {
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    fulfilment::set_flag(&mut tx, sh.order_id, "pickup_error", Some(message), now).await?;
    let summary = orders::get_summary_by_id(&mut tx, sh.order_id).await?;
    tx.commit().await?;
    announce(state, &summary.order_number, "flags");
    Ok(())
}
