//! `GET /metrics`: Prometheus text. Everything the process recorded, plus gauges computed at scrape
//! time (outbox lag per consumer, orders by status).
//!
//! Needs a bearer API key with `metrics:read` (or `admin`). There is deliberately no loopback
//! exemption: behind a reverse proxy on the same host every request comes from loopback.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use sqlx::Row;

use super::auth::ApiCaller;
use super::error::{ApiError, ErrorBody};
use crate::app::AppState;

/// Help texts of the delivery metrics recorded by the workers.
const DESCRIBED: &[(&str, &str, &str)] = &[
    (
        "orderly_webhook_attempts_total",
        "counter",
        "Webhook attempts by outcome (delivered, failed, dead).",
    ),
    (
        "orderly_webhook_failures_total",
        "counter",
        "Failed webhook attempts per endpoint.",
    ),
    (
        "orderly_webhook_request_seconds",
        "histogram",
        "Duration of webhook requests.",
    ),
    (
        "orderly_webhook_delivery_lag_seconds",
        "histogram",
        "From the event's occurred_at to its webhook delivery.",
    ),
    (
        "orderly_webhook_endpoints_disabled_total",
        "counter",
        "Endpoints disabled after consecutive failures.",
    ),
    (
        "orderly_webhook_replays_total",
        "counter",
        "Replay attempts by outcome.",
    ),
    (
        "orderly_nats_published_total",
        "counter",
        "Outbox events acknowledged by JetStream.",
    ),
    (
        "orderly_nats_publish_failures_total",
        "counter",
        "JetStream publish passes that stopped on an error.",
    ),
    (
        "orderly_nats_intake_total",
        "counter",
        "OrderPlaced messages from NATS by outcome.",
    ),
];

/// Prometheus metrics (text exposition format 0.0.4).
#[utoipa::path(
    get, path = "/metrics", tag = "ops", security(("api_key" = [])),
    responses(
        (status = 200, description = "Prometheus text", body = String, content_type = "text/plain"),
        (status = 401, description = "No or unknown API key", body = ErrorBody),
        (status = 403, description = "The key lacks metrics:read", body = ErrorBody),
    )
)]
pub async fn serve(State(state): State<AppState>, caller: ApiCaller) -> Result<Response, ApiError> {
    if !caller.0.has_scope("admin") {
        caller.require("metrics:read")?;
    }
    scrape_gauges(&state).await?;
    Ok((
        [(
            http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response())
}

/// Sets the gauges that are read from the database at scrape time.
async fn scrape_gauges(state: &AppState) -> Result<(), ApiError> {
    let m = &state.metrics;
    m.describe(
        "orderly_outbox_lag_events",
        "gauge",
        "Outbox events not yet delivered, per consumer (webhook:<id>, nats).",
    );
    m.describe(
        "orderly_outbox_lag_seconds",
        "gauge",
        "Age of the oldest undelivered outbox event, per consumer.",
    );
    m.describe("orderly_orders", "gauge", "Orders by status.");
    for (name, kind, help) in DESCRIBED {
        m.describe(name, kind, help);
    }
    let lags = orderly_store::delivery::lags(&state.store, state.clock.now()).await?;
    for lag in lags {
        let l = [("consumer", lag.consumer.as_str())];
        m.set("orderly_outbox_lag_events", &l, lag.events as f64);
        m.set("orderly_outbox_lag_seconds", &l, lag.seconds);
    }
    let rows = sqlx::query("SELECT status, COUNT(*) AS n FROM orders GROUP BY status")
        .fetch_all(state.store.reader())
        .await
        .map_err(|e| ApiError::from(orderly_store::StoreError::from(e)))?;
    for row in rows {
        let status: String = row.try_get("status").map_err(|e| ApiError::internal(&e))?;
        let n: i64 = row.try_get("n").map_err(|e| ApiError::internal(&e))?;
        m.set("orderly_orders", &[("status", status.as_str())], n as f64);
    }
    Ok(())
}
