//! Shiprocket's tracking webhook. The path avoids `sr`, `kr`, `shiprocket` and `kartrocket`, which
//! Shiprocket's panel refuses in webhook URLs; the token arrives in `x-api-key` and is compared in
//! constant time. Webhooks are hints: de-duplicated here and reconciled by the poller.

use axum::body::Bytes;
use axum::extract::State;
use http::{HeaderMap, StatusCode};
use subtle::ConstantTimeEq;

use super::error::{ApiError, ErrorBody};
use crate::actions::{self, TrackingResult, TrackingUpdate};
use crate::app::AppState;

/// Receives one tracking push from Shiprocket.
#[utoipa::path(post, path = "/api/v1/tracking-updates", tag = "tracking",
    params(("x-api-key" = String, Header, description = "The token configured in Shiprocket's webhook settings")),
    request_body(content = serde_json::Value, content_type = "application/json", description = "Shiprocket's tracking webhook payload"),
    responses((status = 200, description = "Recorded (or a duplicate, or an AWB we do not know)"), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn receive(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, &'static str), ApiError> {
    let Some(expected) = &state.settings.tracking_webhook_token else {
        return Err(ApiError::unauthorized(
            "tracking webhooks are not configured: set ORDERLY_TRACKING_WEBHOOK_TOKEN",
        ));
    };
    let given = headers
        .get("x-api-key")
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if !bool::from(given.ct_eq(expected.expose().as_bytes())) {
        return Err(ApiError::unauthorized("missing or wrong x-api-key"));
    }
    let hook = shiprocket::types::tracking::parse_webhook(&body).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            format!("not a tracking webhook: {}", e.ops_message()),
        )
    })?;
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
