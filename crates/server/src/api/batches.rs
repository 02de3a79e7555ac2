//! Batches over the JSON API: start, read, a progress stream (Server-Sent Events) and a CSV of failures.

use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::Stream;
use http::{StatusCode, header};
use orderly_store::fulfilment::{self, Batch};
use serde::Deserialize;
use utoipa::ToSchema;

use super::auth::ApiCaller;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiBytes, ApiPath, parse_json, texts};
use crate::actions::{self, Actor, BatchKind};
use crate::app::AppState;
use crate::streams::{Ended, Guard, guarded};

/// Body of `POST /api/v1/batches`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct BatchBody {
    /// `generate_shipments` or `mark_processing`.
    pub kind: BatchKind,
    /// The orders: 1–1000 order numbers (blank ones and repeats are dropped).
    #[schema(schema_with = order_numbers)]
    #[serde(deserialize_with = "texts")]
    pub order_numbers: Vec<String>,
}

/// 1–1000 non-blank order numbers of at most 50 characters.
fn order_numbers() -> utoipa::openapi::schema::Array {
    super::openapi::non_blank_list(
        1,
        Some(actions::MAX_BATCH),
        Some(orderly_domain::order::ORDER_NUMBER_MAX_LEN),
    )
}

/// A started batch.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct BatchStarted {
    /// The batch id.
    pub id: i64,
    /// `GET` it for every order's result.
    pub status_url: String,
    /// Progress as Server-Sent Events.
    pub events_url: String,
}

/// Starts a batch; answers 202 with its id and where to follow it.
#[utoipa::path(post, path = "/api/v1/batches", tag = "fulfilment", security(("api_key" = [])),
    request_body(content = BatchBody, description = "What to do to which orders"),
    responses((status = 202, description = "Started", body = BatchStarted), (status = 403, description = "The key lacks orders:write, or fulfilment is off", body = ErrorBody), (status = 422, description = "Invalid kind or order numbers", body = ErrorBody), (status = 503, description = "Shiprocket is not configured (for generate_shipments), or the database stayed busy", body = ErrorBody)))]
pub async fn start(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiBytes(bytes): ApiBytes,
) -> Result<Response, ApiError> {
    caller.require("orders:write")?;
    let b: BatchBody = parse_json(&bytes)?;
    let id = actions::start_batch(
        &state,
        b.kind,
        &b.order_numbers,
        &Actor::api_key(&caller.0.prefix),
    )
    .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(BatchStarted {
            id,
            status_url: format!("/api/v1/batches/{id}"),
            events_url: format!("/api/v1/batches/{id}/events"),
        }),
    )
        .into_response())
}

async fn load(state: &AppState, id: i64) -> Result<Batch, ApiError> {
    fulfilment::batch(&state.store, id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no batch {id}")))
}

/// A batch with every order's result.
#[utoipa::path(get, path = "/api/v1/batches/{id}", tag = "fulfilment", operation_id = "show_batch", security(("api_key" = [])),
    params(("id" = i64, Path, description = "Batch id")),
    responses((status = 200, description = "The batch", body = Batch), (status = 403, description = "The key lacks orders:read", body = ErrorBody), (status = 404, description = "No such batch", body = ErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Batch>, ApiError> {
    caller.require("orders:read")?;
    Ok(Json(load(&state, id).await?))
}

/// The sentence shown under the progress bar: "2 of 5 shipments created".
pub fn progress_text(b: &Batch) -> String {
    let noun = if b.kind == BatchKind::MarkProcessing.as_str() {
        "orders marked as processing"
    } else {
        "shipments created"
    };
    let mut text = format!("{} of {} {noun}", b.succeeded, b.total);
    if b.failed > 0 {
        text.push_str(&format!(", {} failed", b.failed));
    }
    text
}

/// Progress as Server-Sent Events: a `progress` event on every change, then `done`.
#[utoipa::path(get, path = "/api/v1/batches/{id}/events", tag = "fulfilment", security(("api_key" = [])),
    params(("id" = i64, Path, description = "Batch id")),
    responses((status = 200, description = "Progress events; the stream ends with `done`, or with an `end` event when its lifetime is over, the key is revoked or expired, or the server shuts down", content_type = "text/event-stream"), (status = 403, description = "The key lacks orders:read", body = ErrorBody), (status = 404, description = "No such batch", body = ErrorBody),
        (status = 429, description = "This key already holds ORDERLY_STREAMS_PER_CALLER open streams", body = ErrorBody)))]
pub async fn events(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>> + use<>>, ApiError> {
    caller.require("orders:read")?;
    load(&state, id).await?;
    let limits = state.settings.streams.clone();
    let permit = state.streams.open(&caller.actor(), &limits).map_err(|_| {
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_streams",
            "this API key holds as many open streams as it may; close one first",
        )
    })?;
    let prefix = caller.0.prefix.clone();
    let recheck_state = state.clone();
    let caller = std::sync::Arc::new(caller);
    let guard = Guard {
        permit,
        shutdown: state.shutdown.clone(),
        limits,
        recheck: std::sync::Arc::new(move || {
            let (state, caller) = (recheck_state.clone(), caller.clone());
            Box::pin(async move { caller.still_valid(&state, "orders:read").await })
        }),
        ends_on: Box::new(move |e| matches!(e, Ended::ApiKey(p) if *p == prefix)),
    };
    Ok(Sse::new(guarded(progress_stream(state, id), guard)).keep_alive(KeepAlive::default()))
}

/// The progress stream of batch `id` (shared with the dashboard).
pub fn progress_stream(state: AppState, id: i64) -> impl Stream<Item = Result<Event, Infallible>> {
    futures_util::stream::unfold(
        (state, None::<(i64, i64)>, false),
        move |(state, last, ended)| async move {
            if ended {
                return None;
            }
            loop {
                let b = match fulfilment::batch(&state.store, id).await {
                    Ok(Some(b)) => b,
                    _ => return None,
                };
                let now = (b.succeeded, b.failed);
                if last != Some(now) || b.finished {
                    let payload = serde_json::json!({
                        "id": b.id, "total": b.total, "succeeded": b.succeeded, "failed": b.failed,
                        "done": b.succeeded + b.failed, "finished": b.finished, "text": progress_text(&b),
                    });
                    let event = Event::default()
                        .event(if b.finished { "done" } else { "progress" })
                        .data(payload.to_string());
                    return Some((Ok(event), (state, Some(now), b.finished)));
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        },
    )
}

/// The failed orders as CSV (order number, reason) for manual review.
#[utoipa::path(get, path = "/api/v1/batches/{id}/failures.csv", tag = "fulfilment", security(("api_key" = [])),
    params(("id" = i64, Path, description = "Batch id")),
    responses((status = 200, description = "order_number,reason", body = String, content_type = "text/csv"), (status = 403, description = "The key lacks orders:read", body = ErrorBody), (status = 404, description = "No such batch", body = ErrorBody)))]
pub async fn failures_csv(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, ApiError> {
    caller.require("orders:read")?;
    Ok(csv_response(&load(&state, id).await?))
}

/// The CSV of a batch's failures (shared with the dashboard).
pub fn csv_response(b: &Batch) -> Response {
    let mut csv = String::from("order_number,reason\r\n");
    for j in b.jobs.iter().filter(|j| j.state == "failed") {
        csv.push_str(&format!(
            "{},{}\r\n",
            csv_field(&j.order_number),
            csv_field(j.message.as_deref().unwrap_or(""))
        ));
    }
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"batch-{}-failures.csv\"", b.id),
            ),
        ],
        csv,
    )
        .into_response()
}

/// Quotes a CSV field and defuses spreadsheet formulas.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    format!("\"{}\"", s.replace('"', "\"\""))
}
