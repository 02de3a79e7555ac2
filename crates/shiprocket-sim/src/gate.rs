//! The middleware in front of every `/v1/external` call: outage, auth, rate limit, injected faults,
//! latency, and the call log. Decisions are drawn from the seeded RNG in arrival order.

use std::time::{Duration, Instant};

use axum::body::{Body, to_bytes};
use axum::extract::{OriginalUri, Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::json;

use crate::App;
use crate::respond;

/// What happens after the handler ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum After {
    Nothing,
    Timeout(Duration),
    Malformed,
}

/// The endpoint key of a path: "/v1/external/courier/track/awb/123" → "courier/track/awb".
pub fn endpoint_key(path: &str) -> &str {
    let p = path
        .strip_prefix("/v1/external")
        .unwrap_or(path)
        .trim_matches('/');
    for param in [
        "courier/track/awb/",
        "courier/track/shipment/",
        "shipments/",
        "orders/show/",
    ] {
        if p.starts_with(param) {
            return param.trim_end_matches('/');
        }
    }
    p
}

/// The bearer token of a request.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let t = v
        .strip_prefix("Bearer ")
        .or_else(|| v.strip_prefix("bearer "))?
        .trim();
    (!t.is_empty()).then_some(t)
}

/// The gate itself.
pub async fn gate(State(app): State<App>, req: Request, next: Next) -> Response {
    let method = req.method().to_string();
    // Inside the nested router the URI lost its "/v1/external" prefix; log the original.
    let path = req
        .extensions()
        .get::<OriginalUri>()
        .map_or_else(|| req.uri().path(), |o| o.0.path())
        .to_owned();
    let key = endpoint_key(&path).to_owned();
    let token = bearer(req.headers()).map(str::to_owned);

    let (early, after, latency, limit) = decide(&app, &key, token.as_deref());
    let mut resp = match early {
        Some(resp) => resp,
        None => {
            if !latency.is_zero() {
                tokio::time::sleep(latency).await;
            }
            let resp = next.run(req).await;
            match after {
                After::Nothing => resp,
                After::Timeout(hold) => {
                    // Log now: the client usually hangs up during the hold, which drops this future.
                    log(&app, &method, &path, 504);
                    tokio::time::sleep(hold).await;
                    return respond::nginx(504);
                }
                After::Malformed => garble(resp).await,
            }
        }
    };
    if let Some((limit, remaining)) = limit {
        let h = resp.headers_mut();
        h.insert("x-ratelimit-limit", HeaderValue::from(limit));
        h.insert("x-ratelimit-remaining", HeaderValue::from(remaining));
    }
    log(&app, &method, &path, resp.status().as_u16());
    resp
}

fn log(app: &App, method: &str, path: &str, status: u16) {
    app.log().push(method, path, status);
}

type Decision = (Option<Response>, After, Duration, Option<(u32, u32)>);

fn decide(app: &App, key: &str, token: Option<&str>) -> Decision {
    let mut st = app.lock();
    // Two draws per call, always, so the RNG stream depends only on arrival order.
    let fault_draw = st.draw();
    let jitter_draw = st.draw();

    match st.outage {
        Some(None) => {
            return (
                Some(respond::nginx(503)),
                After::Nothing,
                Duration::ZERO,
                None,
            );
        }
        Some(Some(until)) if Instant::now() < until => {
            return (
                Some(respond::nginx(503)),
                After::Nothing,
                Duration::ZERO,
                None,
            );
        }
        Some(Some(_)) => st.outage = None,
        None => {}
    }

    if key != "auth/login" {
        let now = st.now().unix_timestamp();
        match token.map(|t| st.tokens.get(t).copied()) {
            None | Some(None) => {
                let body = json!({ "message": "Unauthenticated." });
                return (
                    Some(respond::json(401, &body)),
                    After::Nothing,
                    Duration::ZERO,
                    None,
                );
            }
            Some(Some(exp)) if exp <= now => {
                let resp = respond::message(401, "Token has expired");
                return (Some(resp), After::Nothing, Duration::ZERO, None);
            }
            Some(Some(_)) => {}
        }
    }

    let limit = st.cfg.rate_limit_per_minute.max(1);
    let bucket = token.unwrap_or("auth/login");
    let wall = Instant::now();
    let window = match st.rate.get_mut(bucket) {
        Some(w) if wall.duration_since(w.start) < Duration::from_secs(60) => {
            w.count += 1;
            *w
        }
        Some(w) => {
            w.start = wall;
            w.count = 1;
            *w
        }
        None => {
            let w = crate::state::RateWindow {
                start: wall,
                count: 1,
            };
            st.rate.insert(bucket.to_owned(), w);
            w
        }
    };
    let remaining = limit.saturating_sub(window.count);
    let headers = Some((limit, remaining));
    if st.cfg.enforce_rate_limit && window.count > limit {
        let reset = 60u64
            .saturating_sub(wall.duration_since(window.start).as_secs())
            .max(1);
        return (
            Some(too_many(reset)),
            After::Nothing,
            Duration::ZERO,
            headers,
        );
    }

    let spec = st.cfg.latency.for_endpoint(key);
    let jitter = (jitter_draw * (spec.jitter_ms as f64 + 1.0)).floor() as u64;
    let latency = Duration::from_millis(spec.fixed_ms + jitter.min(spec.jitter_ms));

    let f = &st.cfg.faults;
    if !f.endpoints.is_empty() && !f.endpoints.iter().any(|e| e.trim_matches('/') == key) {
        return (None, After::Nothing, latency, headers);
    }
    let mut edge = f.timeout_rate;
    if fault_draw < edge {
        let hold = if f.timeout_hold_ms == 0 {
            30_000
        } else {
            f.timeout_hold_ms
        };
        return (
            None,
            After::Timeout(Duration::from_millis(hold)),
            latency,
            headers,
        );
    }
    let start = edge;
    edge += f.server_error_rate;
    if fault_draw < edge {
        let pick = ((fault_draw - start) / f.server_error_rate * 4.0) as u32;
        let resp = match pick {
            0 => respond::message(500, "Server Error"),
            1 => respond::nginx(502),
            2 => respond::nginx(503),
            _ => respond::nginx(504),
        };
        return (Some(resp), After::Nothing, latency, headers);
    }
    edge += f.rate_limit_rate;
    if fault_draw < edge {
        let secs = if f.retry_after_secs == 0 {
            1
        } else {
            f.retry_after_secs
        };
        return (Some(too_many(secs)), After::Nothing, latency, headers);
    }
    edge += f.malformed_rate;
    if fault_draw < edge {
        return (None, After::Malformed, latency, headers);
    }
    edge += f.refusal_rate;
    if fault_draw < edge && key == "courier/assign/awb" {
        let body = json!({"awb_assign_status": 0, "response": {"data": {
            "awb_assign_error": "Courier is facing some issues, please try after some time"}}});
        return (
            Some(respond::json(200, &body)),
            After::Nothing,
            latency,
            headers,
        );
    }
    (None, After::Nothing, latency, headers)
}

fn too_many(retry_after: u64) -> Response {
    let mut resp = respond::message(429, "You have exceeded the API call rate limit");
    resp.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
    resp
}

/// HTTP 200 with the first half of the real body: undecodable JSON (or an HTML page when empty).
async fn garble(resp: Response) -> Response {
    let bytes = to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap_or_default();
    let cut = if bytes.len() > 2 {
        bytes.slice(..bytes.len() / 2)
    } else {
        axum::body::Bytes::new()
    };
    let body = if cut.is_empty() {
        Body::from("<html><body>Bad Gateway")
    } else {
        Body::from(cut)
    };
    let mut out = Response::new(body);
    out.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_keys_drop_the_prefix_parameters_and_trailing_slashes() {
        assert_eq!(
            endpoint_key("/v1/external/courier/serviceability/"),
            "courier/serviceability"
        );
        assert_eq!(
            endpoint_key("/v1/external/courier/track/awb/123"),
            "courier/track/awb"
        );
        assert_eq!(endpoint_key("/v1/external/shipments/99"), "shipments");
        assert_eq!(endpoint_key("/auth/login"), "auth/login");
    }
}
