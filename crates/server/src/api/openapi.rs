//! The OpenAPI document, generated from the handlers' annotations and served at `/api/openapi.json`.

use axum::Json;
use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi};

/// Pattern of a text that is not blank (it has a character Rust's `str::trim` keeps) and has no
/// U+0000 (which PostgreSQL cannot store; `api::extract::text` refuses it).
pub const NON_BLANK: &str = r"^[^\u0000]*[^\u0000\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\u0000]*$";

/// Pattern of any text without U+0000.
pub const TEXT: &str = r"^[^\u0000]*$";

/// Pattern of a one-line text field: not blank, and no control characters.
pub const LINE: &str = r"^[^\u0000-\u001f\u007f-\u009f]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\u0000-\u001f\u007f-\u009f]*$";

/// Pattern of an optional one-line text: no control characters (it may be empty).
pub const ONE_LINE: &str = r"^[^\u0000-\u001f\u007f-\u009f]*$";

/// Pattern of a PIN code as accepted: six digits, the first not 0, spaces between them allowed.
pub const PINCODE: &str = r"^[\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[1-9]( *[0-9]){5}[\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$";

fn text(pattern: &str, min: usize, max: Option<usize>, description: &str) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(min))
        .max_length(max)
        .pattern(Some(pattern))
        .description(Some(description))
        .build()
}

/// Schema of a one-line text field of 1–100 characters (see [`LINE`]).
pub fn line_100() -> Object {
    text(
        LINE,
        1,
        Some(100),
        "1–100 characters once trimmed, no control characters",
    )
}

/// Schema of a one-line text field of 1–200 characters (see [`LINE`]).
pub fn line_200() -> Object {
    text(
        LINE,
        1,
        Some(200),
        "1–200 characters once trimmed, no control characters",
    )
}

/// Schema of a cancellation reason: optional, at most 500 characters on one line.
pub fn cancel_reason() -> Object {
    text(
        ONE_LINE,
        0,
        Some(500),
        "Why (optional): at most 500 characters on one line",
    )
}

/// Schema of an optional second address line: at most 200 characters, no control characters.
pub fn optional_line_200() -> Object {
    text(
        ONE_LINE,
        0,
        Some(200),
        "Optional: at most 200 characters once trimmed, no control characters",
    )
}

/// Schema of a name of 1–100 characters, not blank.
pub fn name_100() -> Object {
    text(NON_BLANK, 1, Some(100), "1–100 characters, not blank")
}

/// Schema of a free text (no U+0000).
pub fn plain_text() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(TEXT))
        .build()
}

/// Schema of a note: 1–2000 characters, not blank.
pub fn note_text() -> Object {
    text(NON_BLANK, 1, Some(2000), "1–2000 characters once trimmed")
}

/// Schema of a reason: 1–500 characters, not blank.
pub fn reason_text() -> Object {
    text(
        NON_BLANK,
        1,
        Some(500),
        "Why: 1–500 characters once trimmed",
    )
}

/// Schema of a PIN code (see [`PINCODE`]).
pub fn pincode() -> Object {
    text(
        PINCODE,
        6,
        None,
        "6 digits, not starting with 0; spaces between digits are ignored",
    )
}

/// Schema of a list of `min`–`max` non-blank strings.
pub fn non_blank_list(
    min: usize,
    max: Option<usize>,
    item_max_len: Option<usize>,
) -> utoipa::openapi::schema::Array {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(NON_BLANK))
                .max_length(item_max_len),
        )
        .min_items(Some(min))
        .max_items(max)
        .build()
}

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
        super::api_keys::list,
        super::api_keys::create,
        super::api_keys::revoke,
    ),
    modifiers(&ApiKeyScheme, &CommonResponses),
    tags((name = "intake", description = "Inbound events from checkout"), (name = "orders", description = "Reading orders"), (name = "fulfilment", description = "Actions: processing, shipments, cancel, notes, address, batches"), (name = "tracking", description = "Shiprocket tracking push"), (name = "feature flags", description = "The fulfilment rollout flag"), (name = "ops", description = "Probes and metrics"), (name = "events", description = "Outbound events: the pull feed and replay"), (name = "webhooks", description = "Outbound webhook endpoints"), (name = "api keys", description = "Listing, creating and revoking API keys (admin)"))
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

/// Adds the error answers every operation of a kind can give, so no handler can forget one:
///
/// - 401 to every operation that takes an API key (missing, unknown or revoked key);
/// - 503 to every `/api/v1/…` operation and `/metrics` (the database stayed busy; `Retry-After`);
/// - 400 (not JSON) and 413 (over the body limit) to every operation with a request body.
///
/// A response a handler documents itself is kept as written.
#[derive(Debug)]
struct CommonResponses;

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let uses_store = path.starts_with("/api/v1/") || path == "/metrics";
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for op in operations.into_iter().flatten() {
                add_common(op, uses_store);
            }
        }
    }
}

fn add_common(op: &mut Operation, uses_store: bool) {
    let keyed = op.security.as_ref().is_some_and(|s| !s.is_empty());
    let has_body = op.request_body.is_some();
    let mut add = |status: &str, description: &str| {
        op.responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| error_response(description));
    };
    if keyed {
        add("401", "No API key, or an unknown or revoked one");
    }
    if has_body {
        add("400", "The body is not JSON");
        add("413", "The body is larger than the limit");
    }
    if uses_store {
        add(
            "503",
            "The database stayed busy; retry after `Retry-After` seconds",
        );
    }
}

/// A response whose body is the one JSON error shape.
fn error_response(description: &str) -> RefOr<utoipa::openapi::Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build(),
    )
}

/// `GET /api/openapi.json`.
pub async fn serve() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
