//! The pull feed `GET /api/v1/events?after=<cursor>` (every outbound event in outbox order) and
//! `POST /api/v1/events/{id}/replay` (send one stored event to webhook endpoints again).

use axum::Json;
use axum::extract::State;
use http::StatusCode;
use orderly_domain::intake::FieldError;
use orderly_store::delivery;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use utoipa::{IntoParams, ToSchema};

use super::auth::ApiCaller;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiPath, ApiQuery};
use crate::app::AppState;

/// Paging of the feed.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedParams {
    /// The `next_cursor` of the previous page; omit (or `0`) to start at the beginning.
    #[param(pattern = "^[0-9]{1,18}$")]
    pub after: Option<String>,
    /// Events per page, 1–1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// One page of the feed.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventPage {
    /// Envelopes `{id, type, version, occurred_at, order_id, data}`, oldest first.
    #[schema(value_type = Vec<Object>)]
    pub events: Vec<Box<RawValue>>,
    /// Pass as `after` next time. Always present: on an empty page it is the cursor you sent, so a
    /// poller keeps asking with it.
    pub next_cursor: String,
}

/// Reads events after a cursor, in commit order. Needs an API key with `events:read`.
///
/// Never skips an event: an event still being committed holds back the ones after it.
#[utoipa::path(
    get, path = "/api/v1/events", tag = "events", params(FeedParams),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "A page of events", body = EventPage),
        (status = 401, description = "No or unknown API key", body = ErrorBody),
        (status = 403, description = "The key lacks events:read", body = ErrorBody),
        (status = 422, description = "Invalid cursor or limit", body = ErrorBody),
    )
)]
pub async fn feed(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiQuery(params): ApiQuery<FeedParams>,
) -> Result<Json<EventPage>, ApiError> {
    caller.require("events:read")?;
    let mut errors = Vec::new();
    let after = match params.after.as_deref() {
        None => 0,
        Some(a) if !a.is_empty() && a.bytes().all(|b| b.is_ascii_digit()) => {
            a.parse::<i64>().unwrap_or(-1)
        }
        Some(_) => -1,
    };
    let after = match after {
        n if n >= 0 => n,
        _ => {
            errors.push(field("after", "must be a next_cursor from this feed"));
            0
        }
    };
    let limit = params.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        errors.push(field("limit", "must be between 1 and 1000"));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let events = delivery::pending(&state.store, after, i64::from(limit)).await?;
    let next_cursor = events.last().map_or(after, |e| e.seq).to_string();
    let events = events
        .into_iter()
        .map(|e| RawValue::from_string(e.payload).map_err(|e| ApiError::internal(&e)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(EventPage {
        events,
        next_cursor,
    }))
}

fn field(name: &str, message: &str) -> FieldError {
    FieldError {
        pointer: format!("/{name}"),
        message: message.to_string(),
    }
}

/// Which endpoints to replay to.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReplayParams {
    /// One endpoint id; omit to replay to every enabled endpoint.
    pub endpoint: Option<i64>,
}

/// What a replay request queued.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReplayQueued {
    /// The event.
    pub event_id: String,
    /// Endpoints the event will be sent to again.
    pub endpoints: Vec<i64>,
}

/// Sends a stored event again (same envelope, same id, header `Orderly-Replay: true`) to one or
/// every enabled webhook endpoint. Needs `admin`.
#[utoipa::path(
    post, path = "/api/v1/events/{id}/replay", tag = "events",
    params(("id" = String, Path, description = "The event id"), ReplayParams),
    security(("api_key" = [])),
    responses(
        (status = 202, description = "Queued", body = ReplayQueued),
        (status = 401, description = "No or unknown API key", body = ErrorBody),
        (status = 403, description = "The key lacks admin", body = ErrorBody),
        (status = 404, description = "No such event, or no such enabled endpoint", body = ErrorBody),
        (status = 422, description = "endpoint is not a number", body = ErrorBody),
    )
)]
pub async fn replay(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<String>,
    ApiQuery(params): ApiQuery<ReplayParams>,
) -> Result<(StatusCode, Json<ReplayQueued>), ApiError> {
    caller.require("admin")?;
    let queued = delivery::replay(
        &state.store,
        &id,
        params.endpoint,
        state.clock.now(),
        &caller.actor(),
    )
    .await?
    .ok_or_else(|| ApiError::not_found(format!("no event {id}")))?;
    if queued.is_empty() {
        return Err(ApiError::not_found(
            "no enabled webhook endpoint to replay to",
        ));
    }
    state.live.notify_outbox();
    Ok((
        StatusCode::ACCEPTED,
        Json(ReplayQueued {
            event_id: id,
            endpoints: queued,
        }),
    ))
}
