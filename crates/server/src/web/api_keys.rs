//! `GET /settings/api-keys` and `POST /settings/api-keys/{prefix}/revoke`: admins see every API key
//! (prefix, name, scopes, created, last used, expiry, state) and revoke one. Keys are created with
//! `orderly apikey create` or the admin API, where the key is shown once.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::Response;
use orderly_store::accounts::Role;
use orderly_store::api_keys;

use super::auth::CsrfForm;
use super::format::ist;
use super::{Session, WebError, see_other};
use crate::app::AppState;

/// One row of the table.
#[derive(Debug)]
pub struct KeyRow {
    /// Public prefix.
    pub prefix: String,
    /// Name.
    pub name: String,
    /// Scopes, space-separated.
    pub scopes: String,
    /// Created (IST).
    pub created: String,
    /// Last used (IST, to the minute) or "never".
    pub last_used: String,
    /// Expiry (IST) or "never".
    pub expires: String,
    /// `active`, `expired` or `revoked`.
    pub state: &'static str,
}

#[derive(Template)]
#[template(path = "api_keys.html")]
struct ApiKeysPage {
    email: String,
    role: &'static str,
    csrf: String,
    keys: Vec<KeyRow>,
}

/// `GET /settings/api-keys`.
pub async fn page(State(state): State<AppState>, session: Session) -> Result<Response, WebError> {
    session.require(Role::Admin)?;
    let now = state.clock.now();
    let never = || "never".to_string();
    let keys = api_keys::list(&state.store)
        .await?
        .into_iter()
        .map(|k| KeyRow {
            state: k.state(now),
            created: ist(k.created_at),
            last_used: k.last_used_at.map(ist).unwrap_or_else(never),
            expires: k.expires_at.map(ist).unwrap_or_else(never),
            scopes: k.scopes.join(" "),
            prefix: k.prefix,
            name: k.name,
        })
        .collect();
    super::render(&ApiKeysPage {
        email: session.email().to_string(),
        role: session.role().as_str(),
        csrf: session.csrf().to_string(),
        keys,
    })
}

/// `POST /settings/api-keys/{prefix}/revoke`.
pub async fn revoke(
    State(state): State<AppState>,
    session: Session,
    Path(prefix): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, WebError> {
    session.authorise(Role::Admin, &f.csrf)?;
    let actor = format!("user:{}", session.email());
    crate::api::api_keys::revoke_key(&state, &prefix, &actor)
        .await?
        .ok_or(WebError::NotFound)?;
    Ok(see_other("/settings/api-keys"))
}
