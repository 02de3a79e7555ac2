//! Our own static files (no CDN, no external fonts), compiled into the binary and served with long
//! cache lifetimes under a content-hash version (`/static/app.css?v=<hash>`).

use std::sync::LazyLock;

use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use sha2::{Digest, Sha256};

const CSS: &str = include_str!("../../static/app.css");
const JS: &str = include_str!("../../static/app.js");

static VERSION: LazyLock<String> = LazyLock::new(|| {
    let mut h = Sha256::new();
    h.update(CSS.as_bytes());
    h.update(JS.as_bytes());
    hex::encode(h.finalize())[..12].to_string()
});

/// The stylesheet's versioned URL.
pub fn css_href() -> String {
    format!("/static/app.css?v={}", *VERSION)
}

/// The script's versioned URL.
pub fn js_href() -> String {
    format!("/static/app.js?v={}", *VERSION)
}

/// `GET /static/{name}`.
pub async fn serve(Path(name): Path<String>) -> Response {
    let (body, kind) = match name.as_str() {
        "app.css" => (CSS, "text/css; charset=utf-8"),
        "app.js" => (JS, "text/javascript; charset=utf-8"),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(kind)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
        ],
        body,
    )
        .into_response()
}
