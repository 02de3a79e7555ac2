//! Fulfilment through the front door against the Shiprocket simulator, on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use common::{TRACKING_TOKEN, TestApp, envelope};
use orderly_store::Engine;
use serde_json::{Value, json};
use shiprocket_sim::SimConfig;

stories!(
    a_processing_order_ships_and_announces_order_shipped,
    a_person_can_pick_the_courier,
    an_unserviceable_pincode_fails_with_a_reason_and_ships_after_the_address_is_fixed,
    a_placed_order_cannot_ship_and_a_stale_version_gets_409,
    an_idempotency_key_returns_the_first_answer,
    cancelling_a_shipped_order_cancels_the_awb_at_shiprocket,
    cancelling_after_pickup_is_refused_with_the_reason,
    notes_are_kept_with_author_and_time,
    a_batch_of_five_ships_every_order_with_progress,
    tracking_webhooks_twice_and_out_of_order_leave_the_order_delivered,
    tracking_webhooks_need_the_token,
    the_tracking_webhook_path_has_none_of_shiprockets_banned_words,
);

async fn writer(app: &TestApp) -> String {
    app.api_key(&["orders:read", "orders:write"]).await
}

async fn processing(app: &TestApp, key: &str, seq: u64) -> String {
    let n = app.place(seq).await;
    let (status, body) = app
        .post_json(&format!("/api/v1/orders/{n}/processing"), key, json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "processing");
    n
}

async fn outbox_types(app: &TestApp, order: &str) -> Vec<String> {
    use sqlx::Row;
    sqlx::query("SELECT event_type FROM outbox WHERE order_number = $1 ORDER BY seq")
        .bind(order)
        .fetch_all(app.store.reader())
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<String, _>("event_type").unwrap())
        .collect()
}

async fn a_processing_order_ships_and_announces_order_shipped(engine: Engine) {
    let app = TestApp::spawn_with_sim(engine, SimConfig::default()).await;
    let key = writer(&app).await;
    let n = processing(&app, &key, 1).await;
    let (status, out) = app
        .post_json(&format!("/api/v1/orders/{n}/shipments"), &key, json!({}))
        .await;
    assert_eq!(status, 201, "{out}");
    assert_eq!(out["outcome"], "shipped");
    let awb = out["awb"].as_str().unwrap().to_string();
    assert!(!awb.is_empty());
    let (_, order) = app.get_json(&format!("/api/v1/orders/{n}"), &key).await;
    assert_eq!(order["status"], "shipped");
    assert_eq!(order["awb"], awb.as_str());
    let history: Vec<&str> = order["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["to"].as_str().unwrap())
        .collect();
    assert_eq!(history, vec!["placed", "processing", "shipped"]);
    assert_eq!(app.sim().control().awb_count(), 1);
    let types = outbox_types(&app, &n).await;
    assert_eq!(
        types.iter().filter(|t| *t == "OrderShipped").count(),
        1,
        "{types:?}"
    );
    let (_, page) = app.get_json(&format!("/api/v1/orders?q={awb}"), &key).await;
    assert_eq!(page["orders"][0]["order_number"], n.as_str());
    // The attempt shows the quotes and why this courier.
    let (_, attempts) = app
        .get_json(&format!("/api/v1/orders/{n}/shipments"), &key)
        .await;
    let first = &attempts["shipments"][0];
    assert!(first["choice_explanation"].as_str().unwrap().len() > 10);
    assert!(first["quotes"]["ranking"].as_array().unwrap().len() > 1);
    // Shipping twice is refused.
    let (status, _) = app
        .post_json(&format!("/api/v1/orders/{n}/shipments"), &key, json!({}))
        .await;
    assert_eq!(status, 409);
    assert_eq!(app.sim().control().awb_count(), 1);
    app.finish().await;
}

async fn a_person_can_pick_the_courier(engine: Engine) {
    let app = TestApp::spawn_with_sim(engine, SimConfig::default()).await;
    let key = writer(&app).await;
    let n = processing(&app, &key, 2).await;
    let choice = orderly::actions::quotes(&app.state, &n).await.unwrap();
    let eligible: Vec<_> = choice.ranking.iter().filter(|r| r.eligible).collect();
    assert!(eligible.len() >= 2);
    let pick = eligible.last().unwrap().quote.clone();
    let (status, out) = app
        .post_json(
            &format!("/api/v1/orders/{n}/shipments"),
            &key,
            json!({ "courier_id": pick.courier_id }),
        )
        .await;
    assert_eq!(status, 201, "{out}");
    assert_eq!(out["courier_name"], pick.courier_name.as_str());
    app.finish().await;
}

async fn an_unserviceable_pincode_fails_with_a_reason_and_ships_after_the_address_is_fixed(
    engine: Engine,
) {
    let cfg = SimConfig::default();
    let remote = cfg.unserviceable[0].clone();
    let app = TestApp::spawn_with_sim(engine, cfg).await;
    let key = writer(&app).await;
    let mut env = envelope(3);
    env["data"]["shipping_address"]["pincode"] = json!(remote);
    assert_eq!(app.post_event(&env.to_string()).await.status(), 201);
    let n = env["data"]["order_number"].as_str().unwrap().to_string();
    app.post_json(&format!("/api/v1/orders/{n}/processing"), &key, json!({}))
        .await;
    let (status, out) = app
        .post_json(&format!("/api/v1/orders/{n}/shipments"), &key, json!({}))
        .await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["outcome"], "failed");
    assert!(out["reason"].as_str().unwrap().contains(&remote), "{out}");
    let (_, order) = app.get_json(&format!("/api/v1/orders/{n}"), &key).await;
    assert_eq!(order["status"], "processing");
    assert!(order["flags"]["shipment_failed"].as_str().is_some());
    let (_, failed) = app
        .get_json("/api/v1/orders?view=failed_shipments", &key)
        .await;
    assert!(
        failed["orders"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["order_number"] == n.as_str())
    );
    let address = json!({ "address": { "name": "Asha Rao", "line1": "12 MG Road", "line2": null, "city": "Bengaluru", "state": "Karnataka", "pincode": "560001", "country": "IN" } });
    let r = app
        .client
        .put(app.url(&format!("/api/v1/orders/{n}/shipping-address")))
        .bearer_auth(&key)
        .json(&address)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let failed_id = app
        .get_json(&format!("/api/v1/orders/{n}/shipments"), &key)
        .await
        .1["shipments"][0]["id"]
        .as_i64()
        .unwrap();
    let (status, out) = app
        .post_json(
            &format!("/api/v1/orders/{n}/shipments/{failed_id}/retry"),
            &key,
            json!({}),
        )
        .await;
    assert_eq!(status, 201, "{out}");
    let (_, order) = app.get_json(&format!("/api/v1/orders/{n}"), &key).await;
    assert_eq!(order["status"], "shipped");
    assert!(order["flags"]["shipment_failed"].is_null());
    // One Shiprocket order for both attempts (same channel order id), one AWB.
    assert_eq!(app.sim().control().shipment_count(), 1);
    assert_eq!(app.sim().control().awb_count(), 1);
    app.finish().await;
}

async fn a_placed_order_cannot_ship_and_a_stale_version_gets_409(engine: Engine) {
    let app = TestApp::spawn_with_sim(engine, SimConfig::default()).await;
    let key = writer(&app).await;
    let n = app.place(4).await;
    let (status, body) = app
        .post_json(&format!("/api/v1/orders/{n}/shipments"), &key, json!({}))
        .await;
    assert_eq!(status, 409);
    assert!(
        body["message"].as_str().unwrap().contains("processing"),
        "{body}"
    );
    let (status, body) = app
        .post_json(
            &format!("/api/v1/orders/{n}/processing"),
            &key,
            json!({ "expected_version": 99 }),
        )
        .await;
    assert_eq!(status, 409);
    assert_eq!(body["error"], "stale");
    let reader = app.api_key(&["orders:read"]).await;
    let (status, _) = app
        .post_json(
            &format!("/api/v1/orders/{n}/processing"),
            &reader,
            json!({}),
        )
        .await;
    assert_eq!(status, 403);
    app.finish().await;
}

async fn an_idempotency_key_returns_the_first_answer(engine: Engine) {
    let app = TestApp::spawn_with_sim(engine, SimConfig::default()).await;
    let key = writer(&app).await;
    let n = app.place(5).await;
    let send = || async {
        let r = app
            .client
            .post(app.url(&format!("/api/v1/orders/{n}/processing")))
            .bearer_auth(&key)
            .header("idempotency-key", "click-1")
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json::<Value>().await.unwrap())
    };
    let first = send().await;
    let second = send().await;
    assert_eq!(first.0, 200);
    assert_eq!(first, second);
    let (_, order) = app.get_json(&format!("/api/v1/orders/{n}"), &key).await;
    assert_eq!(order["history"].as_array().unwrap().len(), 2);
    app.finish().await;
}

async fn ship(app: &TestApp, key: &str, seq: u64) -> (String, String) {
    let n = processing(app, key, seq).await;
    let (status, out) = app
        .post_json(&format!("/api/v1/orders/{n}/shipments"), key, json!({}))
        .await;
    assert_eq!(status, 201, "{out}");
    (n, out["awb"].as_str().unwrap().to_string())
}

async fn cancelling_a_shipped_order_cancels_the_awb_at_shiprocket(engine: Engine) {
    let app = TestApp::spawn_with_sim(engine, SimConfig::default()).await;
    let key = writer(&app).await;
    let (n, _awb) = ship(&app, &key, 6).await;
    let (status, body) = app
        .post_json(
            &format!("/api/v1/orders/{n}/cancel"),
            &key,
            json!({ "reason": "customer asked" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "cancelled");
    assert!(app.sim().control().count("orders/cancel/shipment/awbs") >= 1);
    let types = outbox_types(&app, &n).await;
    assert!(types.contains(&"OrderCancelled".to_string()), "{types:?}");
    app.finish().await;
}

async fn post_tracking(app: &TestApp, awb: &str, code: u32, label: &str, when: &str) -> u16 {
    let body = json!({
        "awb": awb, "courier_name": "Delhivery Surface", "current_status": label, "current_status_id": 6,
        "shipment_status": label, "shipment_status_id": code, "current_timestamp": when,
        "order_id": "x", "sr_order_id": 1, "awb_assigned_date": "2026-11-25 10:00:00", "pickup_scheduled_date": "2026-11-25 10:00:00",
        "etd": "2026-11-28 10:00:00", "scans": [], "is_return": 0, "channel_id": 1, "pod_status": "", "pod": ""
    });
    app.client
        .post(app.url("/api/v1/tracking-updates"))
        .header("x-api-key", TRACKING_TOKEN)
        .json(&body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn cancelling_after_pickup_is_refused_with_the_reason(engine: Engine) {
    let app = TestApp::spawn_with_sim(engine, SimConfig::default()).await;
    let key = writer(&app).await;
    let (n, awb) = ship(&app, &key, 7).await;
    assert_eq!(
        post_tracking(&app, &awb, 42, "PICKED UP", "25 11 2026 12:00:00").await,
        200
    );
    let (status, body) = app
        .post_json(
            &format!("/api/v1/orders/{n}/cancel"),
            &key,
            json!({ "reason": "too late" }),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("picked up"),
        "{body}"
    );
    let (_, order) = app.get_json(&format!("/api/v1/orders/{n}"), &key).await;
    assert_eq!(order["status"], "shipped");
    app.finish().await;
}

async fn notes_are_kept_with_author_and_time(engine: Engine) {
    let app = TestApp::spawn_with_sim(engine, SimConfig::default()).await;
    let key = writer(&app).await;
    let n = app.place(8).await;
    let (status, _) = app
        .post_json(
            &format!("/api/v1/orders/{n}/notes"),
            &key,
            json!({ "text": "Customer contacted for address correction" }),
        )
        .await;
    assert_eq!(status, 201);
    let (status, body) = app
        .post_json(
            &format!("/api/v1/orders/{n}/notes"),
            &key,
            json!({ "text": "  " }),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let (_, attempts) = app
        .get_json(&format!("/api/v1/orders/{n}/shipments"), &key)
        .await;
    assert_eq!(
        attempts["notes"][0]["body"],
        "Customer contacted for address correction"
    );
    assert!(
        attempts["notes"][0]["author"]
            .as_str()
            .unwrap()
            .starts_with("apikey:")
    );
    app.finish().await;
}

async fn a_batch_of_five_ships_every_order_with_progress(engine: Engine) {
    let app = TestApp::spawn_with_sim(engine, SimConfig::default()).await;
    let key = writer(&app).await;
    let mut numbers = Vec::new();
    for seq in 10..15 {
        numbers.push(app.place(seq).await);
    }
    let (status, started) = app
        .post_json(
            "/api/v1/batches",
            &key,
            json!({ "kind": "generate_shipments", "order_numbers": numbers }),
        )
        .await;
    assert_eq!(status, 202, "{started}");
    let id = started["id"].as_i64().unwrap();
    let events = app
        .client
        .get(app.url(&format!("/api/v1/batches/{id}/events")))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), 200);
    let text = tokio::time::timeout(std::time::Duration::from_secs(60), events.text())
        .await
        .unwrap()
        .unwrap();
    assert!(text.contains("event: done"), "{text}");
    assert!(text.contains("5 of 5 shipments created"), "{text}");
    let (_, batch) = app.get_json(&format!("/api/v1/batches/{id}"), &key).await;
    assert_eq!(batch["succeeded"], 5, "{batch}");
    assert!(
        batch["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|j| j["awb"].as_str().is_some())
    );
    assert_eq!(app.sim().control().awb_count(), 5);
    let csv = app
        .client
        .get(app.url(&format!("/api/v1/batches/{id}/failures.csv")))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(csv.lines().count(), 1, "{csv}");
    app.finish().await;
}

async fn tracking_webhooks_twice_and_out_of_order_leave_the_order_delivered(engine: Engine) {
    let app = TestApp::spawn_with_sim(engine, SimConfig::default()).await;
    let key = writer(&app).await;
    let (n, awb) = ship(&app, &key, 20).await;
    for (code, label, when) in [
        (7, "DELIVERED", "26 11 2026 15:00:00"),
        (18, "IN TRANSIT", "26 11 2026 09:00:00"),
        (7, "DELIVERED", "26 11 2026 15:00:00"),
        (17, "OUT FOR DELIVERY", "26 11 2026 11:00:00"),
        (42, "PICKED UP", "25 11 2026 18:00:00"),
    ] {
        assert_eq!(post_tracking(&app, &awb, code, label, when).await, 200);
    }
    let (_, order) = app.get_json(&format!("/api/v1/orders/{n}"), &key).await;
    assert_eq!(order["status"], "delivered", "{order}");
    let types = outbox_types(&app, &n).await;
    assert_eq!(
        types.iter().filter(|t| *t == "OrderDelivered").count(),
        1,
        "{types:?}"
    );
    app.finish().await;
}

async fn tracking_webhooks_need_the_token(engine: Engine) {
    let app = TestApp::spawn_with_sim(engine, SimConfig::default()).await;
    let r = app
        .client
        .post(app.url("/api/v1/tracking-updates"))
        .header("x-api-key", "wrong")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    app.finish().await;
}

/// Shiprocket refuses a webhook URL containing `shiprocket`, `kartrocket`, `sr` or `kr`
/// (reference: "URL rules"). The path checked is the one the server documents for tracking and
/// actually routes (a signed-in push to it is answered 200, a wrong token 401).
async fn the_tracking_webhook_path_has_none_of_shiprockets_banned_words(engine: Engine) {
    let app = TestApp::spawn_with_sim(engine, SimConfig::default()).await;
    let doc: Value = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let tracking: Vec<&String> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, ops)| {
            ops.as_object().unwrap().values().any(|op| {
                op["tags"]
                    .as_array()
                    .is_some_and(|t| t.iter().any(|t| t == "tracking"))
            })
        })
        .map(|(path, _)| path)
        .collect();
    assert_eq!(tracking.len(), 1, "one tracking webhook path: {tracking:?}");
    let path = tracking[0];
    for banned in ["shiprocket", "kartrocket", "sr", "kr"] {
        assert!(
            !path.to_ascii_lowercase().contains(banned),
            "{path} contains {banned:?}"
        );
    }
    let push = |token: &'static str| {
        app.client
            .post(app.url(path))
            .header("x-api-key", token)
            .json(&json!({
                "awb": "19041000000001", "courier_name": "Delhivery Surface",
                "current_status": "IN TRANSIT", "current_status_id": 6, "shipment_status": "IN TRANSIT",
                "shipment_status_id": 18, "current_timestamp": "26 11 2026 09:00:00", "order_id": "x",
                "sr_order_id": 1, "awb_assigned_date": "2026-11-25 10:00:00",
                "pickup_scheduled_date": "2026-11-25 10:00:00", "etd": "2026-11-28 10:00:00",
                "scans": [], "is_return": 0, "channel_id": 1, "pod_status": "", "pod": ""
            }))
            .send()
    };
    assert_eq!(push("wrong").await.unwrap().status(), 401);
    assert_eq!(push(TRACKING_TOKEN).await.unwrap().status(), 200);
    app.finish().await;
}
