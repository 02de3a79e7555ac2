//! The read API, API keys and the OpenAPI document, on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use common::{Leftovers, TestApp, envelope};
use orderly_store::Engine;
use serde_json::Value;

stories!(
    the_read_api_refuses_missing_unknown_or_unscoped_keys,
    the_list_is_newest_first_and_pages_with_a_cursor,
    the_list_filters_by_status_and_date_range,
    search_finds_orders_by_number_email_phone_and_awb,
    bad_filters_are_listed_as_field_errors,
    an_order_shows_items_addresses_and_history,
    every_route_but_the_public_ones_needs_credentials,
);

async fn place(app: &TestApp, seqs: std::ops::Range<u64>) -> Vec<Value> {
    let mut out = Vec::new();
    for seq in seqs {
        let env = envelope(seq);
        assert_eq!(app.post_event(&env.to_string()).await.status(), 201);
        out.push(env);
    }
    out
}

async fn the_read_api_refuses_missing_unknown_or_unscoped_keys(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let r = app
        .client
        .get(app.url("/api/v1/orders"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "unauthorized");
    assert_eq!(
        app.get_json("/api/v1/orders", "ok_unknown_key").await.0,
        401
    );
    let events_only = app.api_key(&["events:read"]).await;
    assert_eq!(app.get_json("/api/v1/orders", &events_only).await.0, 403);
    let reader = app.api_key(&["orders:read"]).await;
    assert_eq!(app.get_json("/api/v1/orders", &reader).await.0, 200);
    app.finish().await;
}

async fn the_list_is_newest_first_and_pages_with_a_cursor(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    place(&app, 1..13).await;
    let key = app.api_key(&["orders:read"]).await;
    let mut numbers = Vec::new();
    let mut path = "/api/v1/orders?limit=5".to_string();
    loop {
        let (status, page) = app.get_json(&path, &key).await;
        assert_eq!(status, 200);
        let orders = page["orders"].as_array().unwrap();
        assert!(orders.len() <= 5);
        numbers.extend(
            orders
                .iter()
                .map(|o| o["order_number"].as_str().unwrap().to_string()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/orders?limit=5&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(numbers.len(), 12);
    // envelope(seq) is placed seq minutes ago, so the newest is the smallest seq.
    let expected: Vec<String> = (1..13).map(|s| format!("ORD-{s:07}")).collect();
    assert_eq!(numbers, expected);
    app.finish().await;
}

async fn the_list_filters_by_status_and_date_range(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let envs = place(&app, 1..6).await;
    let key = app.api_key(&["orders:read"]).await;
    let (_, placed) = app.get_json("/api/v1/orders?status=placed", &key).await;
    assert_eq!(placed["orders"].as_array().unwrap().len(), 5);
    let (_, shipped) = app.get_json("/api/v1/orders?status=shipped", &key).await;
    assert!(shipped["orders"].as_array().unwrap().is_empty());
    // From the 4th newest (inclusive) to the 2nd newest (exclusive): orders 3 and 4.
    let from = envs[3]["data"]["placed_at"].as_str().unwrap();
    let to = envs[1]["data"]["placed_at"].as_str().unwrap();
    let (status, ranged) = app
        .get_json(
            &format!(
                "/api/v1/orders?placed_from={}&placed_to={}",
                enc(from),
                enc(to)
            ),
            &key,
        )
        .await;
    assert_eq!(status, 200, "{ranged}");
    let got: Vec<&str> = ranged["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["order_number"].as_str().unwrap())
        .collect();
    assert_eq!(got, vec!["ORD-0000003", "ORD-0000004"]);
    let (status, _) = app
        .get_json(
            "/api/v1/orders?placed_from=2020-01-01&placed_to=2099-12-31",
            &key,
        )
        .await;
    assert_eq!(status, 200);
    app.finish().await;
}

fn enc(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

async fn search_finds_orders_by_number_email_phone_and_awb(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let envs = place(&app, 1..6).await;
    let key = app.api_key(&["orders:read"]).await;
    let target = &envs[2]["data"];
    let number = target["order_number"].as_str().unwrap();
    // A shipment with an AWB, as the fulfilment engine will record it.
    sqlx::query(
        "INSERT INTO shipments (order_id, attempt, step, channel_order_id, awb, actor, created_at, updated_at)
         SELECT id, 1, 'awb_assigned', order_number, '141123221084922', 'test', 0, 0 FROM orders WHERE order_number = $1",
    )
    .bind(number)
    .execute(app.store.writer())
    .await
    .unwrap();
    let email = target["customer"]["email"].as_str().unwrap().to_uppercase();
    let phone_digits: String = target["customer"]["phone"]
        .as_str()
        .unwrap()
        .chars()
        .filter(|c| c.is_ascii_digit())
        .collect();
    let ten = &phone_digits[phone_digits.len() - 10..];
    for q in [
        number.to_string(),
        number.to_lowercase(),
        email,
        ten.to_string(),
        format!("+91 {} {}", &ten[..5], &ten[5..]),
        "141123221084922".to_string(),
    ] {
        let (status, page) = app
            .get_json(&format!("/api/v1/orders?q={}", urlencode(&q)), &key)
            .await;
        assert_eq!(status, 200);
        let found: Vec<&str> = page["orders"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["order_number"].as_str().unwrap())
            .collect();
        assert!(found.contains(&number), "{q:?} found {found:?}");
    }
    let (_, none) = app.get_json("/api/v1/orders?q=NO-SUCH-ORDER", &key).await;
    assert!(none["orders"].as_array().unwrap().is_empty());
    // The shipment row above is a fixture at `awb_assigned`, never driven.
    app.finish_leaving(Leftovers {
        shipments_mid_step: true,
        ..Leftovers::default()
    })
    .await;
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn bad_filters_are_listed_as_field_errors(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let key = app.api_key(&["orders:read"]).await;
    let (status, body) = app
        .get_json(
            "/api/v1/orders?status=lost&limit=500&cursor=%%%&placed_from=yesterday&view=odd",
            &key,
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let pointers: Vec<&str> = body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["pointer"].as_str().unwrap())
        .collect();
    for p in ["/status", "/limit", "/cursor", "/placed_from", "/view"] {
        assert!(pointers.contains(&p), "{p} missing in {pointers:?}");
    }
    app.finish().await;
}

async fn an_order_shows_items_addresses_and_history(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let envs = place(&app, 1..2).await;
    let key = app.api_key(&["orders:read"]).await;
    let data = &envs[0]["data"];
    let (status, o) = app
        .get_json(
            &format!("/api/v1/orders/{}", data["order_number"].as_str().unwrap()),
            &key,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        o["shipping_address"]["city"],
        data["shipping_address"]["city"]
    );
    assert_eq!(o["items"][0]["sku"], data["items"][0]["sku"]);
    assert_eq!(o["items"][0]["units"], data["items"][0]["units"]);
    assert_eq!(o["total_paise"], data["total_paise"]);
    assert_eq!(o["history"].as_array().unwrap().len(), 1);
    let (status, missing) = app.get_json("/api/v1/orders/NOPE-1", &key).await;
    assert_eq!(status, 404);
    assert_eq!(missing["error"], "not_found");
    app.finish().await;
}

async fn every_route_but_the_public_ones_needs_credentials(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let doc: Value = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.contains_key("/api/v1/orders") && paths.contains_key("/api/v1/order-events"));
    for (path, ops) in paths {
        let concrete = path.replace("{order_number}", "ORD-0000001");
        for method in ops.as_object().unwrap().keys() {
            let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let r = app
                .client
                .request(m, app.url(&concrete))
                .header("content-type", "application/json")
                .body("{}")
                .send()
                .await
                .unwrap();
            if orderly::router::PUBLIC_ROUTES.contains(&path.as_str()) {
                assert!(
                    r.status().is_success(),
                    "{method} {path} should be public, got {}",
                    r.status()
                );
            } else {
                assert_eq!(r.status(), 401, "{method} {path} must need credentials");
            }
        }
    }
    app.finish().await;
}
