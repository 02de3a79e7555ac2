//! The OpenAPI document, generated from the handlers' annotations and served at `/api/openapi.json`.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// Orderly's API description.
#[derive(OpenApi)]
#[openapi(
    info(title = "Orderly", description = "Order management and Shiprocket fulfilment for Indian D2C brands. Money is integer paise; times are RFC 3339 UTC."),
    paths(
        super::health::healthz,
        super::health::readyz,
        super::intake::receive,
        super::orders::list,
        super::orders::show,
        super::flags::show,
        super::flags::update,
        super::actions::processing,
        super::actions::shipments,
        super::actions::list_shipments,
        super::actions::retry,
        super::actions::cancel,
        super::actions::notes,
        super::actions::shipping_address,
        super::batches::start,
        super::batches::show,
        super::batches::events,
        super::batches::failures_csv,
        super::tracking::receive,
        super::events::feed,
        super::events::replay,
        super::webhooks::list,
        super::webhooks::add,
        super::webhooks::disable,
        super::webhooks::enable,
        super::webhooks::deliveries,
        super::metrics::serve,
    ),
    modifiers(&ApiKeyScheme),
    tags((name = "intake", description = "Inbound events from checkout"), (name = "orders", description = "Reading orders"), (name = "fulfilment", description = "Actions: processing, shipments, cancel, notes, address, batches"), (name = "tracking", description = "Shiprocket tracking push"), (name = "feature flags", description = "The fulfilment rollout flag"), (name = "ops", description = "Probes and metrics"), (name = "events", description = "Outbound events: the pull feed and replay"), (name = "webhooks", description = "Outbound webhook endpoints"))
)]
#[derive(Debug)]
pub struct ApiDoc;

#[derive(Debug)]
struct ApiKeyScheme;

impl Modify for ApiKeyScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API key from `orderly apikey create`"))
                    .build(),
            ),
        );
    }
}

/// `GET /api/openapi.json`.
pub async fn serve() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
