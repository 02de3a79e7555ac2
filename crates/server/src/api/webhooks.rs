//! Webhook endpoints: `GET/POST /api/v1/webhook-endpoints`, `DELETE /api/v1/webhook-endpoints/{id}`
//! (disable), `POST /api/v1/webhook-endpoints/{id}/enable`, `GET /api/v1/webhook-endpoints/{id}/deliveries`.
//! Every route needs an API key with `admin`.

use axum::Json;
use axum::extract::State;
use http::StatusCode;
use orderly_domain::intake::FieldError;
use orderly_store::delivery::{self, DeliveryLog, Endpoint, NewEndpoint};
use rand::distr::{Alphanumeric, SampleString};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::ApiCaller;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery, opt_text, text};
use crate::app::AppState;
use crate::egress::EgressPolicy;

/// A new endpoint.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateEndpoint {
    /// Where to POST events: an absolute `https://` URL on a public address (`http://` only when the
    /// server sets `ORDERLY_ALLOW_INSECURE_WEBHOOKS=1`; internal addresses only in
    /// `ORDERLY_WEBHOOK_ALLOWED_NETWORKS`).
    /// The schema's pattern describes the default: https, and an ASCII host name whose last label
    /// does not start with a digit (so never an IP literal, which may name an internal address).
    #[schema(
        pattern = "^[Hh][Tt][Tt][Pp][Ss]://([^/?#@\\\\\\u0000]*@)?([A-Za-z0-9!$&'()*+,;=_~-]+\\.)+[A-Za-z!$&'()*+,;=_~-][A-Za-z0-9!$&'()*+,;=_~-]*\\.?(:[0-9]{0,4})?([/?#][^\\u0000]*)?$"
    )]
    #[serde(deserialize_with = "text")]
    pub url: String,
    /// The signing secret, at least 16 characters; generated when omitted.
    #[schema(min_length = 16, pattern = "^[^\\u0000]*$")]
    #[serde(default, deserialize_with = "opt_text")]
    pub secret: Option<String>,
    /// Free text.
    #[schema(pattern = "^[^\\u0000]*$")]
    #[serde(default, deserialize_with = "opt_text")]
    pub description: Option<String>,
}

/// A created endpoint, with its secret (shown this once).
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedEndpoint {
    /// The endpoint.
    #[serde(flatten)]
    pub endpoint: Endpoint,
    /// The signing secret. Store it now; it is not shown again.
    pub secret: String,
}

/// Every endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointList {
    /// Oldest first.
    pub endpoints: Vec<Endpoint>,
}

/// Checks and stores a new endpoint (also used by `orderly webhook add`).
pub async fn create(
    state: &AppState,
    url: &str,
    secret: Option<String>,
    description: Option<&str>,
    actor: &str,
) -> Result<(Endpoint, String), ApiError> {
    let mut errors = Vec::new();
    if let Err(why) = check_url(&state.settings.webhook_egress, url).await {
        errors.push(field("url", &why));
    }
    let secret = secret.unwrap_or_else(generate_secret);
    if secret.chars().count() < 16 {
        errors.push(field("secret", "must be at least 16 characters"));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let new = NewEndpoint {
        url,
        secret: &secret,
        description,
    };
    let endpoint = delivery::create_endpoint(&state.store, &new, state.clock.now(), actor).await?;
    Ok((endpoint, secret))
}

/// Checks a new endpoint's URL against the egress policy (scheme, IP literal, and what the host
/// resolves to now); the error is a sentence for the person registering it. Delivery checks again
/// at connect time, since DNS can change.
pub async fn check_url(policy: &EgressPolicy, url: &str) -> Result<(), String> {
    let parsed =
        reqwest::Url::parse(url).map_err(|_| "must be an absolute https:// URL".to_string())?;
    policy
        .check_destination(&parsed)
        .await
        .map_err(|refused| refused.to_string())
}

/// A random signing secret: `whsec_` and 32 letters and digits.
pub fn generate_secret() -> String {
    let body = Alphanumeric.sample_string(&mut rand::rng(), 32);
    format!("whsec_{body}")
}

fn field(name: &str, message: &str) -> FieldError {
    FieldError {
        pointer: format!("/{name}"),
        message: message.to_string(),
    }
}

/// Lists webhook endpoints (secrets are never listed).
#[utoipa::path(
    get, path = "/api/v1/webhook-endpoints", tag = "webhooks", operation_id = "list_webhook_endpoints", security(("api_key" = [])),
    responses(
        (status = 200, description = "Every endpoint", body = EndpointList),
        (status = 401, description = "No or unknown API key", body = ErrorBody),
        (status = 403, description = "The key lacks admin", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Json<EndpointList>, ApiError> {
    caller.require("admin")?;
    Ok(Json(EndpointList {
        endpoints: delivery::list_endpoints(&state.store).await?,
    }))
}

/// Adds an endpoint. It receives every event committed from now on, signed with its secret.
#[utoipa::path(
    post, path = "/api/v1/webhook-endpoints", tag = "webhooks", security(("api_key" = [])),
    request_body = CreateEndpoint,
    responses(
        (status = 201, description = "Created; the secret is shown once", body = CreatedEndpoint),
        (status = 401, description = "No or unknown API key", body = ErrorBody),
        (status = 403, description = "The key lacks admin", body = ErrorBody),
        (status = 415, description = "The body is not sent as application/json", body = ErrorBody),
        (status = 422, description = "Invalid or refused URL (http://, internal address), or a short secret", body = ErrorBody),
    )
)]
pub async fn add(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(body): ApiJson<CreateEndpoint>,
) -> Result<(StatusCode, Json<CreatedEndpoint>), ApiError> {
    caller.require("admin")?;
    let (endpoint, secret) = create(
        &state,
        &body.url,
        body.secret,
        body.description.as_deref(),
        &caller.actor(),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedEndpoint { endpoint, secret }),
    ))
}

/// Disables an endpoint (nothing is deleted; its attempt log stays).
#[utoipa::path(
    delete, path = "/api/v1/webhook-endpoints/{id}", tag = "webhooks", security(("api_key" = [])),
    params(("id" = i64, Path, description = "Endpoint id")),
    responses(
        (status = 200, description = "Disabled", body = Endpoint),
        (status = 403, description = "The key lacks admin", body = ErrorBody),
        (status = 404, description = "No such endpoint", body = ErrorBody),
    )
)]
pub async fn disable(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Endpoint>, ApiError> {
    caller.require("admin")?;
    let reason = format!("disabled by {}", caller.actor());
    set_enabled(&state, id, false, Some(&reason), &caller.actor()).await
}

/// Re-enables an endpoint: the failure count is cleared and delivery resumes where it stopped, in order.
#[utoipa::path(
    post, path = "/api/v1/webhook-endpoints/{id}/enable", tag = "webhooks", security(("api_key" = [])),
    params(("id" = i64, Path, description = "Endpoint id")),
    responses(
        (status = 200, description = "Enabled", body = Endpoint),
        (status = 403, description = "The key lacks admin", body = ErrorBody),
        (status = 404, description = "No such endpoint", body = ErrorBody),
    )
)]
pub async fn enable(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Endpoint>, ApiError> {
    caller.require("admin")?;
    let out = set_enabled(&state, id, true, None, &caller.actor()).await;
    state.live.notify_outbox();
    out
}

async fn set_enabled(
    state: &AppState,
    id: i64,
    enabled: bool,
    reason: Option<&str>,
    actor: &str,
) -> Result<Json<Endpoint>, ApiError> {
    delivery::set_enabled(&state.store, id, enabled, reason, state.clock.now(), actor)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no webhook endpoint {id}")))
}

/// Paging of the attempt log.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveriesParams {
    /// Rows, 1–500 (default 50); other values are clamped to that range.
    #[param(value_type = Option<i64>, minimum = 0, maximum = 4_294_967_295_u64)]
    pub limit: Option<u32>,
}

/// The attempt log.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryList {
    /// Newest first.
    pub deliveries: Vec<DeliveryLog>,
}

/// The newest delivery attempts to an endpoint, each with its outcome, status code and duration.
#[utoipa::path(
    get, path = "/api/v1/webhook-endpoints/{id}/deliveries", tag = "webhooks", security(("api_key" = [])),
    params(("id" = i64, Path, description = "Endpoint id"), DeliveriesParams),
    responses(
        (status = 200, description = "Attempts, newest first", body = DeliveryList),
        (status = 403, description = "The key lacks admin", body = ErrorBody),
        (status = 404, description = "No such endpoint", body = ErrorBody),
        (status = 422, description = "limit is not a number", body = ErrorBody),
    )
)]
pub async fn deliveries(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(params): ApiQuery<DeliveriesParams>,
) -> Result<Json<DeliveryList>, ApiError> {
    caller.require("admin")?;
    if delivery::get_endpoint(&state.store, id).await?.is_none() {
        return Err(ApiError::not_found(format!("no webhook endpoint {id}")));
    }
    let limit = i64::from(params.limit.unwrap_or(50).clamp(1, 500));
    Ok(Json(DeliveryList {
        deliveries: delivery::deliveries(&state.store, id, limit).await?,
    }))
}
