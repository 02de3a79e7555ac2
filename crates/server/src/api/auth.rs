//! API-key authentication for machine callers: `Authorization: Bearer ok_<prefix>_<secret>`.

use axum::extract::FromRequestParts;
use http::request::Parts;
use orderly_store::api_keys::{self, ApiPrincipal};

use super::error::ApiError;
use crate::app::AppState;

/// A caller authenticated by API key.
#[derive(Debug, Clone)]
pub struct ApiCaller(pub ApiPrincipal);

impl ApiCaller {
    /// Refuses with 403 unless the key carries `scope`.
    pub fn require(&self, scope: &str) -> Result<(), ApiError> {
        if self.0.has_scope(scope) {
            Ok(())
        } else {
            Err(ApiError::new(
                http::StatusCode::FORBIDDEN,
                "forbidden",
                format!("this API key lacks the {scope} scope"),
            ))
        }
    }

    /// The actor recorded in history and audit.
    pub fn actor(&self) -> String {
        format!("apikey:{}", self.0.prefix)
    }
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(http::header::AUTHORIZATION)
            .ok_or_else(|| ApiError::unauthorized("missing Authorization: Bearer <API key>"))?;
        let value = header
            .to_str()
            .map_err(|_| ApiError::unauthorized("malformed Authorization header"))?;
        let key = value
            .strip_prefix("Bearer ")
            .ok_or_else(|| ApiError::unauthorized("Authorization must be Bearer <API key>"))?;
        match api_keys::verify(&state.store, key.trim()).await? {
            Some(p) => Ok(ApiCaller(p)),
            None => Err(ApiError::unauthorized("unknown or revoked API key")),
        }
    }
}
