//! `POST /api/v1/order-events`: signed `OrderPlaced` v1 events from checkout.

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, StatusCode, header};
use orderly_domain::intake::{IntakeError, parse_order_placed};
use orderly_domain::pincodes;
use orderly_store::orders::{self, IntakeOutcome, OrderSummary, PlacedMeta};

use super::error::{ApiError, ErrorBody};
use crate::app::AppState;
use crate::signature;

/// Receives one `OrderPlaced` v1 envelope.
///
/// The body must be signed (`Orderly-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`)
/// with one of the active intake secrets, within 5 minutes. Idempotent by event id and by order number.
#[utoipa::path(
    post, path = "/api/v1/order-events", tag = "intake",
    request_body(content = serde_json::Value, content_type = "application/json", description = "An OrderPlaced v1 envelope; see docs/events.md"),
    params(("Orderly-Signature" = String, Header, description = "t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<raw body>\">")),
    responses(
        (status = 201, description = "Stored; the order is placed", body = OrderSummary),
        (status = 200, description = "Already stored (same event, or same order with identical content)", body = OrderSummary),
        (status = 400, description = "Not JSON", body = ErrorBody),
        (status = 401, description = "Missing, malformed, wrong or stale signature", body = ErrorBody),
        (status = 409, description = "The order number is stored with different content; nothing changed", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
        (status = 422, description = "Every invalid field, with its JSON pointer", body = ErrorBody),
    )
)]
pub async fn receive(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    require_json(&headers)?;
    let bytes = read_limited(&headers, body, state.settings.max_body_bytes).await?;
    let signature = headers.get(signature::HEADER).and_then(|v| v.to_str().ok());
    signature::verify(
        signature,
        &bytes,
        &state.settings.intake_secrets,
        state.clock.now(),
        state.settings.signature_tolerance,
    )
    .map_err(|e| ApiError::unauthorized(e.to_string()))?;
    let event = parse_order_placed(&bytes).map_err(|e| match e {
        IntakeError::Malformed(why) => {
            ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", why)
        }
        IntakeError::Invalid(fields) => ApiError::validation(fields),
    })?;
    let suspect = pincodes::check_address(&event.order.shipping_address);
    let meta = PlacedMeta {
        event_id: &event.id,
        source: "http",
        actor: "intake",
        received_at: state.clock.now(),
        address_suspect: suspect,
    };
    let outcome = orders::place(&state.store, &event.order, &meta).await?;
    Ok(match outcome {
        IntakeOutcome::Created(s) => {
            tracing::info!(order = %s.order_number, "order placed");
            state.live.publish(&s.order_number, "placed");
            (StatusCode::CREATED, Json(s)).into_response()
        }
        IntakeOutcome::Duplicate(s) => (StatusCode::OK, Json(s)).into_response(),
        IntakeOutcome::Conflict(s) => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "conflict",
                format!(
                    "order {} is already stored with different content; nothing was changed",
                    s.order_number
                ),
            ));
        }
        IntakeOutcome::EventIdReused(s) => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "event_id_reused",
                format!(
                    "event id {} was already used for order {} with other content; nothing was changed",
                    event.id, s.order_number
                ),
            ));
        }
    })
}

fn require_json(headers: &HeaderMap) -> Result<(), ApiError> {
    let ok = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|m| {
            let m = m.trim().to_ascii_lowercase();
            m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
        })
        .unwrap_or(false);
    if ok {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the event as Content-Type: application/json",
        ))
    }
}

/// Reads the body, refusing more than `limit` bytes with 413.
pub(crate) async fn read_limited(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<Bytes, ApiError> {
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the body is larger than {limit} bytes"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        let is_limit = std::error::Error::source(&e)
            .is_some_and(|s| s.is::<http_body_util::LengthLimitError>())
            || e.to_string().contains("length limit");
        if is_limit {
            too_large()
        } else {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "unreadable_body",
                "the request body could not be read",
            )
        }
    })
}
