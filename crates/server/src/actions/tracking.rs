//! Tracking news (from Shiprocket's webhook or the reconciling poller) applied to the order:
//! de-duplicated, stale scans ignored, then delivered / returned / NDR / pickup error / lost.

use orderly_domain::OrderStatus;
use orderly_domain::tracking::{self, TrackingEffect};
use orderly_store::fulfilment::{self, Transition};
use orderly_store::outbox;
use time::OffsetDateTime;

use super::status_changed;
use super::{ActionError, Actor, announce};
use crate::app::AppState;

/// One scan.
#[derive(Debug, Clone)]
pub struct TrackingUpdate {
    /// The AWB it is about.
    pub awb: String,
    /// Shiprocket's shipment status code.
    pub status_code: u32,
    /// When the courier scanned it, if known.
    pub scan_at: Option<OffsetDateTime>,
    /// Where.
    pub location: Option<String>,
    /// `webhook` or `poll`.
    pub source: &'static str,
}

/// What applying a scan did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackingResult {
    /// Seen before; nothing changed.
    Duplicate,
    /// No shipment carries this AWB.
    UnknownAwb,
    /// Recorded.
    Applied,
}

/// Applies one scan in one transaction.
pub async fn apply_tracking(
    state: &AppState,
    u: &TrackingUpdate,
) -> Result<TrackingResult, ActionError> {
    let now = state.clock.now();
    let label = tracking::label(u.status_code);
    let effect = tracking::effect_of(u.status_code);
    let when = u
        .scan_at
        .map(|t| t.unix_timestamp().to_string())
        .unwrap_or_default();
    let dedupe = format!("{}|{}|{}", u.awb, u.status_code, when);
    let mut tx = state.store.begin().await?;
    let Some(tracked) = fulfilment::shipment_by_awb(&mut tx, &u.awb).await? else {
        return Ok(TrackingResult::UnknownAwb);
    };
    let i64_code = i64::from(u.status_code);
    if !fulfilment::record_event(
        &mut tx,
        &dedupe,
        &u.awb,
        i64_code,
        label,
        u.scan_at,
        u.location.as_deref(),
        u.source,
        now,
    )
    .await?
    {
        return Ok(TrackingResult::Duplicate);
    }
    let current = fulfilment::tracking_status(&mut tx, tracked.order_id)
        .await?
        .and_then(|s| TrackingEffect::parse(&s))
        .unwrap_or(TrackingEffect::None);
    if !tracking::supersedes(effect, current) {
        fulfilment::set_tracking_status(&mut tx, tracked.order_id, None, now).await?;
        tx.commit().await?;
        return Ok(TrackingResult::Applied);
    }
    fulfilment::set_tracking_status(&mut tx, tracked.order_id, Some(effect.as_str()), now).await?;
    if effect == TrackingEffect::PickedUp || effect.rank() > TrackingEffect::PickedUp.rank() {
        fulfilment::mark_picked_up(&mut tx, tracked.shipment_id, u.scan_at.unwrap_or(now)).await?;
    }
    let order = fulfilment::load_order(&mut tx, &tracked.order_number)
        .await?
        .ok_or(ActionError::NotFound)?;
    let outcome = tracking::outcome(order.status, effect, label);
    let actor = Actor::system("tracking");
    if let Some(ndr) = &outcome.set_ndr {
        fulfilment::set_flag(&mut tx, order.id, "ndr", Some(ndr), now).await?;
    } else if outcome.clear_ndr {
        fulfilment::set_flag(&mut tx, order.id, "ndr", None, now).await?;
    }
    if let Some(p) = &outcome.set_pickup_error {
        fulfilment::set_flag(&mut tx, order.id, "pickup_error", Some(p), now).await?;
    } else if outcome.clear_pickup_error {
        fulfilment::set_flag(&mut tx, order.id, "pickup_error", None, now).await?;
    }
    if outcome.lost {
        fulfilment::set_flag(
            &mut tx,
            order.id,
            "ndr",
            Some("Courier reports the parcel lost or damaged — raise a claim"),
            now,
        )
        .await?;
    }
    if let Some(action) = outcome.action {
        let order = fulfilment::load_order(&mut tx, &tracked.order_number)
            .await?
            .ok_or(ActionError::NotFound)?;
        let (to, _) = fulfilment::transition(
            &mut tx,
            &order,
            &Transition {
                action,
                expected_version: None,
                actor: actor.as_str(),
                reason: Some(label),
                at: now,
            },
        )
        .await?;
        status_changed(&mut tx, &order, to, &actor, Some(label), now).await?;
        if to == OrderStatus::Delivered {
            outbox::append(
                &mut tx,
                outbox::types::ORDER_DELIVERED,
                1,
                Some((order.id, &order.order_number)),
                now,
                serde_json::json!({
                    "order_number": order.order_number,
                    "awb": u.awb,
                    "delivered_at": u.scan_at.unwrap_or(now).format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
                }),
            )
            .await?;
        }
    }
    tx.commit().await?;
    announce(state, &tracked.order_number, "status");
    Ok(TrackingResult::Applied)
}
