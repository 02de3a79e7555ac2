//! `GET /orders/{order_number}`: one order with customer, addresses, items, payment, the status
//! timeline with actors, shipment attempts, notes, the address form and the actions this state and
//! role allow. Opening it marks the order as seen. Results of actions arrive as `?done=` codes and
//! are turned into the spec's exact sentences here (never reflected from the URL).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use orderly_domain::Action;
use orderly_domain::order::PaymentMethod;
use orderly_store::accounts::{self, Role};
use orderly_store::orders::{self, AddressView, OrderDetail};
use serde::Deserialize;

use super::format::{inr, ist, status_label};
use super::{Session, WebError};
use crate::app::AppState;

/// Shown when a status change fails (spec 3.4).
pub const STATUS_FAILED: &str = "Unable to update order status. Please try again.";

/// `?done=` after an action.
#[derive(Debug, Default, Deserialize)]
pub struct Done {
    /// What happened: `processing`, `shipped`, `failed`, `pending`, `cancelled`, `note`,
    /// `address`, `stale`, `error`, `retry`.
    pub done: Option<String>,
}

/// One entry of the vertical timeline.
#[derive(Debug)]
pub struct Step {
    label: String,
    at: String,
    actor: String,
    reason: Option<String>,
    current: bool,
}

/// One line item.
#[derive(Debug)]
pub struct Line {
    name: String,
    sku: String,
    units: i64,
    unit_price: String,
    line_total: String,
}

/// A shipment attempt as shown.
#[derive(Debug, Default)]
pub struct Attempt {
    /// Attempt number.
    pub number: i64,
    /// Where the saga got to.
    pub step: String,
    /// Courier, when chosen.
    pub courier: Option<String>,
    /// Why this courier.
    pub why: Option<String>,
    /// Quotes considered: `(courier, rate, estimated delivery, rating)`.
    pub quotes: Vec<(String, String, String, String)>,
    /// AWB, once assigned.
    pub awb: Option<String>,
    /// Carrier tracking link.
    pub tracking_url: Option<String>,
    /// Failure, in words.
    pub failure: Option<String>,
    /// When.
    pub at: String,
}

/// An internal note as shown.
#[derive(Debug)]
pub struct NoteView {
    /// Who wrote it.
    pub author: String,
    /// When.
    pub at: String,
    /// What.
    pub text: String,
}

#[derive(Template)]
#[template(path = "order.html")]
struct OrderPage {
    /// The automatic-rollback banner, when fulfilment was switched off by the guard.
    banner: Option<String>,
    /// The "waiting for Shiprocket" banner while Shiprocket is down (since when, how many wait).
    outage: Option<String>,
    email: String,
    role: &'static str,
    csrf: String,
    number: String,
    base: String,
    placed: String,
    status: String,
    status_label: String,
    version: i64,
    customer: String,
    customer_email: String,
    phone: String,
    ship: AddressView,
    billing: Option<AddressView>,
    lines: Vec<Line>,
    subtotal: String,
    tax: String,
    shipping: String,
    discount: String,
    total: String,
    payment: String,
    steps: Vec<Step>,
    awb: Option<String>,
    courier: Option<String>,
    tracking_url: Option<String>,
    flags: Vec<(&'static str, String)>,
    message: Option<(&'static str, String)>,
    attempts: Vec<Attempt>,
    notes: Vec<NoteView>,
    can_act: bool,
    fulfilment_off: Option<String>,
    can_process: bool,
    can_ship: bool,
    can_retry: bool,
    can_cancel: bool,
    can_edit_address: bool,
}

/// The sentence for a `?done=` code, with its alert class.
fn message(done: &str, o: &OrderDetail) -> Option<(&'static str, String)> {
    let s = &o.summary;
    Some(match done {
        "processing" => ("alert-ok", "Order marked as Processing.".to_string()),
        "shipped" => (
            "alert-ok",
            format!(
                "Shipment created successfully. AWB: {}",
                s.awb.as_deref().unwrap_or("pending")
            ),
        ),
        "failed" => (
            "alert-bad",
            format!(
                "Shipment generation failed: {}. Please verify address and try again.",
                s.flags
                    .shipment_failed
                    .as_deref()
                    .unwrap_or("Shiprocket did not create it")
                    .trim_end_matches('.')
            ),
        ),
        "pending" => (
            "alert-warn",
            "Shiprocket is still working on this shipment. This page updates by itself when it finishes.".to_string(),
        ),
        "cancelled" => ("alert-ok", "Order cancelled.".to_string()),
        "note" => ("alert-ok", "Note added.".to_string()),
        "address" => ("alert-ok", "Shipping address updated.".to_string()),
        "stale" => (
            "alert-warn",
            "This order changed while you were looking at it. Review it and try again.".to_string(),
        ),
        "error" => ("alert-bad", STATUS_FAILED.to_string()),
        _ => return None,
    })
}

/// `GET /orders/{order_number}`.
pub async fn page(
    State(state): State<AppState>,
    session: Session,
    Path(number): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, WebError> {
    let Some(o) = orders::get(&state.store, &number).await? else {
        return Err(WebError::NotFound);
    };
    if !o.summary.seen
        && accounts::mark_order_seen(&state.store, &number, state.clock.now()).await?
    {
        state.live.publish(&number, "seen");
    }
    let (attempts, notes) = super::actions::history(&state, &o).await?;
    let s = &o.summary;
    let status = s.status;
    let can_act = session.role() >= Role::Operator;
    let actor = format!("user:{}", session.email());
    let decision = crate::feature::decide(&state, &number, Some(&actor)).await;
    let fulfil = can_act && decision.allowed;
    let failed = s.flags.shipment_failed.is_some();
    let steps = {
        let last = o.history.len().saturating_sub(1);
        o.history
            .iter()
            .enumerate()
            .map(|(i, h)| Step {
                label: status_label(&h.to),
                at: ist(h.at),
                actor: h.actor.clone(),
                reason: h.reason.clone(),
                current: i == last,
            })
            .collect()
    };
    let lines = o
        .items
        .iter()
        .map(|i| Line {
            name: i.name.clone(),
            sku: i.sku.clone(),
            units: i.units,
            unit_price: inr(i.unit_price_paise),
            line_total: inr(i.unit_price_paise.saturating_mul(i.units) + i.tax_paise),
        })
        .collect();
    let page = OrderPage {
        banner: crate::feature::banner(&state).await,
        outage: crate::outage::banner(&state).await,
        email: session.email().to_string(),
        role: session.role().as_str(),
        csrf: session.csrf().to_string(),
        base: format!("/orders/{}", super::urlencode(&s.order_number)),
        number: s.order_number.clone(),
        placed: ist(s.placed_at),
        status: status.as_str().to_string(),
        status_label: status_label(status.as_str()),
        version: s.version,
        customer: s.customer_name.clone(),
        customer_email: s.email.clone(),
        phone: s.phone.clone(),
        ship: o.shipping_address.clone(),
        billing: o.billing_address.clone(),
        lines,
        subtotal: inr(o.items_subtotal_paise),
        tax: inr(o.tax_paise),
        shipping: inr(o.shipping_paise),
        discount: inr(o.discount_paise),
        total: inr(s.total_paise),
        payment: format!(
            "{} · {}",
            if s.payment_method == PaymentMethod::Cod {
                "Cash on delivery"
            } else {
                "Prepaid"
            },
            status_label(&s.payment_status)
        ),
        steps,
        awb: s.awb.clone(),
        courier: s.courier_name.clone(),
        tracking_url: s.tracking_url.clone(),
        flags: super::orders::row(s, state.clock.now()).flags_owned(),
        message: done.done.as_deref().and_then(|d| message(d, &o)),
        attempts,
        notes,
        can_act,
        fulfilment_off: (!decision.allowed).then_some(decision.why),
        can_process: fulfil && status.allows(Action::MarkProcessing),
        can_ship: fulfil && status.allows(Action::Ship) && !failed,
        can_retry: fulfil && status.allows(Action::Ship) && failed,
        can_cancel: fulfil && status.allows(Action::Cancel),
        can_edit_address: can_act && status.can_still_ship(),
    };
    super::render(&page)
}
