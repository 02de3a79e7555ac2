//! API-key authentication for machine callers: `Authorization: Bearer ok_<prefix>_<secret>`.
//! Revoked and unknown keys answer 401 alike; an expired key answers 401 saying it expired.

use axum::extract::FromRequestParts;
use http::request::Parts;
use orderly_store::api_keys::{self, ApiPrincipal, KeyCheck};

use super::error::ApiError;
use crate::app::AppState;
use crate::config::Secret;

/// A caller authenticated by API key (the key itself is kept, redacted, for streams that check it
/// again while they run).
#[derive(Debug, Clone)]
pub struct ApiCaller(pub ApiPrincipal, Secret);

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

    /// True while the key is still valid (not revoked, not expired) and carries `scope`.
    pub async fn still_valid(&self, state: &AppState, scope: &str) -> bool {
        match api_keys::check(&state.store, self.1.expose(), state.clock.now()).await {
            Ok(KeyCheck::Valid(p)) => p.has_scope(scope),
            Ok(KeyCheck::Expired | KeyCheck::Refused) => false,
            // A database hiccup does not end the stream; the next check decides.
            Err(e) => {
                tracing::warn!(error = %e, "stream API key re-check failed");
                true
            }
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
        let key = key.trim();
        match api_keys::check(&state.store, key, state.clock.now()).await? {
            KeyCheck::Valid(p) => Ok(ApiCaller(p, Secret::new(key))),
            KeyCheck::Expired => Err(ApiError::unauthorized(
                "this API key has expired; ask an admin for a new one",
            )),
            KeyCheck::Refused => Err(ApiError::unauthorized("unknown or revoked API key")),
        }
    }
}
