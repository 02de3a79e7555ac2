//! Who is asking: the session cookie (`HttpOnly`, `SameSite=Lax`, and `Secure` with the `__Host-`
//! prefix unless served on loopback; see [`CookiePolicy`]) looked up in the database, the synchroniser CSRF token every form carries, role checks, and Argon2id
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

/// The session cookie's name on plain-http loopback.
pub const COOKIE: &str = "orderly_session";
/// The pre-login CSRF cookie's name (double-submit for the login form) on plain-http loopback.
pub const LOGIN_COOKIE: &str = "orderly_login";
/// The session cookie's name when cookies are `Secure` (`__Host-`: Secure, `Path=/`, no Domain,
/// so a sibling subdomain or a plain-http page cannot plant or overwrite it).
pub const SECURE_COOKIE: &str = "__Host-orderly_session";
/// The login cookie's name when cookies are `Secure`.
pub const SECURE_LOGIN_COOKIE: &str = "__Host-orderly_login";

/// How this server sends its cookies, decided once from the settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CookiePolicy {
    /// `Secure` and the `__Host-` prefix.
    pub secure: bool,
}

impl CookiePolicy {
    /// `ORDERLY_COOKIE_SECURE` when set; otherwise `Secure` unless Orderly is reached on loopback:
    /// an https public URL means secure; an http public URL means secure unless its host is
    /// loopback; without a public URL, secure unless the bind address is loopback (the demo and
    /// a laptop serve plain http on 127.0.0.1, where browsers do not all keep `Secure` cookies).
    pub fn from_settings(settings: &crate::config::Settings) -> CookiePolicy {
        let secure =
            settings
                .cookie_secure
                .unwrap_or_else(|| match settings.public_url.as_deref() {
                    Some(u) if u.starts_with("https://") => true,
                    Some(u) => !reqwest::Url::parse(u)
                        .ok()
                        .and_then(|u| u.host_str().map(is_loopback_host))
                        .unwrap_or(false),
                    None => !settings.bind.ip().is_loopback(),
                });
        CookiePolicy { secure }
    }

    /// The session cookie's name.
    pub fn session_cookie(self) -> &'static str {
        if self.secure { SECURE_COOKIE } else { COOKIE }
    }

    /// The login form's cookie name.
    pub fn login_cookie(self) -> &'static str {
        if self.secure {
            SECURE_LOGIN_COOKIE
        } else {
            LOGIN_COOKIE
        }
    }

    /// A `Set-Cookie` value for `name` under this policy.
    pub fn set(self, name: &str, value: &str, max_age_secs: i64) -> String {
        set_cookie(name, value, max_age_secs, self.secure)
    }
}

fn is_loopback_host(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `Strict-Transport-Security` for an https public URL (a year; subdomains are left alone, they
/// may not all be ours); `None` otherwise.
pub fn hsts(settings: &crate::config::Settings) -> Option<http::HeaderValue> {
    settings
        .public_url
        .as_deref()
        .filter(|u| u.starts_with("https://"))
        .map(|_| http::HeaderValue::from_static("max-age=31536000"))
}
/// How long a session lasts.
pub const SESSION_HOURS: i64 = 12;

/// A signed-in person. Extracting it redirects to the login page when there is no valid session.
#[derive(Debug, Clone)]
pub struct Session {
    /// The user and the session's CSRF token.
    pub who: SessionUser,
    /// The SHA-256 of the session cookie (names this session to [`crate::streams::Ended`]).
    pub token_hash: String,
    /// The session cookie itself (streams check it again while they run; never logged).
    token: crate::config::Secret,
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

    /// True while this session is still valid with the same user and role (streams ask this
    /// periodically, so a sign-out elsewhere, a disable or a demotion ends them).
    pub async fn still_valid(&self, state: &AppState) -> bool {
        match accounts::session(&state.store, self.token.expose(), state.clock.now()).await {
            Ok(Some(now)) => now.user == self.who.user,
            Ok(None) => false,
            // A database hiccup does not end the stream; the next check decides.
            Err(e) => {
                tracing::warn!(error = %e, "stream session re-check failed");
                true
            }
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
        let name = CookiePolicy::from_settings(&state.settings).session_cookie();
        let token = cookie(&parts.headers, name).ok_or_else(login)?;
        match accounts::session(&state.store, &token, state.clock.now()).await? {
            Some(who) => Ok(Session {
                who,
                token_hash: accounts::token_hash(&token),
                token: crate::config::Secret::new(token),
            }),
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

    fn settings(bind: &str, public_url: Option<&str>) -> crate::config::Settings {
        let mut s = crate::config::Settings::local_defaults();
        s.bind = bind.parse().unwrap();
        s.public_url = public_url.map(str::to_string);
        s
    }

    #[test]
    fn cookies_are_secure_with_the_host_prefix_unless_served_on_loopback() {
        let policy = |bind, url| CookiePolicy::from_settings(&settings(bind, url)).secure;
        assert!(!policy("127.0.0.1:8080", None), "the demo on loopback");
        assert!(!policy("[::1]:8080", None));
        assert!(policy("0.0.0.0:8080", None), "reachable from elsewhere");
        assert!(
            policy("127.0.0.1:8080", Some("https://orders.example.in")),
            "behind TLS"
        );
        assert!(!policy("0.0.0.0:8080", Some("http://localhost:8080")));
        assert!(policy("0.0.0.0:8080", Some("http://orders.example.in")));
        let mut forced = settings("0.0.0.0:8080", None);
        forced.cookie_secure = Some(false);
        assert!(!CookiePolicy::from_settings(&forced).secure);

        let secure = CookiePolicy { secure: true };
        let set = secure.set(secure.session_cookie(), "t", 60);
        assert!(set.starts_with("__Host-orderly_session=t; Path=/;"));
        assert!(set.contains("; Secure") && !set.contains("Domain"));
        let plain = CookiePolicy { secure: false };
        assert!(
            !plain
                .set(plain.session_cookie(), "t", 60)
                .contains("Secure")
        );
    }

    #[test]
    fn hsts_is_sent_only_for_an_https_public_url() {
        assert!(hsts(&settings("0.0.0.0:8080", Some("https://o.example.in"))).is_some());
        assert!(hsts(&settings("0.0.0.0:8080", Some("http://o.example.in"))).is_none());
        assert!(hsts(&settings("0.0.0.0:8080", None)).is_none());
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
