//! Shiprocket's tracking webhook. The path avoids `sr`, `kr`, `shiprocket` and `kartrocket`, which
//! Shiprocket's panel refuses in webhook URLs; the token arrives in `x-api-key` and is compared in
//! constant time. Webhooks are hints: de-duplicated here and reconciled by the poller.

use axum::body::Body;
use axum::extract::State;
use http::{HeaderMap, StatusCode};
use subtle::ConstantTimeEq;

use super::error::{ApiError, ErrorBody};
use super::intake::read_limited;
use crate::actions::{self, TrackingResult, TrackingUpdate};
use crate::app::AppState;
use crate::throttle::ClientIp;

/// Shiprocket's tracking push as far as Orderly requires it. The other fields (`shipment_status_id`,
/// `current_timestamp`, …) are read leniently — strings or numbers, several date formats — and a
/// value Orderly cannot read counts as absent; without a `shipment_status_id` the push is ignored.
#[derive(Debug, utoipa::ToSchema)]
pub struct TrackingPush {
    /// The AWB (required): a non-blank string, or a number.
    #[schema(schema_with = awb_schema)]
    pub awb: String,
    /// Scans, each an object (or, as serde reads structs, an array of its six fields in order).
    #[schema(schema_with = scans_schema, required = false)]
    pub scans: Vec<serde_json::Value>,
}

/// The scans as read: an array whose items are objects or arrays of at most six values.
fn scans_schema() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{AnyOfBuilder, ArrayBuilder, ObjectBuilder, Type};
    ArrayBuilder::new()
        .items(
            AnyOfBuilder::new()
                .item(ObjectBuilder::new().schema_type(Type::Object))
                .item(ArrayBuilder::new().max_items(Some(6))),
        )
        .build()
}

/// The AWB as read: a string that is not blank, a number or a boolean (read as its text).
fn awb_schema() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{AnyOfBuilder, ObjectBuilder, Type};
    AnyOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(super::openapi::NON_BLANK)),
        )
        .item(ObjectBuilder::new().schema_type(Type::Number))
        .item(ObjectBuilder::new().schema_type(Type::Boolean))
        .build()
        .into()
}

/// Receives one tracking push from Shiprocket.
#[utoipa::path(post, path = "/api/v1/tracking-updates", tag = "tracking", operation_id = "receive_tracking_update",
    params(("x-api-key" = String, Header, description = "The token configured in Shiprocket's webhook settings")),
    request_body(content = TrackingPush, content_type = "application/json", description = "Shiprocket's tracking webhook payload"),
    responses((status = 200, description = "Recorded (or a duplicate, or an AWB we do not know)"), (status = 401, description = "Missing or wrong x-api-key, or tracking webhooks are not configured", body = ErrorBody), (status = 429, description = "Too many wrong tokens from this address in the last minute", body = ErrorBody), (status = 422, description = "Not a tracking webhook", body = ErrorBody)))]
pub async fn receive(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, &'static str), ApiError> {
    let Some(expected) = &state.settings.tracking_webhook_token else {
        return Err(ApiError::unauthorized(
            "tracking webhooks are not configured: set ORDERLY_TRACKING_WEBHOOK_TOKEN",
        ));
    };
    let now = state.clock.now();
    if state.guards.tracking_blocked(ip, now) {
        tracing::warn!(%ip, "tracking webhook refused: too many failed authentications");
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            "too many requests with a wrong x-api-key; wait a minute",
        ));
    }
    let given = headers
        .get("x-api-key")
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if !bool::from(given.ct_eq(expected.expose().as_bytes())) {
        state.guards.tracking_failed(ip, now);
        tracing::warn!(%ip, "tracking webhook with a missing or wrong x-api-key");
        return Err(ApiError::unauthorized("missing or wrong x-api-key"));
    }
    // Authenticated: only now is the body read (bounded like every other body).
    let body = read_limited(&headers, body, state.settings.max_body_bytes).await?;
    let hook = shiprocket::types::tracking::parse_webhook(&body).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            format!("not a tracking webhook: {}", e.ops_message()),
        )
    })?;
    if hook.awb.contains('\0') {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "not a tracking webhook: the awb holds U+0000",
        ));
    }
    let Some(status) = hook.shipment_status_id else {
        return Ok((StatusCode::OK, "ignored: no shipment status"));
    };
    let update = TrackingUpdate {
        awb: hook.awb.clone(),
        status_code: status.code(),
        scan_at: hook.current_timestamp,
        location: None,
        source: "webhook",
    };
    Ok(match actions::apply_tracking(&state, &update).await? {
        TrackingResult::Applied => (StatusCode::OK, "recorded"),
        TrackingResult::Duplicate => (StatusCode::OK, "duplicate"),
        TrackingResult::UnknownAwb => (StatusCode::OK, "unknown awb"),
    })
}
