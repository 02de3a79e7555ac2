//! The whole URL map in one place: read this file to know every route Orderly serves.

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use http::{HeaderName, HeaderValue, StatusCode, header};
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::app::AppState;
use crate::{api, web};

/// Routes that need no credentials (every other route is authenticated; a test enforces this).
pub const PUBLIC_ROUTES: &[&str] = &[
    "/healthz",
    "/readyz",
    "/api/openapi.json",
    "/login",
    "/static/{name}",
];

/// Largest body the extractors (`Form`, `Json`, `Bytes`) read: 1,000 order numbers fit many
/// times over. The intake reads its own body, up to `max_body_bytes`, after the signature.
pub const MAX_FORM_BODY: usize = 64 * 1024;
/// Longest query string served; longer ones are refused before any handler runs.
pub const MAX_QUERY: usize = 2048;

/// Refuses an over-long query string with 414 before routing.
async fn bounded(req: Request, next: Next) -> Response {
    if req.uri().query().is_some_and(|q| q.len() > MAX_QUERY) {
        return api::error::ApiError::new(
            StatusCode::URI_TOO_LONG,
            "uri_too_long",
            format!("the query string is longer than {MAX_QUERY} bytes"),
        )
        .into_response();
    }
    next.run(req).await
}

/// Builds the application router.
pub fn build(state: AppState) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    let hsts = web::session::hsts(&state.settings);
    web::counts::start(&state);
    Router::new()
        .route("/healthz", get(api::health::healthz))
        .route("/readyz", get(api::health::readyz))
        .route("/api/openapi.json", get(api::openapi::serve))
        // Inbound events (signed with Orderly-Signature, not an API key).
        .route("/api/v1/order-events", post(api::intake::receive))
        // Read API (API key with orders:read).
        .route("/api/v1/orders", get(api::orders::list))
        .route("/api/v1/orders/{order_number}", get(api::orders::show))
        // Fulfilment actions (API key with orders:write; Idempotency-Key and expected_version honoured).
        .route("/api/v1/orders/{order_number}/processing", post(api::actions::processing))
        .route("/api/v1/orders/{order_number}/shipments", get(api::actions::list_shipments).post(api::actions::shipments))
        .route("/api/v1/orders/{order_number}/shipments/{shipment_id}/retry", post(api::actions::retry))
        .route("/api/v1/orders/{order_number}/cancel", post(api::actions::cancel))
        .route("/api/v1/orders/{order_number}/notes", post(api::actions::notes))
        .route("/api/v1/orders/{order_number}/shipping-address", axum::routing::put(api::actions::shipping_address))
        .route("/api/v1/batches", post(api::batches::start))
        .route("/api/v1/batches/{id}", get(api::batches::show))
        .route("/api/v1/batches/{id}/events", get(api::batches::events))
        .route("/api/v1/batches/{id}/failures.csv", get(api::batches::failures_csv))
        // Shiprocket tracking push (x-api-key token, not an API key).
        .route("/api/v1/tracking-updates", post(api::tracking::receive))
        // Outbound events: pull feed (events:read), replay and webhook endpoints (admin), metrics (metrics:read).
        .route("/api/v1/events", get(api::events::feed))
        .route("/api/v1/events/{id}/replay", post(api::events::replay))
        .route("/api/v1/webhook-endpoints", get(api::webhooks::list).post(api::webhooks::add))
        .route("/api/v1/webhook-endpoints/{id}", axum::routing::delete(api::webhooks::disable))
        .route("/api/v1/webhook-endpoints/{id}/enable", post(api::webhooks::enable))
        .route("/api/v1/webhook-endpoints/{id}/deliveries", get(api::webhooks::deliveries))
        // Fulfilment rollout flag (API key; PUT needs admin).
        .route("/api/v1/feature-flags/order-fulfillment", get(api::flags::show).put(api::flags::update))
        .route("/metrics", get(api::metrics::serve))
        // API keys (admin): list, create (optionally expiring), revoke.
        .route("/api/v1/api-keys", get(api::api_keys::list).post(api::api_keys::create))
        .route("/api/v1/api-keys/{prefix}", axum::routing::delete(api::api_keys::revoke))
        // Dashboard (HTML; a session cookie, except /login and /static).
        .route("/login", get(web::auth::show).post(web::auth::submit))
        .route("/logout", post(web::auth::logout))
        .route("/static/{name}", get(web::assets::serve))
        .route("/", get(web::auth::home))
        .route("/events", get(web::events::stream))
        .route("/orders", get(web::orders::page))
        .route("/orders/bulk", post(web::batches::bulk))
        .route("/orders/{order_number}", get(web::order::page))
        .route("/orders/{order_number}/couriers", get(web::batches::couriers))
        .route("/orders/{order_number}/process", post(web::actions::process))
        .route("/orders/{order_number}/ship", post(web::actions::ship))
        .route("/orders/{order_number}/retry", post(web::actions::retry))
        .route("/orders/{order_number}/cancel", post(web::actions::cancel))
        .route("/orders/{order_number}/notes", post(web::actions::note))
        .route("/orders/{order_number}/address", post(web::actions::address))
        .route("/batches/{id}", get(web::batches::batch))
        .route("/settings/users", get(web::users::page).post(web::users::add))
        .route("/settings/users/{id}/disable", post(web::users::disable))
        .route("/settings/api-keys", get(web::api_keys::page))
        .route("/settings/api-keys/{prefix}/revoke", post(web::api_keys::revoke))
        .route("/settings/webhooks", get(web::webhooks::page))
        .route("/settings/webhooks/{id}/{action}", post(web::webhooks::switch))
        .route("/settings/fulfilment", get(web::flags::page).post(web::flags::save))
        .route("/settings/fulfilment/report", get(web::flags::report_page))
        .fallback(api::error::not_found)
        .with_state(state)
        .layer(DefaultBodyLimit::max(MAX_FORM_BODY))
        .layer(middleware::from_fn(bounded))
        // Never gzip HTML: pages carry the CSRF token next to reflected input (BREACH).
        .layer(CompressionLayer::new().compress_when(
            DefaultPredicate::new().and(NotForContentType::new("text/html")),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            move |_: &http::Response<_>| hsts.clone(),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(web::CSP),
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
