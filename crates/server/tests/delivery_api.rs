//! The pull feed, the webhook endpoint API and /metrics through the front door, on SQLite and
//! PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;
mod delivery_harness;

use delivery_harness::Receiver;
use orderly::workers::dispatch;
use orderly_store::Engine;
use serde_json::Value;

stories!(
    the_pull_feed_pages_through_every_event_in_order,
    webhook_endpoints_need_an_admin_key_and_never_show_the_secret_again,
    metrics_need_a_key_and_show_the_outbox_lag,
    the_webhook_commands_add_list_and_replay,
);

async fn the_pull_feed_pages_through_every_event_in_order(engine: Engine) {
    let app = delivery_harness::builder(engine, false).spawn().await;
    let mut ids = Vec::new();
    for n in 0..7 {
        ids.push(app.event(None, n).await);
    }
    let key = app.api_key(&["events:read"]).await;
    let get = |path: String| {
        let (app, key) = (&app, &key);
        async move {
            let r = app
                .client
                .get(app.url(&path))
                .bearer_auth(key)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let mut seen = Vec::new();
    let mut after = "0".to_string();
    for _ in 0..10 {
        let (status, page) = get(format!("/api/v1/events?after={after}&limit=3")).await;
        assert_eq!(status, 200);
        let events = page["events"].as_array().unwrap();
        after = page["next_cursor"].as_str().unwrap().to_string();
        if events.is_empty() {
            break;
        }
        assert!(events.len() <= 3);
        for e in events {
            assert_eq!(e["type"], "OrderStatusChanged");
            assert!(e["occurred_at"].is_string() && e["data"].is_object());
            seen.push(e["id"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(seen, ids);
    let (status, page) = get(format!("/api/v1/events?after={after}")).await;
    assert_eq!(
        (status, page["next_cursor"].as_str().unwrap()),
        (200, after.as_str()),
        "an empty page keeps the cursor"
    );
    let (status, body) = get("/api/v1/events?after=abc&limit=0".into()).await;
    assert_eq!(status, 422);
    assert_eq!(body["fields"].as_array().unwrap().len(), 2);
    let orders_only = app.api_key(&["orders:read"]).await;
    let r = app
        .client
        .get(app.url("/api/v1/events"))
        .bearer_auth(orders_only)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    app.finish().await;
}

async fn webhook_endpoints_need_an_admin_key_and_never_show_the_secret_again(engine: Engine) {
    let app = delivery_harness::builder(engine, false).spawn().await;
    let admin = app.api_key(&["admin"]).await;
    let reader = app.api_key(&["orders:read", "events:read"]).await;
    let list = app.url("/api/v1/webhook-endpoints");
    assert_eq!(app.client.get(&list).send().await.unwrap().status(), 401);
    assert_eq!(
        app.client
            .get(&list)
            .bearer_auth(&reader)
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    let bad = serde_json::json!({ "url": "ftp://x", "secret": "short" });
    let r = app
        .client
        .post(&list)
        .bearer_auth(&admin)
        .json(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["fields"].as_array().unwrap().len(), 2);
    let good = serde_json::json!({ "url": "https://hooks.example.invalid/orderly", "secret": "a-long-enough-secret-123" });
    let r = app
        .client
        .post(&list)
        .bearer_auth(&admin)
        .json(&good)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    assert_eq!(created["secret"], "a-long-enough-secret-123");
    let id = created["id"].as_i64().unwrap();
    let listed: Value = app
        .client
        .get(&list)
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        listed["endpoints"][0]["url"],
        "https://hooks.example.invalid/orderly"
    );
    assert!(!listed.to_string().contains("a-long-enough-secret-123"));
    let r = app
        .client
        .delete(app.url(&format!("/api/v1/webhook-endpoints/{id}")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["enabled"], false);
    let r = app
        .client
        .delete(app.url("/api/v1/webhook-endpoints/999"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    app.finish().await;
}

async fn metrics_need_a_key_and_show_the_outbox_lag(engine: Engine) {
    let app = delivery_harness::builder(engine, false).spawn().await;
    let rx = Receiver::start().await;
    app.order(1).await;
    let (endpoint, _) = app.add_endpoint(&rx.url).await;
    app.event(None, 0).await;
    app.event(None, 1).await;
    assert_eq!(
        app.client
            .get(app.url("/metrics"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    let reader = app.api_key(&["orders:read"]).await;
    assert_eq!(
        app.client
            .get(app.url("/metrics"))
            .bearer_auth(reader)
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    let key = app.api_key(&["metrics:read"]).await;
    let scrape = || async {
        let r = app
            .client
            .get(app.url("/metrics"))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/plain")
        );
        r.text().await.unwrap()
    };
    let text = scrape().await;
    let lag = format!("orderly_outbox_lag_events{{consumer=\"webhook:{endpoint}\"}} 2");
    assert!(text.contains(&lag), "{text}");
    assert!(
        text.contains("orderly_orders{status=\"placed\"} 1"),
        "{text}"
    );
    dispatch::run_once(&app.state).await.unwrap();
    let text = scrape().await;
    assert!(
        text.contains(&format!(
            "orderly_outbox_lag_events{{consumer=\"webhook:{endpoint}\"}} 0"
        )),
        "{text}"
    );
    assert!(
        text.contains("orderly_webhook_attempts_total{outcome=\"delivered\"} 2"),
        "{text}"
    );
    app.finish().await;
}

fn orderly(database_url: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_orderly"))
        .args(args)
        .env("ORDERLY_DATABASE_URL", database_url)
        .env("ORDERLY_LOG", "warn")
        // The test receiver is http://127.0.0.1 (tests/webhook_egress.rs shows both are refused by default).
        .env("ORDERLY_ALLOW_INSECURE_WEBHOOKS", "1")
        .env("ORDERLY_WEBHOOK_ALLOWED_NETWORKS", "127.0.0.1/32")
        .output()
        .expect("run orderly")
}

async fn the_webhook_commands_add_list_and_replay(engine: Engine) {
    let app = delivery_harness::builder(engine, false).spawn().await;
    let url = app.state.settings.database_url.clone();
    let rx = Receiver::start().await;
    let out = orderly(
        &url,
        &["webhook", "add", "--url", &rx.url, "--description", "crm"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let secret = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(
        secret.starts_with("whsec_") && secret.len() > 20,
        "{secret}"
    );
    let bad = orderly(&url, &["webhook", "add", "--url", "not a url"]);
    assert!(!bad.status.success());
    let list = String::from_utf8(orderly(&url, &["webhook", "list"]).stdout).unwrap();
    assert!(list.contains(&rx.url) && list.contains("crm"), "{list}");
    assert!(!list.contains(&secret), "the secret is shown once");
    let id = app.event(None, 0).await;
    dispatch::run_once(&app.state).await.unwrap();
    let out = orderly(&url, &["webhook", "replay", "--event", &id]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The command queued it on the wall clock; the app runs on a clock that stands still.
    app.clock().advance(time::Duration::minutes(1));
    dispatch::run_once(&app.state).await.unwrap();
    assert_eq!(rx.ids(), vec![id.clone(), id]);
    let missing = orderly(&url, &["webhook", "replay", "--event", "nope"]);
    assert!(!missing.status.success());
    app.finish().await;
}
