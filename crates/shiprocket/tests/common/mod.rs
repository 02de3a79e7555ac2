//! A tiny axum stub of Shiprocket on 127.0.0.1:0 that serves canned (fixture) responses with their
//! HTTP status, answers `auth/login` with a JWT, and records every request it sees.
#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use shiprocket::{Client, ClientConfig};

/// The fixtures folder.
pub const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../testdata/shiprocket-fixtures"
);

/// A canned response.
#[derive(Debug, Clone)]
pub struct Canned {
    pub status: u16,
    pub body: Vec<u8>,
    pub headers: Vec<(&'static str, String)>,
    pub delay: Duration,
}

impl Canned {
    pub fn new(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status,
            body: body.into(),
            headers: Vec::new(),
            delay: Duration::ZERO,
        }
    }

    pub fn header(mut self, k: &'static str, v: impl Into<String>) -> Self {
        self.headers.push((k, v.into()));
        self
    }

    pub fn delay(mut self, d: Duration) -> Self {
        self.delay = d;
        self
    }
}

/// Reads a fixture; the HTTP status comes from the file name (`name.<status>[-slug].json`).
pub fn fixture(name: &str) -> Canned {
    let body =
        std::fs::read(format!("{FIXTURES}/{name}")).unwrap_or_else(|e| panic!("{name}: {e}"));
    let status_part = name.split('.').nth(1).unwrap_or_default();
    let digits: String = status_part
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let status = digits
        .parse()
        .unwrap_or_else(|_| panic!("no status in {name}"));
    Canned::new(status, body)
}

/// Reads a fixture as JSON.
pub fn fixture_json(name: &str) -> serde_json::Value {
    let body =
        std::fs::read(format!("{FIXTURES}/{name}")).unwrap_or_else(|e| panic!("{name}: {e}"));
    serde_json::from_slice(&body).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// One request the stub saw (logins excluded).
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub body: Vec<u8>,
    pub bearer: Option<String>,
}

impl Seen {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

#[derive(Default)]
pub struct StubState {
    /// Served first, in order; then `fallback` forever.
    pub script: Mutex<VecDeque<Canned>>,
    pub fallback: Mutex<Option<Canned>>,
    pub seen: Mutex<Vec<Seen>>,
    pub logins: AtomicU32,
    /// Bodies of the login requests.
    pub login_bodies: Mutex<Vec<Vec<u8>>>,
    /// Lifetime of issued tokens in seconds (default 10 days).
    pub token_ttl_secs: Mutex<Option<u64>>,
    /// Login answers this instead of a token, when set.
    pub login_override: Mutex<Option<Canned>>,
}

/// A running stub.
pub struct Stub {
    pub base_url: String,
    pub state: Arc<StubState>,
}

impl Stub {
    pub async fn start() -> Stub {
        let state = Arc::new(StubState::default());
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&state));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Stub {
            base_url: format!("http://{addr}/v1/external"),
            state,
        }
    }

    /// Serves `c` for every request from now on.
    pub fn always(&self, c: Canned) {
        *self.state.fallback.lock().unwrap() = Some(c);
    }

    /// Serves `c` once, before the fallback.
    pub fn then(&self, c: Canned) {
        self.state.script.lock().unwrap().push_back(c);
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }

    pub fn last(&self) -> Seen {
        self.seen().last().cloned().expect("no request seen")
    }

    pub fn logins(&self) -> u32 {
        self.state.logins.load(Ordering::SeqCst)
    }

    /// A config with fast back-off and no rate limit.
    pub fn config(&self) -> ClientConfig {
        let mut cfg = ClientConfig::new(self.base_url.clone(), "api@orderly.test", "pw");
        cfg.requests_per_minute = 0;
        cfg.backoff_base = Duration::from_millis(1);
        cfg.backoff_max = Duration::from_millis(5);
        cfg.retry_budget = Duration::from_secs(10);
        cfg.request_timeout = Duration::from_secs(5);
        cfg
    }

    pub fn client(&self) -> Client {
        Client::new(self.config()).unwrap()
    }
}

/// An unsigned JWT with the given `exp`.
pub fn jwt(exp: u64) -> String {
    let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    format!(
        "{}.{}.c2ln",
        e.encode(r#"{"alg":"HS256","typ":"JWT"}"#),
        e.encode(format!(r#"{{"sub":7,"iat":{now},"exp":{exp}}}"#))
    )
}

async fn handle(
    State(state): State<Arc<StubState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if uri.path().ends_with("/auth/login") {
        let n = state.logins.fetch_add(1, Ordering::SeqCst) + 1;
        state.login_bodies.lock().unwrap().push(body.to_vec());
        let overridden = state.login_override.lock().unwrap().clone();
        if let Some(c) = overridden {
            return respond(c).await;
        }
        let ttl = state.token_ttl_secs.lock().unwrap().unwrap_or(864_000);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let token = format!("{}-{n}", jwt(now + ttl));
        let body = serde_json::json!({"id": 7, "first_name": "API", "email": "api@orderly.test", "company_id": 25149, "token": token});
        return respond(Canned::new(200, body.to_string())).await;
    }
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned);
    state.seen.lock().unwrap().push(Seen {
        method: method.to_string(),
        path: uri.path().to_owned(),
        query: uri.query().map(str::to_owned),
        body: body.to_vec(),
        bearer,
    });
    let next = state.script.lock().unwrap().pop_front();
    let canned = next
        .or_else(|| state.fallback.lock().unwrap().clone())
        .unwrap_or_else(|| Canned::new(500, r#"{"message":"stub has no response"}"#));
    respond(canned).await
}

async fn respond(c: Canned) -> Response {
    if !c.delay.is_zero() {
        tokio::time::sleep(c.delay).await;
    }
    let status = StatusCode::from_u16(c.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = (status, c.body).into_response();
    for (k, v) in c.headers {
        if let Ok(v) = v.parse() {
            resp.headers_mut().insert(k, v);
        }
    }
    resp
}
