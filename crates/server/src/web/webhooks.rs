//! `GET /settings/webhooks` (admins): outbound webhook endpoints with their state and latest
//! deliveries; `POST /settings/webhooks/{id}/enable|disable` switches one (audited). Endpoints are
//! created with `orderly webhook add` or the API, which show the signing secret once.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::Response;
use orderly_store::accounts::Role;
use orderly_store::delivery;

use super::auth::CsrfForm;
use super::format::ist;
use super::{Session, WebError, see_other};
use crate::app::AppState;

/// One endpoint as shown.
#[derive(Debug)]
pub struct EndpointView {
    id: i64,
    url: String,
    description: String,
    enabled: bool,
    failures: i64,
    disabled_reason: Option<String>,
    cursor: i64,
    deliveries: Vec<(String, String, String, String)>,
}

#[derive(Template)]
#[template(path = "webhooks.html")]
struct WebhooksPage {
    email: String,
    role: &'static str,
    csrf: String,
    endpoints: Vec<EndpointView>,
}

/// `GET /settings/webhooks`.
pub async fn page(State(state): State<AppState>, session: Session) -> Result<Response, WebError> {
    session.require(Role::Admin)?;
    let mut endpoints = Vec::new();
    for e in delivery::list_endpoints(&state.store).await? {
        let deliveries = delivery::deliveries(&state.store, e.id, 10)
            .await?
            .into_iter()
            .map(|d| {
                (
                    ist(d.at),
                    d.event_id,
                    d.outcome,
                    match (d.status_code, d.error) {
                        (Some(c), _) => format!("HTTP {c}"),
                        (None, Some(err)) => err,
                        (None, None) => String::new(),
                    },
                )
            })
            .collect();
        endpoints.push(EndpointView {
            id: e.id,
            url: e.url,
            description: e.description.unwrap_or_default(),
            enabled: e.enabled,
            failures: e.consecutive_failures,
            disabled_reason: e.disabled_reason,
            cursor: e.cursor,
            deliveries,
        });
    }
    super::render(&WebhooksPage {
        email: session.email().to_string(),
        role: session.role().as_str(),
        csrf: session.csrf().to_string(),
        endpoints,
    })
}

/// `POST /settings/webhooks/{id}/enable` and `/disable`.
pub async fn switch(
    State(state): State<AppState>,
    session: Session,
    Path((id, action)): Path<(i64, String)>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, WebError> {
    session.authorise(Role::Admin, &f.csrf)?;
    let enable = match action.as_str() {
        "enable" => true,
        "disable" => false,
        _ => return Err(WebError::NotFound),
    };
    let actor = format!("user:{}", session.email());
    let reason = (!enable).then_some("disabled from the dashboard");
    delivery::set_enabled(&state.store, id, enable, reason, state.clock.now(), &actor)
        .await?
        .ok_or(WebError::NotFound)?;
    Ok(see_other("/settings/webhooks"))
}
