//! `GET` and `PUT /api/v1/feature-flags/order-fulfillment`: the fulfilment rollout flag, its
//! history and the last automatic rollback. Reading needs any API key; changing needs `admin`
//! and a reason, and is audited.

use axum::Json;
use axum::extract::State;
use http::StatusCode;
use orderly_domain::feature::{FlagState, ORDER_FULFILLMENT, Stage};
use orderly_domain::intake::FieldError;
use orderly_store::flags;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::auth::ApiCaller;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiBytes, opt_whole, parse_json, text, texts};
use super::openapi::reason_text;
use crate::app::AppState;
use crate::feature::{self, SetError, Source};

/// The flag as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct FlagView {
    /// Always `feature.orders.order_fulfillment`.
    pub name: &'static str,
    /// `off`, `internal`, `percent` or `on`.
    pub stage: String,
    /// 0–100 (used by `percent`).
    pub percent: u8,
    /// Staff who may fulfil in `internal` (and always in `percent`): emails or API key prefixes.
    pub staff: Vec<String>,
    /// `database` (someone set it), `config` (`ORDERLY_FEATURE_ORDER_FULFILLMENT`) or `default` (off).
    pub source: String,
    /// Pass back as `expected_version` to refuse a change made meanwhile (0: never set).
    pub version: i64,
    /// Who last changed it.
    pub updated_by: Option<String>,
    /// When.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub updated_at: Option<OffsetDateTime>,
    /// Why.
    pub reason: Option<String>,
    /// Present while fulfilment is off after an automatic rollback.
    #[schema(value_type = Option<Object>)]
    pub rolled_back: Option<serde_json::Value>,
    /// The latest changes, newest first.
    #[schema(value_type = Vec<Object>)]
    pub history: Vec<serde_json::Value>,
}

/// A change to the flag.
#[derive(Debug, Deserialize)]
pub struct SetFlag {
    /// `off`, `internal`, `percent` or `on`.
    pub stage: String,
    /// 0–100, required for `percent`.
    #[serde(default, deserialize_with = "opt_whole")]
    pub percent: Option<u8>,
    /// Required (non-empty) for `internal`: emails or API key prefixes.
    #[serde(default, deserialize_with = "texts")]
    pub staff: Vec<String>,
    /// Why (required; kept in the history and the audit log).
    #[serde(deserialize_with = "text")]
    pub reason: String,
    /// The `version` you read; 409 when it changed meanwhile.
    #[serde(default, deserialize_with = "opt_whole")]
    pub expected_version: Option<i64>,
}

/// The documented shape of [`SetFlag`]: what each stage needs (`stage` is matched without regard to
/// case or surrounding spaces).
#[derive(Debug, ToSchema)]
#[serde(tag = "stage", rename_all = "lowercase")]
pub enum SetFlagRequest {
    /// Fulfilment off for everyone.
    Off {
        /// Ignored; 0–100 when sent.
        #[schema(minimum = 0, maximum = 100)]
        percent: Option<u8>,
        /// Ignored.
        #[schema(required = false, schema_with = any_staff)]
        staff: Vec<String>,
        /// Why (kept in the history and the audit log).
        #[schema(schema_with = reason_text)]
        reason: String,
        /// The `version` you read; 409 when it changed meanwhile.
        expected_version: Option<i64>,
    },
    /// Fulfilment for the staff list only.
    Internal {
        /// Ignored; 0–100 when sent.
        #[schema(minimum = 0, maximum = 100)]
        percent: Option<u8>,
        /// Emails or API key prefixes; at least one.
        #[schema(min_items = 1, schema_with = staff_list)]
        staff: Vec<String>,
        /// Why (kept in the history and the audit log).
        #[schema(schema_with = reason_text)]
        reason: String,
        /// The `version` you read; 409 when it changed meanwhile.
        expected_version: Option<i64>,
    },
    /// Fulfilment for a stable share of orders, and always for the staff list.
    Percent {
        /// The share, 0–100.
        #[schema(minimum = 0, maximum = 100)]
        percent: u8,
        /// Emails or API key prefixes.
        #[schema(required = false, schema_with = any_staff)]
        staff: Vec<String>,
        /// Why (kept in the history and the audit log).
        #[schema(schema_with = reason_text)]
        reason: String,
        /// The `version` you read; 409 when it changed meanwhile.
        expected_version: Option<i64>,
    },
    /// Fulfilment for everyone.
    On {
        /// Ignored; 0–100 when sent.
        #[schema(minimum = 0, maximum = 100)]
        percent: Option<u8>,
        /// Ignored.
        #[schema(required = false, schema_with = any_staff)]
        staff: Vec<String>,
        /// Why (kept in the history and the audit log).
        #[schema(schema_with = reason_text)]
        reason: String,
        /// The `version` you read; 409 when it changed meanwhile.
        expected_version: Option<i64>,
    },
}

/// A staff list (ignored, or optional): texts.
fn any_staff() -> utoipa::openapi::schema::Array {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(super::openapi::plain_text())
        .build()
}

/// A non-empty staff list of non-blank entries.
fn staff_list() -> utoipa::openapi::schema::Array {
    super::openapi::non_blank_list(1, None, None)
}

/// The view of the flag in force, with the latest 20 changes.
pub async fn view(state: &AppState) -> Result<FlagView, ApiError> {
    let current = feature::current(state).await?;
    let history = flags::history(&state.store, ORDER_FULFILLMENT, 20).await?;
    let stored = current.stored.as_ref();
    Ok(FlagView {
        name: ORDER_FULFILLMENT,
        stage: current.state.stage.as_str().into(),
        percent: current.state.percent,
        staff: current.state.staff.clone(),
        source: match current.source {
            Source::Database => "database",
            Source::Config => "config",
            Source::Default => "default",
        }
        .into(),
        version: stored.map(|s| s.version).unwrap_or(0),
        updated_by: stored.map(|s| s.updated_by.clone()),
        updated_at: stored.map(|s| s.updated_at),
        reason: stored.map(|s| s.reason.clone()),
        rolled_back: stored
            .and_then(|s| s.rolled_back.as_ref())
            .and_then(|r| serde_json::to_value(r).ok()),
        history: history
            .iter()
            .filter_map(|c| serde_json::to_value(c).ok())
            .collect(),
    })
}

/// Reads the fulfilment flag. Any valid API key.
#[utoipa::path(
    get, path = "/api/v1/feature-flags/order-fulfillment", tag = "feature flags", operation_id = "show_fulfillment_flag",
    security(("api_key" = [])),
    responses(
        (status = 200, description = "The flag in force and its latest changes", body = FlagView),
        (status = 401, description = "No or unknown API key", body = ErrorBody),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    _caller: ApiCaller,
) -> Result<Json<FlagView>, ApiError> {
    Ok(Json(view(&state).await?))
}

fn invalid(pointer: &str, message: impl Into<String>) -> ApiError {
    ApiError::validation(vec![FieldError {
        pointer: pointer.into(),
        message: message.into(),
    }])
}

/// Turns a request into a checked flag value.
pub fn requested_state(
    stage: &str,
    percent: Option<u8>,
    staff: &[String],
) -> Result<FlagState, ApiError> {
    let st =
        Stage::parse(stage).ok_or_else(|| invalid("/stage", "use off, internal, percent or on"))?;
    if st == Stage::Percent && percent.is_none() {
        return Err(invalid(
            "/percent",
            "the percent stage needs a percent from 0 to 100",
        ));
    }
    FlagState::new(st, percent.unwrap_or(0), staff).map_err(|e| {
        let pointer = match e {
            orderly_domain::feature::FlagError::NoStaff => "/staff",
            _ => "/percent",
        };
        invalid(pointer, e.to_string())
    })
}

/// Changes the fulfilment flag. Needs an API key with `admin` and a reason.
#[utoipa::path(
    put, path = "/api/v1/feature-flags/order-fulfillment", tag = "feature flags",
    request_body = SetFlagRequest,
    security(("api_key" = [])),
    responses(
        (status = 200, description = "The flag after the change", body = FlagView),
        (status = 401, description = "No or unknown API key", body = ErrorBody),
        (status = 403, description = "The key lacks admin", body = ErrorBody),
        (status = 409, description = "The flag changed since expected_version", body = ErrorBody),
        (status = 422, description = "Invalid stage, percent, staff or missing reason", body = ErrorBody),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiBytes(body): ApiBytes,
) -> Result<Json<FlagView>, ApiError> {
    caller.require("admin")?;
    let req: SetFlag = parse_json(&body)?;
    let new = requested_state(&req.stage, req.percent, &req.staff)?;
    match feature::set(
        &state,
        &new,
        &caller.actor(),
        &req.reason,
        req.expected_version,
    )
    .await
    {
        Ok(_) => Ok(Json(view(&state).await?)),
        Err(SetError::Invalid(m)) => Err(invalid("/reason", m)),
        Err(SetError::Conflict) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "stale",
            "the flag changed meanwhile; read it again and retry",
        )),
        Err(SetError::Store(e)) => Err(e.into()),
    }
}
