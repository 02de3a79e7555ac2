//! The `Client` and its calling discipline: token cache, rate limiter, circuit breaker, per-attempt
//! timeouts, retries with exponential back-off and full jitter, `Retry-After`, and the observer hook.
//!
//! Retries apply to retryable errors only (see [`Error::is_retryable`]) and to every endpoint,
//! including non-idempotent ones (create order, assign AWB, pickup). That is deliberate: Shiprocket
//! dedupes orders on the channel `order_id`, and the server reads a shipment back before re-assigning
//! an AWB, so a repeated call after a lost response is safe. Callers that cannot tolerate a repeat
//! should use `with_options(CallOptions { max_attempts: Some(1), .. })`.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use rand::RngExt as _;
use reqwest::Method;
use serde_json::Value;
use tokio::time::Instant;

use crate::auth::CachedToken;
use crate::breaker::{Breaker, BreakerState};
use crate::classify::{classify, parse_retry_after};
use crate::config::{CallOptions, CallRecord, ClientConfig};
use crate::error::{Error, ErrorKind};
use crate::limiter::RateLimiter;

/// A request ready to send (and re-send on retry).
#[derive(Debug)]
pub(crate) struct Req {
    pub(crate) method: Method,
    /// Metrics name, e.g. `"courier/track/awb"`.
    pub(crate) endpoint: &'static str,
    /// Path appended to the base URL, e.g. `"courier/track/awb/123"`.
    pub(crate) path: String,
    pub(crate) query: Vec<(&'static str, String)>,
    pub(crate) body: Option<Vec<u8>>,
    pub(crate) auth: bool,
}

impl Req {
    /// A POST with a JSON body.
    pub(crate) fn post_json<T: serde::Serialize + ?Sized>(
        endpoint: &'static str,
        body: &T,
    ) -> Result<Self, Error> {
        let body = serde_json::to_vec(body).map_err(|e| Error::Config {
            message: format!("cannot encode request: {e}"),
        })?;
        Ok(Self {
            method: Method::POST,
            endpoint,
            path: endpoint.to_owned(),
            query: Vec::new(),
            body: Some(body),
            auth: true,
        })
    }

    /// A GET of `path` reported as `endpoint`.
    pub(crate) fn get(endpoint: &'static str, path: String) -> Self {
        Self {
            method: Method::GET,
            endpoint,
            path,
            query: Vec::new(),
            body: None,
            auth: true,
        }
    }
}

pub(crate) struct Inner {
    http: reqwest::Client,
    base: String,
    pub(crate) cfg: ClientConfig,
    limiter: RateLimiter,
    breaker: Breaker,
    pub(crate) token: RwLock<Option<Arc<CachedToken>>>,
    pub(crate) login_lock: tokio::sync::Mutex<()>,
}

/// The Shiprocket client. Cheap to clone; clones share the token, limiter and breaker.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
    opts: CallOptions,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base)
            .field("options", &self.opts)
            .field("breaker", &self.breaker_state())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Builds a client (installs the rustls ring provider if none is installed). Does not log in yet.
    pub fn new(cfg: ClientConfig) -> Result<Client, Error> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let base = cfg.base_url.trim_end_matches('/').to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(Error::Config {
                message: format!("base URL must start with http:// or https://: {base:?}"),
            });
        }
        let http = reqwest::Client::builder()
            .connect_timeout(cfg.connect_timeout)
            .pool_idle_timeout(Duration::from_secs(60))
            .user_agent(concat!("orderly-shiprocket/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Config {
                message: format!("cannot build HTTP client: {e}"),
            })?;
        let inner = Inner {
            http,
            base,
            limiter: RateLimiter::new(cfg.requests_per_minute),
            breaker: Breaker::new(cfg.breaker_failure_threshold, cfg.breaker_cooldown),
            token: RwLock::new(None),
            login_lock: tokio::sync::Mutex::new(()),
            cfg,
        };
        Ok(Client {
            inner: Arc::new(inner),
            opts: CallOptions::default(),
        })
    }

    /// A clone whose calls use at most `budget` in total (waits, attempts and back-off).
    pub fn with_budget(&self, budget: Duration) -> Client {
        self.with_options(CallOptions {
            budget: Some(budget),
            ..self.opts
        })
    }

    /// A clone with per-call overrides.
    pub fn with_options(&self, opts: CallOptions) -> Client {
        Client {
            inner: Arc::clone(&self.inner),
            opts,
        }
    }

    /// The circuit breaker's state.
    pub fn breaker_state(&self) -> BreakerState {
        self.inner.breaker.state()
    }

    pub(crate) fn budget(&self) -> Duration {
        self.opts.budget.unwrap_or(self.inner.cfg.retry_budget)
    }

    /// Sends `req` with the full discipline and returns the classified JSON body.
    pub(crate) async fn call(&self, req: &Req) -> Result<Value, Error> {
        let deadline = Instant::now() + self.budget();
        let max_attempts = self
            .opts
            .max_attempts
            .unwrap_or(self.inner.cfg.max_attempts)
            .max(1);
        let mut attempt = 0u32;
        let mut relogged = false;
        loop {
            attempt += 1;
            let (used_token, result) = if req.auth {
                match self.ensure_token(deadline, attempt).await {
                    Ok(t) => {
                        let r = self
                            .send(req, attempt, deadline, Some(t.value.as_str()))
                            .await;
                        (Some(t), r)
                    }
                    Err(e) => (None, Err(e)),
                }
            } else {
                (None, self.send(req, attempt, deadline, None).await)
            };
            let err = match result {
                Ok(v) => return Ok(v),
                Err(e) => e,
            };
            if matches!(err, Error::Unauthorized { .. }) && used_token.is_some() && !relogged {
                relogged = true;
                self.invalidate(used_token.as_ref());
                tracing::info!(
                    endpoint = req.endpoint,
                    "shiprocket answered 401; logging in again"
                );
                continue;
            }
            let tries = attempt - u32::from(relogged);
            if !err.is_retryable()
                || matches!(err, Error::CircuitOpen { .. })
                || tries >= max_attempts
            {
                return Err(err);
            }
            let wait = self.backoff(tries, err.retry_after());
            if Instant::now() + wait >= deadline {
                return Err(err);
            }
            tracing::debug!(
                endpoint = req.endpoint,
                attempt,
                kind = err.kind().as_str(),
                ?wait,
                "retrying shiprocket call"
            );
            tokio::time::sleep(wait).await;
        }
    }

    /// Full-jitter exponential back-off, never shorter than a server's `Retry-After`.
    fn backoff(&self, tries: u32, retry_after: Option<Duration>) -> Duration {
        let cfg = &self.inner.cfg;
        let ceiling = cfg
            .backoff_base
            .saturating_mul(1u32 << tries.saturating_sub(1).min(16))
            .min(cfg.backoff_max);
        let jitter = Duration::from_secs_f64(rand::rng().random_range(0.0..=ceiling.as_secs_f64()));
        match retry_after {
            Some(ra) => ra.max(jitter.min(cfg.backoff_base)),
            None => jitter,
        }
    }

    /// One HTTP attempt: breaker, limiter, send, classify, breaker update, observer.
    pub(crate) async fn send(
        &self,
        req: &Req,
        attempt: u32,
        deadline: Instant,
        token: Option<&str>,
    ) -> Result<Value, Error> {
        let inner = &*self.inner;
        if let Err(retry_in) = inner.breaker.admit() {
            let e = Error::CircuitOpen { retry_in };
            self.observe(
                req.endpoint,
                None,
                Err(ErrorKind::CircuitOpen),
                Duration::ZERO,
                attempt,
            );
            return Err(e);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if let Err(wait) = inner.limiter.acquire(left).await {
            self.observe(
                req.endpoint,
                None,
                Err(ErrorKind::RateLimited),
                Duration::ZERO,
                attempt,
            );
            return Err(Error::RateLimited {
                retry_after: Some(wait),
            });
        }
        let timeout = inner
            .cfg
            .request_timeout
            .min(deadline.saturating_duration_since(Instant::now()));
        if timeout.is_zero() {
            return Err(Error::Timeout {
                after: self.budget(),
            });
        }
        let started = Instant::now();
        let (status, result) = self.exchange(req, timeout, token).await;
        match &result {
            Ok(_) => inner.breaker.on_success(),
            Err(Error::RateLimited { retry_after }) => {
                inner
                    .limiter
                    .pause(retry_after.unwrap_or(inner.cfg.backoff_base));
            }
            Err(e) if e.is_retryable() => inner.breaker.on_failure(),
            Err(_) => inner.breaker.on_success(),
        }
        let elapsed = started.elapsed();
        let outcome = result.as_ref().map(|_| ()).map_err(Error::kind);
        tracing::debug!(
            endpoint = req.endpoint,
            status,
            attempt,
            ?elapsed,
            outcome = outcome.err().map(ErrorKind::as_str),
            "shiprocket call"
        );
        self.observe(req.endpoint, status, outcome, elapsed, attempt);
        result
    }

    async fn exchange(
        &self,
        req: &Req,
        timeout: Duration,
        token: Option<&str>,
    ) -> (Option<u16>, Result<Value, Error>) {
        let url = format!("{}/{}", self.inner.base, req.path);
        let mut rb = self
            .inner
            .http
            .request(req.method.clone(), url)
            .timeout(timeout)
            .header("accept", "application/json");
        if !req.query.is_empty() {
            rb = rb.query(&req.query);
        }
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        if let Some(b) = &req.body {
            rb = rb
                .header("content-type", "application/json")
                .body(b.clone());
        }
        let resp = match rb.send().await {
            Ok(r) => r,
            Err(e) => return (None, Err(transport(e, timeout))),
        };
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let bytes = match resp.bytes().await {
            Ok(b) => b,
            Err(e) => return (Some(status), Err(transport(e, timeout))),
        };
        (
            Some(status),
            classify(req.endpoint, status, retry_after, &bytes),
        )
    }

    fn observe(
        &self,
        endpoint: &'static str,
        status: Option<u16>,
        outcome: Result<(), ErrorKind>,
        elapsed: Duration,
        attempt: u32,
    ) {
        if let Some(obs) = &self.inner.cfg.observer {
            obs(&CallRecord {
                endpoint,
                status,
                outcome,
                elapsed,
                attempt,
            });
        }
    }
}

fn transport(e: reqwest::Error, timeout: Duration) -> Error {
    if e.is_timeout() {
        Error::Timeout { after: timeout }
    } else {
        Error::Transport {
            message: e.without_url().to_string(),
        }
    }
}

/// Percent-encodes one path segment (AWBs and ids are alphanumeric, but never trust that).
pub(crate) fn path_segment(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for b in raw.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
