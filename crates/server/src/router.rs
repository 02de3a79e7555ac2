//! The whole URL map in one place: read this file to know every route Orderly serves.

use axum::Router;
use axum::routing::{get, post};
use http::{HeaderName, HeaderValue, header};
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::api;
use crate::app::AppState;

/// Routes that need no credentials (every other route is authenticated; a test enforces this).
pub const PUBLIC_ROUTES: &[&str] = &["/healthz", "/readyz", "/api/openapi.json"];

/// Builds the application router.
pub fn build(state: AppState) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    Router::new()
        .route("/healthz", get(api::health::healthz))
        .route("/readyz", get(api::health::readyz))
        .route("/api/openapi.json", get(api::openapi::serve))
        // Inbound events (signed with Orderly-Signature, not an API key).
        .route("/api/v1/order-events", post(api::intake::receive))
        // Read API (API key with orders:read).
        .route("/api/v1/orders", get(api::orders::list))
        .route("/api/v1/orders/{order_number}", get(api::orders::show))
        .fallback(api::error::not_found)
        .with_state(state)
        .layer(CompressionLayer::new())
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &http::Request<_>| {
            let id = req
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-");
            // Path only, never the query string: searches can carry phone numbers and emails.
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}
