//! Signing in and out. The login form carries a double-submit CSRF token (there is no session yet);
//! failed attempts are counted per email and a sixth failure within 15 minutes is refused with a
//! clear message until the window passes.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use orderly_store::accounts;
use serde::Deserialize;

use super::session::{self, COOKIE, LOGIN_COOKIE, SESSION_HOURS, Session};
use super::{WebError, html_headers};
use crate::app::AppState;

/// Failed attempts allowed per email in [`WINDOW_MINUTES`].
pub const MAX_FAILURES: i64 = 5;
/// The rate-limit window.
pub const WINDOW_MINUTES: i64 = 15;
/// Shown when the limit is reached.
pub const TOO_MANY: &str =
    "Too many failed sign-in attempts for this email. Please wait 15 minutes and try again.";
/// Shown for a wrong email or password (never which one).
pub const WRONG: &str = "Email or password is incorrect.";

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    csrf: &'a str,
    next: &'a str,
    email: &'a str,
    error: Option<&'a str>,
}

/// `?next=` on the login page.
#[derive(Debug, Deserialize)]
pub struct NextParam {
    /// Where to go after signing in.
    pub next: Option<String>,
}

/// The login form.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    /// Email.
    pub email: String,
    /// Password.
    pub password: String,
    /// Double-submit token (must equal the login cookie).
    pub csrf: String,
    /// Where to go after signing in.
    pub next: Option<String>,
}

/// Only local paths are followed after login (no open redirect).
fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n,
        _ => "/orders",
    }
}

fn secure(state: &AppState) -> bool {
    state
        .settings
        .public_url
        .as_deref()
        .is_some_and(|u| u.starts_with("https://"))
}

fn login_page(
    state: &AppState,
    status: StatusCode,
    next: &str,
    email: &str,
    error: Option<&str>,
) -> Result<Response, WebError> {
    let csrf = session::random_token();
    let html = LoginPage {
        csrf: &csrf,
        next,
        email,
        error,
    }
    .render()
    .map_err(WebError::internal)?;
    let cookie = session::set_cookie(LOGIN_COOKIE, &csrf, 3600, secure(state));
    let mut headers = HeaderMap::new();
    headers.extend(html_headers());
    headers.insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(WebError::internal)?,
    );
    Ok((status, headers, html).into_response())
}

/// `GET /login`.
pub async fn show(
    State(state): State<AppState>,
    Query(p): Query<NextParam>,
) -> Result<Response, WebError> {
    login_page(
        &state,
        StatusCode::OK,
        safe_next(p.next.as_deref()),
        "",
        None,
    )
}

/// `POST /login`.
pub async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, WebError> {
    let next = safe_next(form.next.as_deref()).to_string();
    let expected = session::cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !session::constant_time_eq(expected.as_bytes(), form.csrf.as_bytes())
    {
        return Err(WebError::Csrf);
    }
    let email = form.email.trim().to_lowercase();
    let now = state.clock.now();
    let since = now - time::Duration::minutes(WINDOW_MINUTES);
    if accounts::recent_failures(&state.store, &email, since).await? >= MAX_FAILURES {
        return login_page(
            &state,
            StatusCode::TOO_MANY_REQUESTS,
            &next,
            &email,
            Some(TOO_MANY),
        );
    }
    let found = accounts::find_for_login(&state.store, &email).await?;
    let password = form.password;
    let (user, ok) = match found {
        Some((user, phc)) => {
            let ok = tokio::task::spawn_blocking(move || session::verify_password(&password, &phc))
                .await
                .map_err(WebError::internal)?;
            (Some(user), ok)
        }
        None => (None, false),
    };
    accounts::record_login_attempt(&state.store, &email, ok, now).await?;
    let Some(user) = user.filter(|_| ok) else {
        return login_page(&state, StatusCode::UNAUTHORIZED, &next, &email, Some(WRONG));
    };
    let token = session::random_token();
    let csrf = session::random_token();
    let expires = now + time::Duration::hours(SESSION_HOURS);
    accounts::create_session(&state.store, user.id, &token, &csrf, now, expires).await?;
    tracing::info!(user_id = user.id, "signed in");
    let mut out = super::see_other(&next);
    let set = session::set_cookie(COOKIE, &token, SESSION_HOURS * 3600, secure(&state));
    out.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&set).map_err(WebError::internal)?,
    );
    Ok(out)
}

/// The sign-out form (CSRF only).
#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    /// The session's CSRF token.
    pub csrf: String,
}

/// `POST /logout`.
pub async fn logout(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    session.check_csrf(&form.csrf)?;
    if let Some(token) = session::cookie(&headers, COOKIE) {
        accounts::delete_session(&state.store, &token, state.clock.now()).await?;
    }
    let mut out = super::see_other("/login");
    let clear = session::set_cookie(COOKIE, "", 0, secure(&state));
    out.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&clear).map_err(WebError::internal)?,
    );
    Ok(out)
}

/// `GET /`: the order list.
pub async fn home(_session: Session) -> Response {
    super::see_other("/orders")
}
