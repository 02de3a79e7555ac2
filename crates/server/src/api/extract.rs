//! The JSON API's extractors: axum's `Json`, `Query`, `Path` and `Bytes`, whose rejections answer
//! with the one JSON error shape ([`ApiError`]) instead of axum's plain text.
//!
//! | rejection | answer |
//! |---|---|
//! | body over the size limit | 413 `payload_too_large` |
//! | body unreadable | 400 `bad_request` |
//! | no `Content-Type: application/json` (on [`ApiJson`]) | 415 `unsupported_media_type` |
//! | body not JSON | 400 `malformed_json` |
//! | JSON of the wrong shape | 422 `validation_failed` |
//! | query string of the wrong shape | 422 `validation_failed` |
//! | path segment of the wrong type (e.g. an id that is not a number), or holding U+0000 | 404 `not_found` |
//! | query string holding U+0000 | 422 `validation_failed` |
//!
//! Text fields use [`text`] / [`opt_text`] / [`texts`], which refuse U+0000 (PostgreSQL cannot store it).

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use http::StatusCode;
use http::request::Parts;
use orderly_domain::intake::FieldError;
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// The request body as bytes (within the router's body limit).
#[derive(Debug)]
pub struct ApiBytes(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for ApiBytes {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        Bytes::from_request(req, state)
            .await
            .map(ApiBytes)
            .map_err(bytes_rejection)
    }
}

fn bytes_rejection(e: BytesRejection) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "the body is larger than this endpoint accepts",
        )
    } else {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "the body could not be read",
        )
    }
}

/// A JSON body: `Content-Type: application/json` required (415), then parsed like [`json_body`].
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as Content-Type: application/json",
            ));
        }
        let ApiBytes(bytes) = ApiBytes::from_request(req, state).await?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// True for `application/json` and `application/<anything>+json`, with any parameters.
fn is_json(headers: &http::HeaderMap) -> bool {
    let Some(value) = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Parses an optional JSON body: an empty (or all-whitespace) body means `{}`.
pub fn json_body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        parse_json(b"{}")
    } else {
        parse_json(bytes)
    }
}

/// Parses a JSON body: 400 when it is not JSON, 422 when it has the wrong shape.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| {
        if e.is_syntax() || e.is_eof() {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "malformed_json",
                format!("the body is not valid JSON: {e}"),
            )
        } else {
            ApiError::validation(vec![FieldError {
                pointer: String::new(),
                message: e.to_string(),
            }])
        }
    })
}

/// Query parameters; a parameter of the wrong type is a 422.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if parts.uri.query().is_some_and(encodes_nul) {
            return Err(ApiError::validation(vec![FieldError {
                pointer: String::new(),
                message: NUL_REFUSED.into(),
            }]));
        }
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| ApiQuery(q.0))
            .map_err(|e: QueryRejection| {
                ApiError::validation(vec![FieldError {
                    pointer: String::new(),
                    message: e.body_text(),
                }])
            })
    }
}

/// Path parameters; a segment that does not parse (an id that is not a number) names nothing: 404.
#[derive(Debug)]
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if encodes_nul(parts.uri.path()) {
            return Err(ApiError::not_found(
                "no such resource: the path holds U+0000",
            ));
        }
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| ApiPath(p.0))
            .map_err(|e: PathRejection| match e {
                PathRejection::FailedToDeserializePathParams(e) => {
                    ApiError::not_found(format!("no such resource: {}", e.body_text()))
                }
                other => ApiError::internal(&other.body_text()),
            })
    }
}

/// `deserialize_with` for optional whole numbers: `5` and `5.0` are the same JSON number (and both
/// are integers to JSON Schema), so both are read as 5; `5.5`, out-of-range numbers and non-numbers
/// are refused.
pub fn opt_whole<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<i64>,
{
    use serde::Deserialize;
    use serde::de::Error;
    let Some(n) = Option::<serde_json::Number>::deserialize(d)? else {
        return Ok(None);
    };
    let whole = match n.as_i64() {
        Some(i) => Some(i),
        None => n
            .as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() < 2f64.powi(63))
            .map(|f| f as i64),
    };
    whole
        .and_then(|i| T::try_from(i).ok())
        .map(Some)
        .ok_or_else(|| D::Error::custom(format!("{n} is not a whole number in range")))
}

/// The refusal of a text holding U+0000, which PostgreSQL cannot store or compare.
const NUL_REFUSED: &str = "text must not contain the NUL character (U+0000)";

fn refuse_nul<E: serde::de::Error>(s: String) -> Result<String, E> {
    if s.contains('\0') {
        Err(E::custom(NUL_REFUSED))
    } else {
        Ok(s)
    }
}

/// `deserialize_with` for text: refuses U+0000 (422) before it can reach the database.
pub fn text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    use serde::Deserialize;
    refuse_nul(String::deserialize(d)?)
}

/// `deserialize_with` for optional text (see [`text`]).
pub fn opt_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    use serde::Deserialize;
    Option::<String>::deserialize(d)?
        .map(refuse_nul)
        .transpose()
}

/// `deserialize_with` for a list of texts (see [`text`]).
pub fn texts<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    use serde::Deserialize;
    Vec::<String>::deserialize(d)?
        .into_iter()
        .map(refuse_nul)
        .collect()
}

/// True when a raw (percent-encoded) path or query string encodes U+0000.
fn encodes_nul(raw: &str) -> bool {
    raw.contains("%00")
}
