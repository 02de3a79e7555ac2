//! The dashboard's forms for the fulfilment actions: each checks the CSRF token and the role, calls
//! the same `crate::actions` function as the JSON API, and redirects back to the order with a
//! `?done=` code the order page turns into the spec's sentence.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::Response;
use http::StatusCode;
use orderly_store::accounts::Role;
use orderly_store::orders::OrderDetail;
use serde::Deserialize;

use orderly_domain::courier::{Choice, Quote};
use orderly_store::fulfilment;
use orderly_store::orders::AddressView;

use super::format::{inr, ist, status_label};
use super::order::{Attempt, NoteView};
use super::{Session, WebError, see_other, urlencode};
use crate::actions::{self, ActionError, Actor, ShipmentOutcome};
use crate::app::AppState;

/// A form that only carries the CSRF token and the version the person saw.
#[derive(Debug, Deserialize)]
pub struct VersionForm {
    /// The session's CSRF token.
    pub csrf: String,
    /// The order version the page showed.
    pub expected_version: Option<i64>,
    /// A chosen courier (the courier picker).
    pub courier_id: Option<i64>,
    /// Why (cancellation).
    pub reason: Option<String>,
    /// Note text.
    pub text: Option<String>,
}

/// The address form.
#[derive(Debug, Deserialize)]
pub struct AddressForm {
    /// The session's CSRF token.
    pub csrf: String,
    /// The order version the page showed.
    pub expected_version: Option<i64>,
    /// Recipient.
    pub name: String,
    /// Line 1.
    pub line1: String,
    /// Line 2.
    pub line2: Option<String>,
    /// City.
    pub city: String,
    /// State.
    pub state: String,
    /// PIN code.
    pub pincode: String,
    /// Country.
    pub country: Option<String>,
}

fn back(number: &str, done: &str) -> Response {
    see_other(&format!("/orders/{}?done={done}", urlencode(number)))
}

/// The page for an action that did not happen: stale → reload hint on the order; internal → the
/// spec's retry sentence on the order; anything a person can act on → a page saying it.
pub(super) fn refused(number: &str, e: ActionError) -> Result<Response, WebError> {
    match e {
        ActionError::NotFound => Err(WebError::NotFound),
        ActionError::Stale => Ok(back(number, "stale")),
        ActionError::Internal(_) => Ok(back(number, "error")),
        ActionError::Invalid(fields) => Err(WebError::Message(
            StatusCode::UNPROCESSABLE_ENTITY,
            fields
                .iter()
                .map(|f| f.message.clone())
                .collect::<Vec<_>>()
                .join("; "),
        )),
        ActionError::Shiprocket(m) => Err(WebError::Message(
            StatusCode::BAD_GATEWAY,
            format!(
                "Shipment generation failed: {}. Please verify address and try again.",
                m.trim_end_matches('.')
            ),
        )),
        other @ (ActionError::NotAllowed(_)
        | ActionError::FeatureDisabled(_)
        | ActionError::NotConfigured) => {
            Err(WebError::Message(StatusCode::CONFLICT, other.to_string()))
        }
    }
}

pub(super) fn actor(session: &Session) -> Actor {
    Actor::user(session.email())
}

fn shipped(number: &str, outcome: ShipmentOutcome) -> Response {
    match outcome {
        ShipmentOutcome::Shipped { .. } => back(number, "shipped"),
        ShipmentOutcome::Failed { .. } => back(number, "failed"),
        ShipmentOutcome::Pending { .. } => back(number, "pending"),
    }
}

/// Shipment attempts and notes for the order page.
pub async fn history(
    state: &AppState,
    o: &OrderDetail,
) -> Result<(Vec<Attempt>, Vec<NoteView>), WebError> {
    let attempts = fulfilment::shipments(&state.store, o.summary.id)
        .await?
        .into_iter()
        .map(|sh| {
            let choice = sh
                .quotes
                .clone()
                .and_then(|q| serde_json::from_value::<Choice>(q).ok());
            let quotes = choice
                .as_ref()
                .map(|c| {
                    c.ranking
                        .iter()
                        .map(|r| {
                            (
                                r.quote.courier_name.clone(),
                                inr(r.quote.rate_paise),
                                etd(&r.quote),
                                rating(&r.quote),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            Attempt {
                number: sh.attempt,
                step: status_label(sh.step.as_str()),
                courier: sh.courier_name.clone(),
                why: sh
                    .choice_explanation
                    .clone()
                    .or_else(|| choice.map(|c| c.explanation)),
                quotes,
                awb: sh.awb.clone(),
                tracking_url: sh.tracking_url.clone(),
                failure: sh.failure_message.clone(),
                at: ist(sh.created_at),
            }
        })
        .collect();
    let notes = fulfilment::notes(&state.store, o.summary.id)
        .await?
        .into_iter()
        .map(|n| NoteView {
            author: n.author,
            at: ist(n.at),
            text: n.body,
        })
        .collect();
    Ok((attempts, notes))
}

pub(super) fn etd(q: &Quote) -> String {
    match (&q.etd, q.estimated_days) {
        (Some(e), Some(d)) => format!("{e} ({d} days)"),
        (Some(e), None) => e.clone(),
        (None, Some(d)) => format!("{d} days"),
        (None, None) => "unknown".into(),
    }
}

pub(super) fn rating(q: &Quote) -> String {
    q.rating
        .map(|r| format!("{r:.1} / 5"))
        .unwrap_or_else(|| "unrated".into())
}

/// `POST /orders/{n}/process`.
pub async fn process(
    State(state): State<AppState>,
    session: Session,
    Path(number): Path<String>,
    Form(f): Form<VersionForm>,
) -> Result<Response, WebError> {
    session.authorise(Role::Operator, &f.csrf)?;
    match actions::mark_processing(&state, &number, f.expected_version, &actor(&session)).await {
        Ok(_) => Ok(back(&number, "processing")),
        Err(e) => refused(&number, e),
    }
}

/// `POST /orders/{n}/ship` (recommended courier, or `courier_id` from the picker).
pub async fn ship(
    State(state): State<AppState>,
    session: Session,
    Path(number): Path<String>,
    Form(f): Form<VersionForm>,
) -> Result<Response, WebError> {
    session.authorise(Role::Operator, &f.csrf)?;
    let done = actions::generate_shipment(
        &state,
        &number,
        f.courier_id,
        f.expected_version,
        &actor(&session),
    )
    .await;
    match done {
        Ok(outcome) => Ok(shipped(&number, outcome)),
        Err(e) => refused(&number, e),
    }
}

/// `POST /orders/{n}/retry`.
pub async fn retry(
    State(state): State<AppState>,
    session: Session,
    Path(number): Path<String>,
    Form(f): Form<VersionForm>,
) -> Result<Response, WebError> {
    session.authorise(Role::Operator, &f.csrf)?;
    match actions::retry_shipment(&state, &number, &actor(&session)).await {
        Ok(outcome) => Ok(shipped(&number, outcome)),
        Err(e) => refused(&number, e),
    }
}

/// `POST /orders/{n}/cancel`.
pub async fn cancel(
    State(state): State<AppState>,
    session: Session,
    Path(number): Path<String>,
    Form(f): Form<VersionForm>,
) -> Result<Response, WebError> {
    session.authorise(Role::Operator, &f.csrf)?;
    let reason = f.reason.unwrap_or_default();
    let done = actions::cancel_order(
        &state,
        &number,
        &reason,
        f.expected_version,
        &actor(&session),
    )
    .await;
    match done {
        Ok(_) => Ok(back(&number, "cancelled")),
        Err(e) => refused(&number, e),
    }
}

/// `POST /orders/{n}/notes`.
pub async fn note(
    State(state): State<AppState>,
    session: Session,
    Path(number): Path<String>,
    Form(f): Form<VersionForm>,
) -> Result<Response, WebError> {
    session.authorise(Role::Operator, &f.csrf)?;
    let text = f.text.unwrap_or_default();
    match actions::add_note(&state, &number, &text, &actor(&session)).await {
        Ok(()) => Ok(back(&number, "note")),
        Err(e) => refused(&number, e),
    }
}

/// `POST /orders/{n}/address`.
pub async fn address(
    State(state): State<AppState>,
    session: Session,
    Path(number): Path<String>,
    Form(f): Form<AddressForm>,
) -> Result<Response, WebError> {
    session.authorise(Role::Operator, &f.csrf)?;
    let address = AddressView {
        name: f.name,
        line1: f.line1,
        line2: f.line2.filter(|l| !l.trim().is_empty()),
        city: f.city,
        state: f.state,
        pincode: f.pincode.trim().to_string(),
        country: f
            .country
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| "IN".into()),
    };
    let done = actions::edit_shipping_address(
        &state,
        &number,
        address,
        f.expected_version,
        &actor(&session),
    )
    .await;
    match done {
        Ok(_) => Ok(back(&number, "address")),
        Err(e) => refused(&number, e),
    }
}
