//! No error is turned into a business decision: a fault while committing the AWB is retried, never
//! taken for "the order was cancelled" (which would cancel the real AWB at Shiprocket). Faults are
//! injected through the running server's test-only fault points; Shiprocket's calls are counted in
//! the simulator. Also checks the `OrderShipped` payload against `docs/events.md`.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use std::time::Duration;

use common::TestApp;
use orderly::shipping::FaultPoint;
use orderly_store::Engine;
use serde_json::{Value, json};
use shiprocket_sim::SimConfig;

stories!(
    a_database_error_while_committing_the_awb_retries_and_never_cancels_it,
    a_concurrent_flag_change_while_committing_the_awb_retries_and_never_cancels_it,
);

/// Places an order, marks it processing and asks for a shipment through the JSON API.
async fn ship(app: &TestApp, key: &str, seq: u64) -> (String, Value) {
    let n = app.place(seq).await;
    let (status, body) = app
        .post_json(&format!("/api/v1/orders/{n}/processing"), key, json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, out) = app
        .post_json(&format!("/api/v1/orders/{n}/shipments"), key, json!({}))
        .await;
    assert!(status == 201 || status == 202, "{status} {out}");
    (n, out)
}

/// Waits (at most 30 s) until the order is shipped, and returns it.
async fn shipped(app: &TestApp, key: &str, n: &str) -> Value {
    for _ in 0..300 {
        let (_, order) = app.get_json(&format!("/api/v1/orders/{n}"), key).await;
        if order["status"] == "shipped" {
            return order;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (_, order) = app.get_json(&format!("/api/v1/orders/{n}"), key).await;
    panic!("never shipped: {order}");
}

/// One Shiprocket AWB, never cancelled; one `OrderShipped` whose payload is the one in
/// `docs/events.md`, carrying the AWB, courier and tracking URL the order shows.
async fn assert_one_live_awb_and_its_event(app: &TestApp, key: &str, n: &str) {
    let order = shipped(app, key, n).await;
    let sim = app.sim().control();
    assert_eq!(sim.awb_count(), 1, "one AWB");
    assert_eq!(sim.count("courier/assign/awb"), 1, "assigned once");
    assert_eq!(
        sim.count("orders/cancel/shipment/awbs"),
        0,
        "the AWB was never cancelled"
    );
    assert_eq!(
        sim.count("orders/cancel"),
        0,
        "the order was never cancelled"
    );
    let awb = order["awb"].as_str().unwrap().to_string();
    assert!(
        sim.shipment_status(&awb).is_some(),
        "Shiprocket still knows AWB {awb}"
    );

    let events_key = app.api_key(&["events:read"]).await;
    let (status, page) = app
        .get_json("/api/v1/events?after=0&limit=100", &events_key)
        .await;
    assert_eq!(status, 200, "{page}");
    let shipped: Vec<&Value> = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "OrderShipped" && e["order_id"] == n)
        .collect();
    assert_eq!(shipped.len(), 1, "one OrderShipped: {page}");
    let e = shipped[0];
    assert_eq!(e["version"], 1);
    assert!(e["id"].as_str().is_some_and(|id| id.len() == 36), "{e}");
    let d = &e["data"];
    assert_eq!(d["order_number"], n);
    assert_eq!(d["awb"], awb.as_str());
    assert_eq!(d["courier"]["name"], order["courier_name"]);
    assert!(d["courier"]["id"].as_i64().is_some_and(|id| id > 0), "{d}");
    assert_eq!(
        d["tracking_url"],
        format!("https://shiprocket.co/tracking/{awb}").as_str()
    );
    assert_eq!(d["tracking_url"], order["tracking_url"]);
    let shipped_at = d["shipped_at"].as_str().unwrap();
    assert!(
        time::OffsetDateTime::parse(shipped_at, &time::format_description::well_known::Rfc3339)
            .is_ok(),
        "{shipped_at}"
    );
    assert!(d["items"].as_array().is_some_and(|i| !i.is_empty()));
    for item in d["items"].as_array().unwrap() {
        assert!(item["sku"].is_string() && item["name"].is_string() && item["units"].is_i64());
    }
    for field in ["name", "email", "phone"] {
        assert!(d["customer"][field].is_string(), "customer.{field}: {d}");
    }
    for field in ["name", "line1", "city", "state", "pincode", "country"] {
        assert!(
            d["shipping_address"][field].is_string(),
            "shipping_address.{field}: {d}"
        );
    }
}

async fn a_database_error_while_committing_the_awb_retries_and_never_cancels_it(engine: Engine) {
    let app = TestApp::spawn_with_sim(engine, SimConfig::default()).await;
    let key = app.api_key(&["orders:read", "orders:write"]).await;
    app.state.faults.arm(FaultPoint::ShipCommitDbError, 1);
    let (n, _) = ship(&app, &key, 1).await;
    assert_one_live_awb_and_its_event(&app, &key, &n).await;
}

async fn a_concurrent_flag_change_while_committing_the_awb_retries_and_never_cancels_it(
    engine: Engine,
) {
    let app = TestApp::spawn_with_sim(engine, SimConfig::default()).await;
    let key = app.api_key(&["orders:read", "orders:write"]).await;
    app.state.faults.arm(FaultPoint::ShipCommitVersionBump, 1);
    let (n, out) = ship(&app, &key, 1).await;
    assert_eq!(out["outcome"], "shipped", "retried at once: {out}");
    assert_one_live_awb_and_its_event(&app, &key, &n).await;
}
