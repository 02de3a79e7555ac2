//! The courier picker (`GET /orders/{n}/couriers`) and batches: `POST /orders/bulk` starts one over
//! the ticked orders, `GET /batches/{id}` shows its progress ("2 of 5 shipments created") and its
//! failures with links.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::Response;
use http::StatusCode;
use orderly_store::accounts::Role;
use orderly_store::fulfilment;

use super::actions::{actor, etd, rating, refused};
use super::format::{inr, status_label};
use super::{Session, WebError, see_other, urlencode};
use crate::actions::{self, BatchKind};
use crate::app::AppState;

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
