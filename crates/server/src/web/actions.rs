//! The dashboard's forms for the fulfilment actions: each checks the CSRF token and the role, calls
//! the same `crate::actions` function as the JSON API, and redirects back to the order with a
//! `?done=` code the order page turns into the spec's sentence.

use askama::Template;
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
use crate::actions::{self, ActionError, Actor, BatchKind, ShipmentOutcome};
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
fn refused(number: &str, e: ActionError) -> Result<Response, WebError> {
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

fn actor(session: &Session) -> Actor {
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
                step: status_label(&sh.step),
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

fn etd(q: &Quote) -> String {
    match (&q.etd, q.estimated_days) {
        (Some(e), Some(d)) => format!("{e} ({d} days)"),
        (Some(e), None) => e.clone(),
        (None, Some(d)) => format!("{d} days"),
        (None, None) => "unknown".into(),
    }
}

fn rating(q: &Quote) -> String {
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

#[derive(Template)]
#[template(path = "couriers.html")]
struct CouriersPage {
    email: String,
    role: &'static str,
    csrf: String,
    number: String,
    base: String,
    version: i64,
    options: Vec<CourierOption>,
    error: Option<String>,
}

/// One courier in the picker.
#[derive(Debug)]
pub struct CourierOption {
    id: i64,
    name: String,
    rate: String,
    etd: String,
    rating: String,
    why: String,
    chosen: bool,
}

/// `GET /orders/{n}/couriers`: the courier picker (rate, estimated delivery, rating; the policy's
/// choice preselected).
pub async fn couriers(
    State(state): State<AppState>,
    session: Session,
    Path(number): Path<String>,
) -> Result<Response, WebError> {
    session.require(Role::Operator)?;
    let Some(o) = orderly_store::orders::get(&state.store, &number).await? else {
        return Err(WebError::NotFound);
    };
    let (options, error) = match actions::quotes(&state, &number).await {
        Ok(choice) => {
            let chosen = choice.chosen.as_ref().map(|q| q.courier_id);
            let options: Vec<CourierOption> = choice
                .ranking
                .iter()
                .filter(|r| r.eligible)
                .map(|r| CourierOption {
                    id: r.quote.courier_id,
                    name: r.quote.courier_name.clone(),
                    rate: inr(r.quote.rate_paise),
                    etd: etd(&r.quote),
                    rating: rating(&r.quote),
                    why: if Some(r.quote.courier_id) == chosen {
                        choice.explanation.clone()
                    } else {
                        String::new()
                    },
                    chosen: Some(r.quote.courier_id) == chosen,
                })
                .collect();
            let error = options.is_empty().then(|| {
                "No courier can carry this parcel to this PIN code. Check the address.".to_string()
            });
            (options, error)
        }
        Err(e) => (Vec::new(), Some(e.to_string())),
    };
    let page = CouriersPage {
        email: session.email().to_string(),
        role: session.role().as_str(),
        csrf: session.csrf().to_string(),
        base: format!("/orders/{}", urlencode(&number)),
        number,
        version: o.summary.version,
        options,
        error,
    };
    super::render(&page)
}

/// `POST /orders/bulk`: starts a batch over the ticked orders.
pub async fn bulk(
    State(state): State<AppState>,
    session: Session,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let csrf = fields
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    session.authorise(Role::Operator, csrf)?;
    let kind = match fields
        .iter()
        .find(|(k, _)| k == "kind")
        .map(|(_, v)| v.as_str())
    {
        Some("generate_shipments") => BatchKind::GenerateShipments,
        _ => BatchKind::MarkProcessing,
    };
    let orders: Vec<String> = fields
        .iter()
        .filter(|(k, _)| k == "orders")
        .map(|(_, v)| v.clone())
        .collect();
    if orders.is_empty() {
        return Err(WebError::Message(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Tick at least one order first.".into(),
        ));
    }
    match actions::start_batch(&state, kind, &orders, &actor(&session)).await {
        Ok(id) => Ok(see_other(&format!("/batches/{id}"))),
        Err(e) => refused("", e),
    }
}

#[derive(Template)]
#[template(path = "batch.html")]
struct BatchPage {
    email: String,
    role: &'static str,
    csrf: String,
    id: i64,
    title: &'static str,
    progress: String,
    done: i64,
    total: i64,
    finished: bool,
    jobs: Vec<(String, String, String, String)>,
    failures: i64,
}

/// `GET /batches/{id}`: a batch's progress ("2 of 5 shipments created") and its failures with
/// links; the script refreshes it until it finishes.
pub async fn batch(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let Some(b) = fulfilment::batch(&state.store, id).await? else {
        return Err(WebError::NotFound);
    };
    let shipments = b.kind == "generate_shipments";
    let jobs = b
        .jobs
        .iter()
        .map(|j| {
            (
                j.order_number.clone(),
                format!("/orders/{}", urlencode(&j.order_number)),
                status_label(&j.state),
                match (&j.awb, &j.message) {
                    (Some(awb), _) => format!("AWB {awb}"),
                    (None, Some(m)) => m.clone(),
                    (None, None) => String::new(),
                },
            )
        })
        .collect();
    let page = BatchPage {
        email: session.email().to_string(),
        role: session.role().as_str(),
        csrf: session.csrf().to_string(),
        id,
        title: if shipments {
            "Generate Shipments"
        } else {
            "Mark as Processing"
        },
        progress: format!(
            "{} of {} {}",
            b.succeeded,
            b.total,
            if shipments {
                "shipments created"
            } else {
                "orders marked as Processing"
            }
        ),
        done: b.succeeded + b.failed,
        total: b.total,
        finished: b.finished,
        jobs,
        failures: b.failed,
    };
    super::render(&page)
}
