//! Cancel writes its intent before calling Shiprocket: when the final `→ cancelled` commit fails
//! after Shiprocket cancelled the AWB, the caller gets an error, the intent stays, and the shipment
//! worker finishes the cancellation within seconds (one `OrderCancelled`, no intent left). The
//! failure is injected through the running server's fault points; Shiprocket's calls are counted in
//! the simulator.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use std::time::Duration;

use common::TestApp;
use orderly::shipping::FaultPoint;
use orderly_store::Engine;
use serde_json::json;
use shiprocket_sim::SimConfig;

stories!(
    a_failed_cancel_commit_after_shiprocket_is_finished_by_the_worker,
    a_plain_cancel_leaves_no_intent,
);

/// Shiprocket's shipment status code for a cancelled AWB.
const CANCELLED: u32 = 8;

/// Places an order, marks it processing and ships it (real simulator); returns number and AWB.
async fn ship(app: &TestApp, key: &str, seq: u64) -> (String, String) {
    let n = app.place(seq).await;
    let (status, body) = app
        .post_json(&format!("/api/v1/orders/{n}/processing"), key, json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, out) = app
        .post_json(&format!("/api/v1/orders/{n}/shipments"), key, json!({}))
        .await;
    assert_eq!(status, 201, "{out}");
    assert_eq!(out["outcome"], "shipped", "{out}");
    (n, out["awb"].as_str().unwrap().to_string())
}

async fn count(app: &TestApp, sql: &'static str, order: &str) -> i64 {
    use sqlx::Row;
    sqlx::query(sql)
        .bind(order)
        .fetch_one(app.store.reader())
        .await
        .unwrap()
        .try_get::<i64, _>(0)
        .unwrap()
}

async fn cancelled_events(app: &TestApp, n: &str) -> i64 {
    count(
        app,
        "SELECT COUNT(*) FROM outbox WHERE order_number = $1 AND event_type = 'OrderCancelled'",
        n,
    )
    .await
}

async fn intents(app: &TestApp, n: &str) -> i64 {
    count(
        app,
        "SELECT COUNT(*) FROM orders WHERE order_number = $1 AND cancel_intent IS NOT NULL",
        n,
    )
    .await
}

async fn a_failed_cancel_commit_after_shiprocket_is_finished_by_the_worker(engine: Engine) {
    let app = TestApp::builder(engine)
        .sim(SimConfig::default())
        .spawn()
        .await;
    let key = app.api_key(&["orders:read", "orders:write"]).await;
    let (n, awb) = ship(&app, &key, 1).await;

    app.state.faults.arm(FaultPoint::CancelCommitDbError, 1);
    let (status, body) = app
        .post_json(
            &format!("/api/v1/orders/{n}/cancel"),
            &key,
            json!({ "reason": "customer asked" }),
        )
        .await;
    assert!(
        status >= 500,
        "the failed commit is an error: {status} {body}"
    );
    let sim = app.sim().control();
    assert_eq!(
        sim.shipment_status(&awb),
        Some(CANCELLED),
        "Shiprocket cancelled the AWB before the commit failed"
    );
    assert_eq!(sim.count("orders/cancel/shipment/awbs"), 1);

    // The worker finishes the written intent within a few seconds.
    let mut order = json!(null);
    for _ in 0..200 {
        let (_, o) = app.get_json(&format!("/api/v1/orders/{n}"), &key).await;
        order = o;
        if order["status"] == "cancelled" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(order["status"], "cancelled", "never finished: {order}");
    assert_eq!(cancelled_events(&app, &n).await, 1, "one OrderCancelled");
    assert_eq!(intents(&app, &n).await, 0, "no intent left");
    let awb_cancels = sim.count("orders/cancel/shipment/awbs");
    assert!(
        (1..=2).contains(&awb_cancels),
        "at most one repeat of the AWB cancel: {awb_cancels}"
    );
    assert_eq!(sim.shipment_status(&awb), Some(CANCELLED));
    assert_eq!(sim.awb_count(), 1, "no new AWB");
    app.finish().await;
}

async fn a_plain_cancel_leaves_no_intent(engine: Engine) {
    let app = TestApp::builder(engine)
        .sim(SimConfig::default())
        .spawn()
        .await;
    let key = app.api_key(&["orders:read", "orders:write"]).await;
    let (n, awb) = ship(&app, &key, 2).await;
    let (status, body) = app
        .post_json(
            &format!("/api/v1/orders/{n}/cancel"),
            &key,
            json!({ "reason": "customer asked" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "cancelled");
    assert_eq!(intents(&app, &n).await, 0, "no intent left");
    assert_eq!(cancelled_events(&app, &n).await, 1, "one OrderCancelled");
    let sim = app.sim().control();
    assert_eq!(sim.count("orders/cancel/shipment/awbs"), 1);
    assert_eq!(sim.shipment_status(&awb), Some(CANCELLED));
    app.finish().await;
}
