//! The test-only `/__sim/...` JSON control endpoints (mirror of `SimControl`).

use std::time::Duration;

use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::config::{FaultConfig, LatencyConfig};
use crate::control::SimControl;
use crate::{App, clock, respond};

#[derive(Debug, Deserialize)]
struct Seconds {
    seconds: Option<f64>,
}

#[derive(Debug, Deserialize)]
struct Wallet {
    balance_paise: i64,
}

#[derive(Debug, Deserialize)]
struct Pin {
    pin: String,
}

#[derive(Debug, Deserialize)]
struct Shares {
    ndr_share: f64,
    rto_share: f64,
}

#[derive(Debug, Deserialize)]
struct Webhook {
    url: Option<String>,
    token: Option<String>,
}

#[derive(Debug, Deserialize)]
struct RateLimit {
    enforce: bool,
    per_minute: Option<u32>,
}

fn done() -> Response {
    respond::json(200, &json!({ "ok": true }))
}

/// Seconds from a control request as a `Duration`: negative or not a number is 0, and anything
/// above a day is a day (a larger value would overflow clocks downstream).
fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(if s.is_nan() {
        0.0
    } else {
        s.clamp(0.0, 86_400.0)
    })
}

/// The `/__sim` router.
pub fn router(app: App) -> Router {
    Router::new()
        .route("/state", get(state))
        .route("/calls", get(calls))
        .route("/faults", post(faults))
        .route("/latency", post(latency))
        .route("/expire-tokens", post(expire))
        .route("/outage", post(outage).delete(clear_outage))
        .route("/wallet", post(wallet))
        .route("/unserviceable", post(unserviceable))
        .route("/shares", post(shares))
        .route("/advance", post(advance))
        .route("/webhook", post(webhook))
        .route("/rate-limit", post(rate_limit))
        .with_state(app)
}

fn ctl(app: App) -> SimControl {
    SimControl::new(app)
}

async fn state(State(app): State<App>) -> Response {
    let c = ctl(app);
    respond::json(
        200,
        &json!({
            "now": clock::ymd_hms(c.now()), "wallet_balance_paise": c.wallet_balance(),
            "shipments": c.shipment_count(), "awbs": c.awb_count(), "counts": c.counts(),
            "webhooks_delivered": c.webhooks_delivered(), "webhooks_failed": c.webhooks_failed(),
        }),
    )
}

async fn calls(State(app): State<App>) -> Response {
    respond::ok(&ctl(app).calls())
}

async fn faults(State(app): State<App>, Json(f): Json<FaultConfig>) -> Response {
    ctl(app).set_faults(f);
    done()
}

async fn latency(State(app): State<App>, Json(l): Json<LatencyConfig>) -> Response {
    ctl(app).set_latency(l);
    done()
}

async fn expire(State(app): State<App>) -> Response {
    ctl(app).expire_all_tokens();
    done()
}

async fn outage(State(app): State<App>, Json(s): Json<Seconds>) -> Response {
    ctl(app).set_outage(s.seconds.map(secs));
    done()
}

async fn clear_outage(State(app): State<App>) -> Response {
    ctl(app).clear_outage();
    done()
}

async fn wallet(State(app): State<App>, Json(w): Json<Wallet>) -> Response {
    ctl(app).set_wallet_balance(w.balance_paise);
    done()
}

async fn unserviceable(State(app): State<App>, Json(p): Json<Pin>) -> Response {
    ctl(app).add_unserviceable(&p.pin);
    done()
}

async fn shares(State(app): State<App>, Json(s): Json<Shares>) -> Response {
    ctl(app).set_shares(s.ndr_share, s.rto_share);
    done()
}

async fn advance(State(app): State<App>, Json(s): Json<Seconds>) -> Response {
    let c = ctl(app);
    c.advance_clock(secs(s.seconds.unwrap_or(0.0))).await;
    respond::json(200, &json!({ "now": clock::ymd_hms(c.now()) }))
}

async fn webhook(State(app): State<App>, Json(w): Json<Webhook>) -> Response {
    let c = ctl(app);
    match w.url {
        Some(url) => match c.set_webhook(&url, w.token.as_deref()) {
            Ok(()) => done(),
            Err(e) => respond::message(422, &e.to_string()),
        },
        None => {
            c.clear_webhook();
            done()
        }
    }
}

async fn rate_limit(State(app): State<App>, Json(r): Json<RateLimit>) -> Response {
    ctl(app).set_rate_limit(r.enforce, r.per_minute.unwrap_or(180));
    done()
}
