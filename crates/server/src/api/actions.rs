//! The JSON API of the fulfilment actions. Every write accepts an `Idempotency-Key` header (a repeat
//! returns the first answer) and an `expected_version` (409 when the order changed meanwhile).

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, StatusCode};
use orderly_domain::shipment::Step;
use orderly_store::fulfilment::{self, IdempotentResponse, Reservation};
use orderly_store::orders::{AddressView, OrderSummary};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::auth::ApiCaller;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiBytes, ApiPath, json_body, opt_text, opt_whole, text};
use super::openapi::{line_100, line_200, note_text, pincode};
use crate::actions::{self, ActionError, Actor, ShipmentOutcome};
use crate::app::AppState;

impl From<ActionError> for ApiError {
    fn from(e: ActionError) -> Self {
        match e {
            ActionError::NotFound => ApiError::not_found("no such order"),
            ActionError::Stale => {
                ApiError::new(StatusCode::CONFLICT, "stale", "this order changed, reload")
            }
            ActionError::NotAllowed(m) => ApiError::new(StatusCode::CONFLICT, "not_allowed", m),
            ActionError::Invalid(fields) => ApiError::validation(fields),
            ActionError::FeatureDisabled(m) => {
                ApiError::new(StatusCode::FORBIDDEN, "feature_disabled", m)
            }
            ActionError::Shiprocket(m) => {
                ApiError::new(StatusCode::BAD_GATEWAY, "shiprocket_error", m)
            }
            ActionError::NotConfigured => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "not_configured",
                ActionError::NotConfigured.to_string(),
            ),
            ActionError::Internal(m) => ApiError::internal(&m),
        }
    }
}

/// Runs `op` once per `Idempotency-Key` (scoped to the caller); repeats get the stored answer.
async fn idempotent<F, Fut>(
    state: &AppState,
    caller: &ApiCaller,
    headers: &HeaderMap,
    fingerprint: &str,
    op: F,
) -> Result<Response, ApiError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<(StatusCode, serde_json::Value), ApiError>>,
{
    let Some(key) = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty())
    else {
        let (status, value) = op().await?;
        return Ok((status, Json(value)).into_response());
    };
    if key.len() > 200 {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "Idempotency-Key is at most 200 characters",
        ));
    }
    let scope = caller.actor();
    let hash = hex::encode(Sha256::digest(fingerprint.as_bytes()));
    let now = state.clock.now();
    match fulfilment::idempotency_reserve(&state.store, &scope, key, &hash, now).await? {
        Reservation::Reserved => {}
        Reservation::Taken(stored) if stored.request_hash != hash => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "this Idempotency-Key was used for a different request",
            ));
        }
        Reservation::Taken(stored) if stored.is_pending() => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "idempotency_key_in_use",
                "a request with this Idempotency-Key is still running; repeat it in a moment for its answer",
            ));
        }
        Reservation::Taken(stored) => {
            let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
            let value: serde_json::Value =
                serde_json::from_str(&stored.body).unwrap_or(serde_json::Value::Null);
            return Ok((status, Json(value)).into_response());
        }
    }
    // Frees the key if the action fails or this request is dropped before it answers.
    let mut reservation = Reserved {
        store: state.store.clone(),
        scope: scope.clone(),
        key: key.to_string(),
        armed: true,
    };
    let (status, value) = match op().await {
        Ok(answer) => answer,
        Err(e) => {
            // Released before answering, so an immediate retry runs the action again.
            reservation.armed = false;
            fulfilment::idempotency_release(&state.store, &scope, key).await?;
            return Err(e);
        }
    };
    let response = IdempotentResponse {
        request_hash: hash,
        status: status.as_u16(),
        body: value.to_string(),
    };
    fulfilment::idempotency_complete(&state.store, &scope, key, &response).await?;
    reservation.armed = false;
    Ok((status, Json(value)).into_response())
}

/// A reserved `Idempotency-Key` that is released (in the background) unless its answer was stored.
struct Reserved {
    store: orderly_store::Store,
    scope: String,
    key: String,
    armed: bool,
}

impl Drop for Reserved {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let (store, scope, key) = (
            self.store.clone(),
            std::mem::take(&mut self.scope),
            std::mem::take(&mut self.key),
        );
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                if let Err(e) = fulfilment::idempotency_release(&store, &scope, &key).await {
                    tracing::warn!(error = %e, "could not release an idempotency key");
                }
            });
        }
    }
}

fn json<T: serde::Serialize>(
    status: StatusCode,
    v: &T,
) -> Result<(StatusCode, serde_json::Value), ApiError> {
    serde_json::to_value(v)
        .map(|v| (status, v))
        .map_err(|e| ApiError::internal(&e))
}

/// Body of version-checked writes.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct VersionBody {
    /// The order's `version` as last read; 409 when it changed since.
    #[serde(default, deserialize_with = "opt_whole")]
    pub expected_version: Option<i64>,
}

/// Body of `POST …/shipments`.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ShipmentBody {
    /// The person's courier pick; otherwise the configured policy chooses.
    #[serde(default, deserialize_with = "opt_whole")]
    pub courier_id: Option<i64>,
    /// The order's `version` as last read.
    #[serde(default, deserialize_with = "opt_whole")]
    pub expected_version: Option<i64>,
}

/// Body of `POST …/cancel`.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct CancelBody {
    /// Why (kept in the timeline).
    #[serde(default, deserialize_with = "text")]
    #[schema(schema_with = super::openapi::cancel_reason)]
    pub reason: String,
    /// The order's `version` as last read.
    #[serde(default, deserialize_with = "opt_whole")]
    pub expected_version: Option<i64>,
}

/// Body of `POST …/notes`.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct NoteBody {
    /// The note: 1–2000 characters once leading and trailing whitespace is trimmed.
    #[schema(schema_with = note_text)]
    #[serde(deserialize_with = "text")]
    pub text: String,
}

/// Body of `PUT …/shipping-address`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AddressBody {
    /// The new address.
    pub address: AddressInput,
    /// The order's `version` as last read.
    #[serde(default, deserialize_with = "opt_whole")]
    pub expected_version: Option<i64>,
}

/// A shipping address as sent (text is trimmed; the country is always India).
#[derive(Debug, Deserialize, ToSchema)]
pub struct AddressInput {
    /// Recipient: 1–200 characters, no control characters.
    #[schema(schema_with = line_200)]
    pub name: String,
    /// First line: 1–200 characters, no control characters.
    #[schema(schema_with = line_200)]
    pub line1: String,
    /// Second line (optional).
    #[serde(default, deserialize_with = "opt_text")]
    #[schema(schema_with = super::openapi::optional_line_200)]
    pub line2: Option<String>,
    /// City: 1–100 characters, no control characters.
    #[schema(schema_with = line_100)]
    pub city: String,
    /// State: 1–100 characters, no control characters.
    #[schema(schema_with = line_100)]
    pub state: String,
    /// 6-digit PIN code, not starting with 0 (spaces between digits are ignored).
    #[schema(schema_with = pincode)]
    pub pincode: String,
    /// Ignored: stored as `IN`.
    #[serde(deserialize_with = "text")]
    #[schema(pattern = "^[^\\u0000]*$")]
    pub country: String,
}

impl From<AddressInput> for AddressView {
    fn from(a: AddressInput) -> Self {
        AddressView {
            name: a.name,
            line1: a.line1,
            line2: a.line2,
            city: a.city,
            state: a.state,
            pincode: a.pincode,
            country: a.country,
        }
    }
}

fn writer(caller: &ApiCaller) -> Result<Actor, ApiError> {
    caller.require("orders:write")?;
    Ok(Actor::api_key(&caller.0.prefix))
}

/// Mark as Processing.
#[utoipa::path(post, path = "/api/v1/orders/{order_number}/processing", tag = "fulfilment", security(("api_key" = [])),
    params(("order_number" = String, Path, description = "Order number"), ("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    request_body(content = VersionBody, description = "Optional expected version"),
    responses((status = 200, description = "Marked as processing", body = OrderSummary), (status = 403, description = "The key lacks orders:write, or fulfilment is off for this order (the rollout flag)", body = ErrorBody), (status = 404, description = "No such order", body = ErrorBody), (status = 409, description = "Changed since expected_version, or not allowed in this status", body = ErrorBody), (status = 422, description = "Invalid body, or an Idempotency-Key over 200 characters or reused for a different request", body = ErrorBody)))]
pub async fn processing(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(n): ApiPath<String>,
    headers: HeaderMap,
    ApiBytes(bytes): ApiBytes,
) -> Result<Response, ApiError> {
    let actor = writer(&caller)?;
    let b: VersionBody = json_body(&bytes)?;
    let fp = format!("processing|{n}|{}", String::from_utf8_lossy(&bytes));
    idempotent(&state, &caller, &headers, &fp, || async {
        json(
            StatusCode::OK,
            &actions::mark_processing(&state, &n, b.expected_version, &actor).await?,
        )
    })
    .await
}

/// Generate Shipment: answers within about 5 s with the AWB, the failure reason, or `pending` (continues in the background).
#[utoipa::path(post, path = "/api/v1/orders/{order_number}/shipments", tag = "fulfilment", security(("api_key" = [])),
    params(("order_number" = String, Path, description = "Order number"), ("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    request_body(content = ShipmentBody, description = "Optional courier pick and expected version"),
    responses((status = 201, description = "Shipped", body = ShipmentOutcome), (status = 200, description = "Failed (reason) or pending", body = ShipmentOutcome), (status = 403, description = "The key lacks orders:write, or fulfilment is off for this order (the rollout flag)", body = ErrorBody), (status = 404, description = "No such order", body = ErrorBody), (status = 409, description = "Changed since expected_version, or not allowed in this status", body = ErrorBody), (status = 422, description = "Invalid body, or an Idempotency-Key over 200 characters or reused for a different request", body = ErrorBody), (status = 502, description = "Shiprocket failed", body = ErrorBody), (status = 503, description = "Shiprocket is not configured, or the database stayed busy", body = ErrorBody)))]
pub async fn shipments(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(n): ApiPath<String>,
    headers: HeaderMap,
    ApiBytes(bytes): ApiBytes,
) -> Result<Response, ApiError> {
    let actor = writer(&caller)?;
    let b: ShipmentBody = json_body(&bytes)?;
    let fp = format!("shipments|{n}|{}", String::from_utf8_lossy(&bytes));
    idempotent(&state, &caller, &headers, &fp, || async {
        let out = actions::generate_shipment(&state, &n, b.courier_id, b.expected_version, &actor)
            .await?;
        let status = if matches!(out, ShipmentOutcome::Shipped { .. }) {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        json(status, &out)
    })
    .await
}

/// Retry a failed shipment.
#[utoipa::path(post, path = "/api/v1/orders/{order_number}/shipments/{shipment_id}/retry", tag = "fulfilment", security(("api_key" = [])),
    params(("order_number" = String, Path, description = "Order number"), ("shipment_id" = i64, Path, description = "The failed attempt"), ("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    responses((status = 201, description = "Shipped", body = ShipmentOutcome), (status = 200, description = "Failed (reason) or pending", body = ShipmentOutcome), (status = 403, description = "The key lacks orders:write, or fulfilment is off for this order (the rollout flag)", body = ErrorBody), (status = 404, description = "No such order, or no such attempt of it", body = ErrorBody), (status = 409, description = "The attempt has not failed", body = ErrorBody), (status = 422, description = "Invalid body, or an Idempotency-Key over 200 characters or reused for a different request", body = ErrorBody), (status = 502, description = "Shiprocket failed", body = ErrorBody), (status = 503, description = "Shiprocket is not configured, or the database stayed busy", body = ErrorBody)))]
pub async fn retry(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath((n, shipment_id)): ApiPath<(String, i64)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let actor = writer(&caller)?;
    let fp = format!("retry|{n}|{shipment_id}");
    idempotent(&state, &caller, &headers, &fp, || async {
        let order = orderly_store::orders::get(&state.store, &n)
            .await?
            .ok_or_else(|| ApiError::not_found("no such order"))?;
        let attempts = fulfilment::shipments(&state.store, order.summary.id).await?;
        match attempts.iter().find(|s| s.id == shipment_id) {
            None => {
                return Err(ApiError::not_found(
                    "no such shipment attempt for this order",
                ));
            }
            Some(s) if s.step != Step::Failed => {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "not_allowed",
                    "only a failed shipment can be retried",
                ));
            }
            Some(_) => {}
        }
        let out = actions::retry_shipment(&state, &n, &actor).await?;
        let status = if matches!(out, ShipmentOutcome::Shipped { .. }) {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        json(status, &out)
    })
    .await
}

/// Cancel the order (and its Shiprocket AWB/order when they exist; refused after pickup).
#[utoipa::path(post, path = "/api/v1/orders/{order_number}/cancel", tag = "fulfilment", security(("api_key" = [])),
    params(("order_number" = String, Path, description = "Order number"), ("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    request_body(content = CancelBody, description = "Reason and expected version"),
    responses((status = 200, description = "Cancelled", body = OrderSummary), (status = 403, description = "The key lacks orders:write, or fulfilment is off for this order (the rollout flag)", body = ErrorBody), (status = 404, description = "No such order", body = ErrorBody), (status = 409, description = "Changed since expected_version, or not allowed in this status", body = ErrorBody), (status = 422, description = "Invalid body, or an Idempotency-Key over 200 characters or reused for a different request", body = ErrorBody), (status = 502, description = "Shiprocket failed", body = ErrorBody)))]
pub async fn cancel(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(n): ApiPath<String>,
    headers: HeaderMap,
    ApiBytes(bytes): ApiBytes,
) -> Result<Response, ApiError> {
    let actor = writer(&caller)?;
    let b: CancelBody = json_body(&bytes)?;
    let fp = format!("cancel|{n}|{}", String::from_utf8_lossy(&bytes));
    idempotent(&state, &caller, &headers, &fp, || async {
        json(
            StatusCode::OK,
            &actions::cancel_order(&state, &n, &b.reason, b.expected_version, &actor).await?,
        )
    })
    .await
}

/// Add an internal note.
#[utoipa::path(post, path = "/api/v1/orders/{order_number}/notes", tag = "fulfilment", security(("api_key" = [])),
    params(("order_number" = String, Path, description = "Order number"), ("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    request_body(content = NoteBody, description = "The note"),
    responses((status = 201, description = "Added"), (status = 403, description = "The key lacks orders:write", body = ErrorBody), (status = 404, description = "No such order", body = ErrorBody), (status = 422, description = "Invalid body, or an Idempotency-Key over 200 characters or reused for a different request", body = ErrorBody)))]
pub async fn notes(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(n): ApiPath<String>,
    headers: HeaderMap,
    ApiBytes(bytes): ApiBytes,
) -> Result<Response, ApiError> {
    let actor = writer(&caller)?;
    let b: NoteBody = json_body(&bytes)?;
    let fp = format!("notes|{n}|{}", String::from_utf8_lossy(&bytes));
    idempotent(&state, &caller, &headers, &fp, || async {
        actions::add_note(&state, &n, &b.text, &actor).await?;
        Ok((StatusCode::CREATED, serde_json::json!({ "added": true })))
    })
    .await
}

/// Replace the shipping address (before an AWB exists).
#[utoipa::path(put, path = "/api/v1/orders/{order_number}/shipping-address", tag = "fulfilment", security(("api_key" = [])),
    params(("order_number" = String, Path, description = "Order number"), ("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    request_body(content = AddressBody, description = "The address and expected version"),
    responses((status = 200, description = "Address replaced", body = OrderSummary), (status = 403, description = "The key lacks orders:write, or fulfilment is off for this order (the rollout flag)", body = ErrorBody), (status = 404, description = "No such order", body = ErrorBody), (status = 409, description = "Changed since expected_version, or not allowed in this status", body = ErrorBody), (status = 422, description = "Invalid body, or an Idempotency-Key over 200 characters or reused for a different request", body = ErrorBody), (status = 502, description = "Shiprocket failed", body = ErrorBody)))]
pub async fn shipping_address(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(n): ApiPath<String>,
    headers: HeaderMap,
    ApiBytes(bytes): ApiBytes,
) -> Result<Response, ApiError> {
    let actor = writer(&caller)?;
    let b: AddressBody = json_body(&bytes)?;
    let fp = format!("address|{n}|{}", String::from_utf8_lossy(&bytes));
    idempotent(&state, &caller, &headers, &fp, || async {
        json(
            StatusCode::OK,
            &actions::edit_shipping_address(
                &state,
                &n,
                b.address.into(),
                b.expected_version,
                &actor,
            )
            .await?,
        )
    })
    .await
}

/// The shipment attempts and internal notes of an order.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct ShipmentList {
    /// Every attempt, oldest first, with quotes, the courier chosen and why, and failures.
    pub shipments: Vec<fulfilment::Shipment>,
    /// The order's internal notes, oldest first.
    pub notes: Vec<fulfilment::Note>,
}

/// Every shipment attempt of an order, with quotes, the courier chosen and why, and failures; and its notes.
#[utoipa::path(get, path = "/api/v1/orders/{order_number}/shipments", tag = "fulfilment", security(("api_key" = [])),
    params(("order_number" = String, Path, description = "Order number")),
    responses((status = 200, body = ShipmentList), (status = 403, description = "The key lacks orders:read", body = ErrorBody), (status = 404, description = "No such order", body = ErrorBody)))]
pub async fn list_shipments(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(n): ApiPath<String>,
) -> Result<Json<ShipmentList>, ApiError> {
    caller.require("orders:read")?;
    let order = orderly_store::orders::get(&state.store, &n)
        .await?
        .ok_or_else(|| ApiError::not_found("no such order"))?;
    let shipments = fulfilment::shipments(&state.store, order.summary.id).await?;
    let notes = fulfilment::notes(&state.store, order.summary.id).await?;
    Ok(Json(ShipmentList { shipments, notes }))
}
