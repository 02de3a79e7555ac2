//! Token handling: the login request/response and reading `exp` from the JWT (no signature check).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use serde::Serialize;
use serde_json::Value;

use crate::flex::value_to_i64;

/// Shiprocket tokens live 10 days; used when a token's `exp` cannot be read.
pub(crate) const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(864_000);

/// The login body.
#[derive(Serialize)]
pub(crate) struct LoginRequest<'a> {
    pub(crate) email: &'a str,
    pub(crate) password: &'a str,
}

/// A cached bearer token and when to replace it.
pub(crate) struct CachedToken {
    /// The bearer token (never logged).
    pub(crate) value: String,
    /// Refresh once the wall clock passes this.
    pub(crate) refresh_at: SystemTime,
}

impl std::fmt::Debug for CachedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedToken")
            .field("value", &"***")
            .field("refresh_at", &self.refresh_at)
            .finish()
    }
}

impl CachedToken {
    /// Builds the cache entry: refresh `margin` before `exp`, but never later than halfway through
    /// the token's remaining life (so a short-lived token is not used until it dies).
    pub(crate) fn new(value: String, now: SystemTime, margin: Duration) -> Self {
        let exp = jwt_exp(&value).unwrap_or(now + DEFAULT_TOKEN_LIFETIME);
        let life = exp.duration_since(now).unwrap_or(Duration::ZERO);
        let refresh_in = life.saturating_sub(margin).max(life / 2);
        Self {
            value,
            refresh_at: now + refresh_in,
        }
    }

    /// True while the token may still be used.
    pub(crate) fn is_fresh(&self, now: SystemTime) -> bool {
        now < self.refresh_at
    }
}

/// Reads the `exp` claim of a JWT (base64url payload, padded or not).
pub(crate) fn jwt_exp(token: &str) -> Option<SystemTime> {
    let payload = token.split('.').nth(1)?;
    let trimmed = payload.trim_end_matches('=');
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(trimmed)
        .ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    let exp = value_to_i64(claims.get("exp")?)?;
    let secs = u64::try_from(exp).ok()?;
    UNIX_EPOCH.checked_add(Duration::from_secs(secs))
}

/// The token from a login response body (`{"token": "..."}`).
pub(crate) fn token_from_login(body: &Value) -> Option<String> {
    body.get("token")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: &str) -> String {
        let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!(
            "{}.{}.sig",
            e.encode(r#"{"alg":"HS256","typ":"JWT"}"#),
            e.encode(claims)
        )
    }

    #[test]
    fn the_expiry_is_read_from_the_jwt() {
        let t = jwt(r#"{"sub":1,"iat":1700000000,"exp":1700864000}"#);
        assert_eq!(
            jwt_exp(&t),
            Some(UNIX_EPOCH + Duration::from_secs(1_700_864_000))
        );
        assert_eq!(jwt_exp("not-a-jwt"), None);
    }

    #[test]
    fn a_ten_day_token_is_refreshed_a_day_early() {
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let t = CachedToken::new(
            jwt(r#"{"exp":1700864000}"#),
            now,
            Duration::from_secs(86_400),
        );
        assert_eq!(t.refresh_at, now + Duration::from_secs(864_000 - 86_400));
        assert!(t.is_fresh(now));
        assert!(!t.is_fresh(now + Duration::from_secs(864_000 - 86_400)));
    }

    #[test]
    fn a_short_lived_token_is_refreshed_halfway() {
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let t = CachedToken::new(
            jwt(r#"{"exp":1700000060}"#),
            now,
            Duration::from_secs(86_400),
        );
        assert_eq!(t.refresh_at, now + Duration::from_secs(30));
    }

    #[test]
    fn an_opaque_token_is_assumed_to_last_ten_days() {
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let t = CachedToken::new("opaque".into(), now, Duration::from_secs(86_400));
        assert_eq!(t.refresh_at, now + Duration::from_secs(864_000 - 86_400));
    }
}
