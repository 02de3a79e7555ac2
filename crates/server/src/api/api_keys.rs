//! API keys over the admin API: `GET/POST /api/v1/api-keys` (list, create) and
//! `DELETE /api/v1/api-keys/{prefix}` (revoke). Every route needs a key with `admin`. A revoked
//! key is refused at once, and its open streams end.

use axum::Json;
use axum::extract::{Path, State};
use http::StatusCode;
use orderly_domain::intake::FieldError;
use orderly_store::api_keys::{self, ApiKeyInfo};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::auth::ApiCaller;
use super::error::{ApiError, ErrorBody};
use crate::app::AppState;
use crate::streams::Ended;

/// Scopes Orderly knows.
pub const SCOPES: &[&str] = &[
    "orders:read",
    "orders:write",
    "events:read",
    "metrics:read",
    "admin",
];

/// Longest key name accepted.
pub const MAX_NAME: usize = 100;

/// Every key, newest first (revoked and expired ones too, with their state).
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyList {
    /// Newest first.
    pub api_keys: Vec<ApiKeyView>,
}

/// A key as admins see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyView {
    /// The key's details (never the key itself).
    #[serde(flatten)]
    pub key: ApiKeyInfo,
    /// `active`, `expired` or `revoked`.
    pub state: &'static str,
}

/// A new key.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateApiKey {
    /// A name to recognise it by (1–100 characters).
    #[serde(deserialize_with = "super::extract::text")]
    #[schema(schema_with = super::openapi::name_100)]
    pub name: String,
    /// Scopes: `orders:read`, `orders:write`, `events:read`, `metrics:read`, `admin` (1 to 5, no repeats).
    #[serde(deserialize_with = "super::extract::texts")]
    #[schema(schema_with = scopes_schema)]
    pub scopes: Vec<String>,
    /// When it stops working (RFC 3339, in the future); never when omitted.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<OffsetDateTime>,
}

/// 1 to 5 known scopes.
fn scopes_schema() -> utoipa::openapi::schema::Array {
    let scope = utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(SCOPES.iter().copied()));
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(scope)
        .min_items(Some(1))
        .max_items(Some(SCOPES.len()))
        .unique_items(true)
        .build()
}

/// A created key, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiKey {
    /// The whole key (`ok_<prefix>_<secret>`). Store it now; it is not shown again.
    pub key: String,
    /// Its public prefix (what list and revoke use).
    pub prefix: String,
}

fn view(key: ApiKeyInfo, now: OffsetDateTime) -> ApiKeyView {
    ApiKeyView {
        state: key.state(now),
        key,
    }
}

/// Checks a new key's name, scopes and expiry (also used by the command line).
pub fn validate(
    name: &str,
    scopes: &[String],
    expires_at: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();
    let field = |pointer: &str, message: String| FieldError {
        pointer: pointer.to_string(),
        message,
    };
    if name.trim().is_empty() || name.chars().count() > MAX_NAME {
        errors.push(field(
            "/name",
            format!("must be 1 to {MAX_NAME} characters"),
        ));
    }
    if scopes.is_empty() {
        errors.push(field("/scopes", "give at least one scope".into()));
    }
    for (i, s) in scopes.iter().enumerate().take(SCOPES.len() + 1) {
        if !SCOPES.contains(&s.as_str()) {
            errors.push(field(
                &format!("/scopes/{i}"),
                format!("unknown scope; known scopes: {}", SCOPES.join(", ")),
            ));
        }
    }
    if scopes.len() > SCOPES.len() {
        errors.push(field("/scopes", "too many scopes".into()));
    }
    if expires_at.is_some_and(|e| e <= now) {
        errors.push(field("/expires_at", "must be in the future".into()));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Lists API keys: prefix, name, scopes, created, last used (to the minute), expiry and state.
#[utoipa::path(
    get, path = "/api/v1/api-keys", tag = "api keys", operation_id = "list_api_keys", security(("api_key" = [])),
    responses(
        (status = 200, description = "Every key, newest first", body = ApiKeyList),
        (status = 401, description = "No, unknown, revoked or expired API key", body = ErrorBody),
        (status = 403, description = "The key lacks admin", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Json<ApiKeyList>, ApiError> {
    caller.require("admin")?;
    let now = state.clock.now();
    let keys = api_keys::list(&state.store).await?;
    Ok(Json(ApiKeyList {
        api_keys: keys.into_iter().map(|k| view(k, now)).collect(),
    }))
}

/// Creates a key, optionally expiring; the key is in the answer this once.
#[utoipa::path(
    post, path = "/api/v1/api-keys", tag = "api keys", operation_id = "create_api_key", security(("api_key" = [])),
    request_body = CreateApiKey,
    responses(
        (status = 201, description = "Created; the key is shown once", body = CreatedApiKey),
        (status = 400, description = "The body is not JSON of this shape", body = ErrorBody),
        (status = 401, description = "No, unknown, revoked or expired API key", body = ErrorBody),
        (status = 403, description = "The key lacks admin", body = ErrorBody),
        (status = 415, description = "The body is not application/json", body = ErrorBody),
        (status = 422, description = "Bad name, scope or expiry (each field listed)", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    caller: ApiCaller,
    super::extract::ApiJson(body): super::extract::ApiJson<CreateApiKey>,
) -> Result<(StatusCode, Json<CreatedApiKey>), ApiError> {
    caller.require("admin")?;
    let now = state.clock.now();
    validate(&body.name, &body.scopes, body.expires_at, now).map_err(ApiError::validation)?;
    let key = api_keys::create_expiring(
        &state.store,
        body.name.trim(),
        &body.scopes,
        body.expires_at,
        now,
        &caller.actor(),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedApiKey {
            key: key.key.clone(),
            prefix: key.prefix.clone(),
        }),
    ))
}

/// Revokes a key: refused from now on, and its open streams end. Revoking twice is harmless.
#[utoipa::path(
    delete, path = "/api/v1/api-keys/{prefix}", tag = "api keys", operation_id = "revoke_api_key", security(("api_key" = [])),
    params(("prefix" = String, Path, description = "The key's public prefix")),
    responses(
        (status = 200, description = "Revoked", body = ApiKeyView),
        (status = 401, description = "No, unknown, revoked or expired API key", body = ErrorBody),
        (status = 403, description = "The key lacks admin", body = ErrorBody),
        (status = 404, description = "No key with this prefix", body = ErrorBody),
    )
)]
pub async fn revoke(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(prefix): Path<String>,
) -> Result<Json<ApiKeyView>, ApiError> {
    caller.require("admin")?;
    let now = state.clock.now();
    let revoked = revoke_key(&state, &prefix, &caller.actor())
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no API key {prefix}")))?;
    Ok(Json(view(revoked, now)))
}

/// Revokes the key with `prefix` and ends its streams (shared with the dashboard).
pub async fn revoke_key(
    state: &AppState,
    prefix: &str,
    actor: &str,
) -> Result<Option<ApiKeyInfo>, orderly_store::StoreError> {
    if prefix.len() > 64 {
        return Ok(None);
    }
    let revoked = api_keys::revoke(&state.store, prefix, state.clock.now(), actor).await?;
    if revoked.is_some() {
        state.streams.end(Ended::ApiKey(prefix.to_string()));
    }
    Ok(revoked)
}
