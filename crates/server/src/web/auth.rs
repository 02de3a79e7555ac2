//! Signing in and out. The login form carries a double-submit CSRF token (there is no session yet);
//! failed attempts are limited per email and address, per address, per email and overall
//! (`crate::throttle`; numbers in `docs/SECURITY.md`): a sixth failure for one email from one
//! address within 15 minutes is refused with a clear message until the window passes.

use std::sync::OnceLock;

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use orderly_store::accounts;
use serde::Deserialize;

use sha2::{Digest, Sha256};

use super::session::{self, SESSION_HOURS, Session};
use super::{WebError, html_headers};
use crate::app::AppState;
use crate::throttle::{ClientIp, LOGIN_PER_EMAIL, LOGIN_WINDOW, LoginLimit};

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

/// Only local paths are followed after login (no open redirect): a path that parses as a relative
/// URI with no scheme and no host, and holds no backslash, whitespace or control character (a
/// browser drops a tab or newline, so `/\t/evil.example` would read as `//evil.example`).
pub fn safe_next(next: Option<&str>) -> &str {
    const HOME: &str = "/orders";
    let Some(n) = next else { return HOME };
    let plain = n.len() <= MAX_NEXT
        && n.starts_with('/')
        && !n.starts_with("//")
        && !n
            .chars()
            .any(|c| c == '\\' || c.is_whitespace() || c.is_control());
    let relative = plain
        && n.parse::<http::Uri>().is_ok_and(|u| {
            u.scheme().is_none() && u.authority().is_none() && u.path().starts_with('/')
        });
    if relative { n } else { HOME }
}

/// Longest `next` followed after sign-in.
const MAX_NEXT: usize = 2048;

fn cookies(state: &AppState) -> session::CookiePolicy {
    session::CookiePolicy::from_settings(&state.settings)
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
    let policy = cookies(state);
    let cookie = policy.set(policy.login_cookie(), &csrf, 3600);
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

/// `POST /login`. Cheap checks first (CSRF, the email's length, the in-memory limits), then the
/// attempt is recorded as a failure *before* the password is checked, then one Argon2 verification
/// — against a dummy hash for an unknown email, so both answer in the same time.
pub async fn submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, WebError> {
    let next = safe_next(form.next.as_deref()).to_string();
    let policy = cookies(&state);
    let expected = session::cookie(&headers, policy.login_cookie()).unwrap_or_default();
    if expected.is_empty() || !session::constant_time_eq(expected.as_bytes(), form.csrf.as_bytes())
    {
        return Err(WebError::Csrf);
    }
    let email = form.email.trim();
    if email.len() > accounts::MAX_EMAIL || form.password.len() > MAX_PASSWORD {
        return login_page(&state, StatusCode::UNAUTHORIZED, &next, "", Some(WRONG));
    }
    let email = email.to_lowercase();
    let now = state.clock.now();
    let who = EmailHash::of(&email);
    let guard = &state.guards.login;
    if let Err(limit) = guard.begin(&email, ip, now) {
        tracing::warn!(email = %who, %ip, limit = limit.as_str(), "sign-in refused: too many failures");
        return too_many(&state, &next, &email);
    }
    // A failure keeps its count; a success or an error of ours gives it back.
    let outcome = check(&state, &email, form.password, now).await;
    match &outcome {
        Ok(Checked::Valid(..)) => guard.release(&email, ip, true),
        Err(_) => guard.release(&email, ip, false),
        Ok(_) => {}
    }
    let user = match outcome? {
        Checked::Valid(user, attempt) => {
            accounts::login_succeeded(&state.store, attempt).await?;
            user
        }
        Checked::Invalid => {
            tracing::warn!(email = %who, %ip, "sign-in failed");
            return login_page(&state, StatusCode::UNAUTHORIZED, &next, &email, Some(WRONG));
        }
        Checked::EmailLimited => {
            tracing::warn!(email = %who, %ip, limit = LoginLimit::Email.as_str(), "sign-in refused: too many failures");
            return too_many(&state, &next, &email);
        }
    };
    let token = session::random_token();
    let csrf = session::random_token();
    let expires = now + time::Duration::hours(SESSION_HOURS);
    accounts::create_session(&state.store, user.id, &token, &csrf, now, expires).await?;
    tracing::info!(user_id = user.id, "signed in");
    let mut out = super::see_other(&next);
    let set = policy.set(policy.session_cookie(), &token, SESSION_HOURS * 3600);
    out.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&set).map_err(WebError::internal)?,
    );
    Ok(out)
}

/// Longest password checked (Argon2 reads it whole; real ones are far shorter).
const MAX_PASSWORD: usize = 1024;

fn too_many(state: &AppState, next: &str, email: &str) -> Result<Response, WebError> {
    login_page(
        state,
        StatusCode::TOO_MANY_REQUESTS,
        next,
        email,
        Some(TOO_MANY),
    )
}

/// What checking one attempt found.
enum Checked {
    /// The password is right: the user and the attempt's id.
    Valid(accounts::User, i64),
    /// Wrong email or password.
    Invalid,
    /// The email has had too many failures from everywhere.
    EmailLimited,
}

/// Records the attempt, applies the per-email limit, and verifies the password.
async fn check(
    state: &AppState,
    email: &str,
    password: String,
    now: time::OffsetDateTime,
) -> Result<Checked, WebError> {
    let attempt = accounts::begin_login_attempt(&state.store, email, now).await?;
    let since = now - LOGIN_WINDOW;
    if accounts::recent_failures(&state.store, email, since).await? > LOGIN_PER_EMAIL {
        return Ok(Checked::EmailLimited);
    }
    let found = accounts::find_for_login(&state.store, email).await?;
    let (user, phc) = match found {
        Some((user, phc)) => (Some(user), phc),
        None => (None, dummy_hash().to_string()),
    };
    let _permit = state
        .guards
        .login
        .hashing
        .acquire()
        .await
        .map_err(WebError::internal)?;
    let ok = tokio::task::spawn_blocking(move || session::verify_password(&password, &phc))
        .await
        .map_err(WebError::internal)?;
    Ok(match user {
        Some(user) if ok => Checked::Valid(user, attempt),
        _ => Checked::Invalid,
    })
}

/// A real Argon2id hash of a random password, verified against for unknown emails so that they
/// take as long as known ones (no account discovery by timing).
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| session::hash_password(&session::random_token()).unwrap_or_default())
}

/// An email in logs: the first 12 hex digits of its SHA-256, enough to correlate, not to read.
struct EmailHash(String);

impl EmailHash {
    fn of(email: &str) -> EmailHash {
        let digest = hex::encode(Sha256::digest(email.as_bytes()));
        EmailHash(digest.get(..12).unwrap_or_default().to_string())
    }
}

impl std::fmt::Display for EmailHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
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
    let policy = cookies(&state);
    if let Some(token) = session::cookie(&headers, policy.session_cookie()) {
        accounts::delete_session(&state.store, &token, state.clock.now()).await?;
    }
    // Live streams of this session end now, not at their next check.
    state
        .streams
        .end(crate::streams::Ended::Session(session.token_hash.clone()));
    let mut out = super::see_other("/login");
    let clear = policy.set(policy.session_cookie(), "", 0);
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

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_a_plain_relative_path_is_followed_after_sign_in() {
        for evil in [
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r/evil.example",
            "//evil.example",
            "/\\evil.example",
            "\\/evil.example",
            "https://evil.example",
            "evil.example",
            "/ /evil.example",
            "/\u{2028}/evil.example",
        ] {
            assert_eq!(safe_next(Some(evil)), "/orders", "{evil:?}");
        }
        assert_eq!(safe_next(None), "/orders");
        assert_eq!(
            safe_next(Some("/orders/ORD-1?tab=all")),
            "/orders/ORD-1?tab=all"
        );
    }
}
