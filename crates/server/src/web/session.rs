//! Who is asking: the session cookie (`HttpOnly`, `SameSite=Lax`, `Secure` over TLS) looked up in
//! the database, the synchroniser CSRF token every form carries, role checks, and Argon2id
//! password hashing.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use axum::extract::FromRequestParts;
use http::request::Parts;
use orderly_store::accounts::{self, Role, SessionUser};
use rand::Rng as _;

use super::error::WebError;
use crate::app::AppState;

/// The session cookie's name.
pub const COOKIE: &str = "orderly_session";
/// The pre-login CSRF cookie's name (double-submit for the login form).
pub const LOGIN_COOKIE: &str = "orderly_login";
/// How long a session lasts.
pub const SESSION_HOURS: i64 = 12;

/// A signed-in person. Extracting it redirects to the login page when there is no valid session.
#[derive(Debug, Clone)]
pub struct Session {
    /// The user and the session's CSRF token.
    pub who: SessionUser,
}

impl Session {
    /// The role.
    pub fn role(&self) -> Role {
        self.who.user.role
    }

    /// The email, as the actor in history.
    pub fn email(&self) -> &str {
        &self.who.user.email
    }

    /// The CSRF token forms must carry.
    pub fn csrf(&self) -> &str {
        &self.who.csrf_token
    }

    /// Refuses unless the role is at least `role`.
    pub fn require(&self, role: Role) -> Result<(), WebError> {
        if self.role() >= role {
            Ok(())
        } else {
            Err(WebError::Forbidden)
        }
    }

    /// Refuses a form whose CSRF token is not this session's.
    pub fn check_csrf(&self, presented: &str) -> Result<(), WebError> {
        if constant_time_eq(presented.as_bytes(), self.csrf().as_bytes()) {
            Ok(())
        } else {
            Err(WebError::Csrf)
        }
    }

    /// Both checks every state-changing form needs.
    pub fn authorise(&self, role: Role, csrf: &str) -> Result<(), WebError> {
        self.check_csrf(csrf)?;
        self.require(role)
    }
}

impl FromRequestParts<AppState> for Session {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        let next = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into());
        let login = || WebError::Login { next: next.clone() };
        let token = cookie(&parts.headers, COOKIE).ok_or_else(login)?;
        match accounts::session(&state.store, &token, state.clock.now()).await? {
            Some(who) => Ok(Session { who }),
            None => Err(login()),
        }
    }
}

/// The value of cookie `name`, if sent.
pub fn cookie(headers: &http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
        .filter(|v| !v.is_empty())
}

/// A `Set-Cookie` value: `HttpOnly`, `SameSite=Lax`, `Path=/`, and `Secure` when `secure`.
pub fn set_cookie(name: &str, value: &str, max_age_secs: i64, secure: bool) -> String {
    format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{}",
        if secure { "; Secure" } else { "" }
    )
}

/// 32 random bytes as hex: session tokens and CSRF tokens.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Equal without leaking where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    bool::from(subtle::ConstantTimeEq::ct_eq(a, b))
}

/// An Argon2id PHC string for `password` with a fresh salt.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("cannot hash the password: {e}"))
}

/// True when `password` matches the stored PHC string.
pub fn verify_password(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_against_its_own_hash_only() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong horse", &h));
    }

    #[test]
    fn the_session_cookie_is_read_among_others() {
        let mut h = http::HeaderMap::new();
        h.insert(
            http::header::COOKIE,
            http::HeaderValue::from_static("a=1; orderly_session=abc; b=2"),
        );
        assert_eq!(cookie(&h, COOKIE).as_deref(), Some("abc"));
    }
}
