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
    ),
    modifiers(&ApiKeyScheme),
    tags((name = "intake", description = "Inbound events from checkout"), (name = "orders", description = "Reading orders"), (name = "ops", description = "Probes"))
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
