//! `POST /api/v1/order-events`: signed `OrderPlaced` v1 events from checkout.

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, StatusCode, header};
use http_body_util::BodyExt;
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
    // The signature header is checked first — bounded, and without computing any MAC — so a missing,
    // malformed or stale signature is refused before the body is read. The body is then only drained
    // (bounded, never buffered or hashed) so that a client still sending reads the 401.
    let secrets = &state.settings.intake_secrets;
    let signed = match signature_header(&state, &headers) {
        Ok(signed) => signed,
        Err(e) => {
            if !expects_continue(&headers) {
                let limit = state.settings.max_body_bytes;
                drain(body, limit.saturating_mul(DRAIN_FACTOR)).await;
            }
            let mut refused = ApiError::unauthorized(e.to_string()).into_response();
            refused
                .headers_mut()
                .insert(header::CONNECTION, http::HeaderValue::from_static("close"));
            return Ok(refused);
        }
    };
    // Then the body (at most 1 MiB; a too-large one gets its 413 after a bounded drain), then one MAC
    // per secret.
    let bytes = read_limited(&headers, body, state.settings.max_body_bytes).await?;
    if !signed.matches(&bytes, secrets) {
        return Err(ApiError::unauthorized(
            signature::SignatureError::Mismatch.to_string(),
        ));
    }
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

/// The parsed, in-window `Orderly-Signature` header; no MAC is computed here.
fn signature_header(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<signature::ParsedSignature, signature::SignatureError> {
    if state.settings.intake_secrets.is_empty() {
        return Err(signature::SignatureError::NotConfigured);
    }
    let header = headers
        .get(signature::HEADER)
        .map(|v| v.to_str())
        .transpose()
        .map_err(|_| signature::SignatureError::Malformed)?;
    let signed = signature::parse(header)?;
    signed.check_time(state.clock.now(), state.settings.signature_tolerance)?;
    Ok(signed)
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

/// How much of a too-large body is read and thrown away before answering 413, as a multiple of
/// the limit, and for how long at most. A server that answers and closes while the client is still
/// sending resets the connection, and the client then sees "broken pipe" instead of the 413; reading
/// the rest (bounded) lets an ordinary client read the answer. Beyond the bound the connection is
/// simply closed.
const DRAIN_FACTOR: usize = 4;
const DRAIN_FOR: std::time::Duration = std::time::Duration::from_secs(5);

/// Reads the body, refusing more than `limit` bytes with 413 (`Connection: close`).
///
/// The 413 is answered only after the rest of the body has been read and discarded — up to
/// `DRAIN_FACTOR` × `limit` bytes within `DRAIN_FOR` — unless the client asked `Expect: 100-continue`
/// (it then has not sent the body and reads the answer first).
pub(crate) async fn read_limited(
    headers: &HeaderMap,
    mut body: Body,
    limit: usize,
) -> Result<Bytes, ApiError> {
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the body is larger than {limit} bytes"),
        )
    };
    let budget = if expects_continue(headers) {
        0
    } else {
        limit.saturating_mul(DRAIN_FACTOR)
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if let Some(n) = declared.filter(|n| *n > limit) {
        if n <= budget {
            drain(body, budget).await;
        }
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "unreadable_body",
                "the request body could not be read",
            )
        })?;
        let Some(data) = frame.data_ref() else {
            continue;
        };
        let seen = bytes.len().saturating_add(data.len());
        if seen > limit {
            drain(body, budget.saturating_sub(seen)).await;
            return Err(too_large());
        }
        bytes.extend_from_slice(data);
    }
    Ok(Bytes::from(bytes))
}

fn expects_continue(headers: &HeaderMap) -> bool {
    headers
        .get(header::EXPECT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("100-continue"))
}

/// Reads and discards up to `budget` more bytes of `body`, for at most `DRAIN_FOR`.
async fn drain(mut body: Body, budget: usize) {
    let read = async {
        let mut seen = 0usize;
        while seen <= budget {
            match body.frame().await {
                Some(Ok(frame)) => {
                    seen = seen.saturating_add(frame.data_ref().map_or(0, |d| d.len()));
                }
                _ => break,
            }
        }
    };
    let _ = tokio::time::timeout(DRAIN_FOR, read).await;
}
