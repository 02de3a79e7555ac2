//! `GET/POST /settings/users`: admins list dashboard users and add or reset one;
//! `POST /settings/users/{id}/disable` disables one. A reset or a disable ends that user's sessions
//! and live streams at once.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::Response;
use http::StatusCode;
use orderly_store::accounts::{self, Role, User};
use serde::Deserialize;

use super::auth::CsrfForm;
use super::{Session, WebError};
use crate::app::AppState;
use crate::streams::Ended;

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    email: String,
    role: &'static str,
    csrf: String,
    users: Vec<User>,
}

/// The add-user form.
#[derive(Debug, Deserialize)]
pub struct AddUser {
    /// The session's CSRF token.
    pub csrf: String,
    /// New user's email.
    pub email: String,
    /// `viewer`, `operator` or `admin`.
    pub role: String,
    /// Initial password (at least 12 characters).
    pub password: String,
}

/// `GET /settings/users`.
pub async fn page(State(state): State<AppState>, session: Session) -> Result<Response, WebError> {
    session.require(Role::Admin)?;
    let users = accounts::list_users(&state.store).await?;
    super::render(&UsersPage {
        email: session.email().to_string(),
        role: session.role().as_str(),
        csrf: session.csrf().to_string(),
        users,
    })
}

/// `POST /settings/users`.
pub async fn add(
    State(state): State<AppState>,
    session: Session,
    Form(f): Form<AddUser>,
) -> Result<Response, WebError> {
    session.authorise(Role::Admin, &f.csrf)?;
    let role = Role::parse(&f.role).ok_or_else(|| {
        WebError::Message(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Choose viewer, operator or admin.".into(),
        )
    })?;
    let email = f.email.trim();
    if f.password.chars().count() < 12
        || f.password.len() > 1024
        || !email.contains('@')
        || email.len() > accounts::MAX_EMAIL
    {
        return Err(WebError::Message(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Give a valid email (at most 254 characters) and a password of 12 to 1024 characters."
                .into(),
        ));
    }
    let password = f.password;
    let hash = tokio::task::spawn_blocking(move || super::session::hash_password(&password))
        .await
        .map_err(WebError::internal)?
        .map_err(WebError::internal)?;
    let actor = format!("user:{}", session.email());
    let user = accounts::upsert_user(
        &state.store,
        &f.email,
        role,
        &hash,
        state.clock.now(),
        &actor,
    )
    .await?;
    state.streams.end(Ended::User(user.id));
    Ok(super::see_other("/settings/users"))
}

/// `POST /settings/users/{id}/disable`: the user can no longer sign in; their sessions end.
pub async fn disable(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, WebError> {
    session.authorise(Role::Admin, &f.csrf)?;
    let user = accounts::user_by_id(&state.store, id)
        .await?
        .ok_or(WebError::NotFound)?;
    if user.id == session.who.user.id {
        return Err(WebError::Message(
            StatusCode::UNPROCESSABLE_ENTITY,
            "You cannot disable yourself; ask another admin.".into(),
        ));
    }
    let actor = format!("user:{}", session.email());
    accounts::disable_user(&state.store, &user.email, state.clock.now(), &actor).await?;
    state.streams.end(Ended::User(user.id));
    Ok(super::see_other("/settings/users"))
}
