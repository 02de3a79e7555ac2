//! The JSON API's one error type. Internal error text is logged once and never returned.

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use orderly_domain::intake::FieldError;
use serde::Serialize;
use utoipa::ToSchema;

/// The body of every error answer: a stable machine code, a sentence for people, and (for
/// validation errors) every invalid field.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable code, e.g. `validation_failed`, `unauthorized`, `conflict`.
    pub error: &'static str,
    /// What went wrong, in words a person can act on.
    pub message: String,
    /// Every invalid field, for `validation_failed`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<FieldErrorSchema>)]
    pub fields: Vec<FieldError>,
}

/// One invalid field (schema mirror of the domain's `FieldError`).
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldErrorSchema {
    /// JSON pointer (RFC 6901) into the request body.
    pub pointer: String,
    /// What is wrong with it.
    pub message: String,
}

/// An error answer of the JSON API.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    fields: Vec<FieldError>,
}

impl ApiError {
    /// An error with a status, a code and a message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            fields: Vec::new(),
        }
    }

    /// 422 with every invalid field.
    pub fn validation(fields: Vec<FieldError>) -> ApiError {
        let message = match fields.len() {
            1 => "1 field is invalid".to_string(),
            n => format!("{n} fields are invalid"),
        };
        ApiError {
            fields,
            ..ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                message,
            )
        }
    }

    /// 401: the caller is not authenticated.
    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    /// 404 for `what`.
    pub fn not_found(what: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", what)
    }

    /// 500, logging the internal cause (never returned).
    pub fn internal(cause: &dyn std::fmt::Display) -> ApiError {
        tracing::error!(error = %cause, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "something went wrong on our side; it has been logged",
        )
    }
}

impl From<orderly_store::StoreError> for ApiError {
    fn from(e: orderly_store::StoreError) -> Self {
        if e.is_busy() {
            tracing::warn!(error = %e, "database busy after retries");
            return ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "the database is busy; please retry in a moment",
            );
        }
        ApiError::internal(&e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: self.code,
            message: self.message,
            fields: self.fields,
        };
        let mut response = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                http::header::WWW_AUTHENTICATE,
                http::HeaderValue::from_static("Bearer"),
            );
        }
        if self.status == StatusCode::PAYLOAD_TOO_LARGE {
            // The rest of the body may be unread: this connection cannot carry another request.
            response.headers_mut().insert(
                http::header::CONNECTION,
                http::HeaderValue::from_static("close"),
            );
        }
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(
                http::header::RETRY_AFTER,
                http::HeaderValue::from_static("1"),
            );
        }
        response
    }
}

/// The answer for unknown paths.
pub async fn not_found() -> ApiError {
    ApiError::not_found("no such route")
}
