//! Client configuration, the redacting `Secret`, and the per-attempt `CallRecord` for metrics.

use std::sync::Arc;
use std::time::Duration;

use crate::error::ErrorKind;

/// The production base URL; paths such as `auth/login` are appended to it.
pub const DEFAULT_BASE_URL: &str = "https://apiv2.shiprocket.in/v1/external";

/// A secret string whose `Debug` and `Display` print `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself; call only where it is sent.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Self(s)
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

/// One HTTP attempt, reported to the observer after it finishes (including logins).
#[derive(Debug, Clone, Copy)]
pub struct CallRecord {
    /// The endpoint path without ids, e.g. `"courier/assign/awb"` or `"courier/track/awb"`.
    pub endpoint: &'static str,
    /// The HTTP status, when a response arrived.
    pub status: Option<u16>,
    /// `Ok(())` or the error class of this attempt.
    pub outcome: Result<(), ErrorKind>,
    /// Time from sending to classifying the response (excludes rate-limit waits and back-off).
    pub elapsed: Duration,
    /// 1 for the first attempt of a call, 2 for the first retry, ...
    pub attempt: u32,
}

/// A metrics hook called once per attempt.
pub type Observer = Arc<dyn Fn(&CallRecord) + Send + Sync>;

/// Everything the client needs; build with [`ClientConfig::new`] and adjust fields.
#[derive(Clone)]
pub struct ClientConfig {
    /// Base URL, e.g. [`DEFAULT_BASE_URL`] or a simulator's `http://127.0.0.1:PORT/v1/external`.
    pub base_url: String,
    /// The Shiprocket API user's e-mail.
    pub email: String,
    /// The API user's password (redacted in `Debug`).
    pub password: Secret,
    /// Shared client-side limit; 0 or ≥ 1,000,000 means unlimited. Default 180.
    pub requests_per_minute: u32,
    /// TCP/TLS connect timeout. Default 5 s.
    pub connect_timeout: Duration,
    /// Timeout for one attempt (capped by what is left of the retry budget). Default 20 s.
    pub request_timeout: Duration,
    /// Attempts per call including the first, for retryable errors. Default 4.
    pub max_attempts: u32,
    /// Wall-clock budget for a whole call: rate-limit waits, attempts and back-off. Default 60 s.
    pub retry_budget: Duration,
    /// First back-off ceiling; doubles per retry (full jitter). Default 200 ms.
    pub backoff_base: Duration,
    /// Largest back-off ceiling. Default 10 s.
    pub backoff_max: Duration,
    /// Consecutive retryable failures that open the breaker. Default 5.
    pub breaker_failure_threshold: u32,
    /// How long the breaker stays open before one trial call. Default 30 s.
    pub breaker_cooldown: Duration,
    /// Refresh the token this long before its JWT `exp`. Default 24 h.
    pub token_refresh_margin: Duration,
    /// Metrics hook, called once per HTTP attempt.
    pub observer: Option<Observer>,
}

impl ClientConfig {
    /// A configuration with production defaults.
    pub fn new(
        base_url: impl Into<String>,
        email: impl Into<String>,
        password: impl Into<Secret>,
    ) -> Self {
        Self {
            base_url: base_url.into(),
            email: email.into(),
            password: password.into(),
            requests_per_minute: 180,
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(20),
            max_attempts: 4,
            retry_budget: Duration::from_secs(60),
            backoff_base: Duration::from_millis(200),
            backoff_max: Duration::from_secs(10),
            breaker_failure_threshold: 5,
            breaker_cooldown: Duration::from_secs(30),
            token_refresh_margin: Duration::from_secs(24 * 3600),
            observer: None,
        }
    }
}

impl std::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("base_url", &self.base_url)
            .field("email", &self.email)
            .field("password", &self.password)
            .field("requests_per_minute", &self.requests_per_minute)
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("max_attempts", &self.max_attempts)
            .field("retry_budget", &self.retry_budget)
            .field("breaker_failure_threshold", &self.breaker_failure_threshold)
            .field("breaker_cooldown", &self.breaker_cooldown)
            .field(
                "observer",
                &self.observer.as_ref().map(|_| "Fn(&CallRecord)"),
            )
            .finish_non_exhaustive()
    }
}

/// Per-call overrides; see [`crate::Client::with_options`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallOptions {
    /// Overrides [`ClientConfig::retry_budget`] (e.g. 5 s for an interactive call).
    pub budget: Option<Duration>,
    /// Overrides [`ClientConfig::max_attempts`] (1 = no retries).
    pub max_attempts: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_password() {
        let cfg = ClientConfig::new(DEFAULT_BASE_URL, "api@example.com", "hunter2-very-secret");
        let shown = format!("{cfg:?} {:?} {}", cfg.password, cfg.password);
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("***"));
    }
}
