//! The operations dashboard: server-rendered pages over the same actions as the JSON API.
//!
//! One file per page group, one askama template struct per page (templates in
//! `crates/server/templates`), [`WebError`] for every HTML failure. Pages work without JavaScript;
//! `static/app.js` adds live updates, the progress bar, copy buttons and sessionStorage.

pub mod actions;
pub mod api_keys;
pub mod assets;
pub mod auth;
pub mod batches;
pub mod counts;
pub mod error;
pub mod events;
pub mod flags;
pub mod format;
pub mod order;
pub mod orders;
pub mod session;
pub mod users;
pub mod webhooks;

use askama::Template;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, header};

pub use error::WebError;
pub use session::Session;

/// The Content-Security-Policy of every response: our own script and styles only, no inline script,
/// never framed.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'";

/// Every dashboard page that needs a session, as `(method, example path)`: the test that proves each
/// redirects to the login page without one walks this list.
pub const AUTHENTICATED_ROUTES: &[(&str, &str)] = &[
    ("GET", "/"),
    ("GET", "/orders"),
    ("GET", "/orders/ORD-1"),
    ("GET", "/orders/ORD-1/couriers"),
    ("POST", "/orders/ORD-1/process"),
    ("POST", "/orders/ORD-1/ship"),
    ("POST", "/orders/ORD-1/retry"),
    ("POST", "/orders/ORD-1/cancel"),
    ("POST", "/orders/ORD-1/notes"),
    ("POST", "/orders/ORD-1/address"),
    ("POST", "/orders/bulk"),
    ("GET", "/batches/1"),
    ("GET", "/events"),
    ("GET", "/settings/users"),
    ("POST", "/settings/users"),
    ("POST", "/settings/users/1/disable"),
    ("GET", "/settings/api-keys"),
    ("POST", "/settings/api-keys/abcd1234/revoke"),
    ("GET", "/settings/webhooks"),
    ("POST", "/settings/webhooks/1/disable"),
    ("GET", "/settings/fulfilment"),
    ("POST", "/settings/fulfilment"),
    ("GET", "/settings/fulfilment/report"),
    ("POST", "/logout"),
];

/// Headers every HTML page carries besides the router-wide ones: no caching of personal data.
pub fn html_headers() -> [(header::HeaderName, HeaderValue); 2] {
    [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        ),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
    ]
}

/// Renders a page template into a response.
pub fn render<T: Template>(page: &T) -> Result<Response, WebError> {
    let html = page.render().map_err(WebError::internal)?;
    Ok((html_headers(), html).into_response())
}

/// Percent-encodes `s` for a query string value.
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b))
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A redirect after a form (303 See Other, so the browser GETs the target).
pub fn see_other(to: &str) -> Response {
    axum::response::Redirect::to(to).into_response()
}
