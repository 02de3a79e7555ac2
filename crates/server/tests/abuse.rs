//! Abuse without credentials, through the front door on SQLite and PostgreSQL: the intake's
//! signature header cannot burn CPU, sign-in limits hold under parallel guesses and cannot lock a
//! user out from elsewhere, no open redirect after sign-in, sizes are checked before work, one
//! idempotency key runs its action once, old rows are swept, and wrong tracking tokens are limited.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;
mod dashboard;

use std::time::{Duration, Instant};

use common::{TRACKING_TOKEN, TestApp, envelope};
use dashboard::{PASSWORD, add_user, csrf_in, form, no_redirects, set_cookie, try_sign_in};
use orderly_store::Engine;
use orderly_store::accounts::Role;
use serde_json::json;
use sqlx::Row;
use time::OffsetDateTime;

stories!(
    a_header_with_thousands_of_empty_signatures_is_refused_at_once_and_healthz_stays_fast,
    a_next_with_a_tab_or_newline_after_sign_in_goes_to_the_order_list,
    parallel_wrong_guesses_for_one_email_are_checked_at_most_five_times,
    failures_from_one_address_do_not_lock_the_user_out_from_another,
    an_email_over_254_bytes_is_refused_before_any_work_and_never_stored,
    a_batch_over_the_cap_is_refused_even_when_its_numbers_repeat,
    a_long_cancel_reason_or_address_line2_is_refused_and_nothing_changes,
    a_long_query_string_or_search_is_refused,
    concurrent_requests_with_one_idempotency_key_run_the_action_once,
    the_retention_job_deletes_only_rows_past_their_age,
    wrong_tracking_tokens_from_one_address_are_limited,
);

async fn a_header_with_thousands_of_empty_signatures_is_refused_at_once_and_healthz_stays_fast(
    engine: Engine,
) {
    let app = TestApp::spawn(engine).await;
    let t = OffsetDateTime::now_utc().unix_timestamp();
    let header = format!("t={t},{}", vec!["v1="; 3000].join(","));
    let body = format!("{{\"pad\":\"{}\"}}", "x".repeat(1_000_000));
    // The server refuses on the header before reading the body and closes the connection, so the
    // attacks use their own unpooled client: no other request may reuse such a connection.
    let attack = |header: String, body: String| {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()
            .unwrap();
        let url = app.url("/api/v1/order-events");
        async move {
            let started = Instant::now();
            let r = client
                .post(url)
                .header("content-type", "application/json")
                .header("orderly-signature", header)
                .body(body)
                .send()
                .await;
            (r.map(|r| r.status().as_u16()), started.elapsed())
        }
    };
    let attacks: Vec<_> = (0..3)
        .map(|_| tokio::spawn(attack(header.clone(), body.clone())))
        .collect();
    let started = Instant::now();
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    let health_took = started.elapsed();
    assert_eq!(health.status(), 200);
    for a in attacks {
        let (status, took) = tokio::time::timeout(Duration::from_secs(10), a)
            .await
            .expect("refused within 10 s")
            .unwrap();
        // Refused on the header alone; the body is only drained so the client reads the 401.
        assert_eq!(status.ok(), Some(401));
        assert!(took < Duration::from_secs(1), "refused after {took:?}");
    }
    assert!(
        health_took < Duration::from_millis(500),
        "/healthz took {health_took:?}"
    );
    // A header just under the cap with too many well-formed signatures is refused too.
    let five = format!(
        "t={t},{}",
        vec![format!("v1={}", "00".repeat(32)); 5].join(",")
    );
    let r = app.post_event_signed(&envelope(1).to_string(), &five).await;
    assert_eq!(r.status(), 401);
    assert!(r.text().await.unwrap().contains("malformed"));
}

/// Signs in with `next`; returns the Location the browser is sent to.
async fn sign_in_to(app: &TestApp, next: &str) -> String {
    let client = no_redirects();
    let page = client.get(app.url("/login")).send().await.unwrap();
    let login_cookie = set_cookie(&page, "orderly_login").unwrap();
    let csrf = csrf_in(&page.text().await.unwrap());
    let r = client
        .post(app.url("/login"))
        .header("cookie", login_cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("email", "ops@example.in"),
            ("password", PASSWORD),
            ("csrf", &csrf),
            ("next", next),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "next={next:?}");
    r.headers()["location"].to_str().unwrap().to_string()
}

async fn a_next_with_a_tab_or_newline_after_sign_in_goes_to_the_order_list(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    add_user(&app, "ops@example.in", Role::Operator).await;
    for evil in [
        "/\t/evil.example",
        "/\n/evil.example",
        "/\r\n/evil.example",
        "//evil.example",
        "/\\evil.example",
        "https://evil.example/",
        "/ /evil.example",
    ] {
        assert_eq!(sign_in_to(&app, evil).await, "/orders", "next={evil:?}");
    }
    assert_eq!(
        sign_in_to(&app, "/orders/ORD-1?tab=all").await,
        "/orders/ORD-1?tab=all"
    );
    // The login page does not carry a hostile next into its form either.
    let html = app
        .client
        .get(app.url("/login?next=/%09/evil.example"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !html.contains("evil.example"),
        "the form keeps the hostile next"
    );
}

async fn parallel_wrong_guesses_for_one_email_are_checked_at_most_five_times(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    add_user(&app, "admin@example.in", Role::Admin).await;
    let guesses: Vec<_> = (0..16)
        .map(|i| {
            let app = &app;
            async move {
                try_sign_in(app, "admin@example.in", &format!("guess-{i}"))
                    .await
                    .status()
                    .as_u16()
            }
        })
        .collect();
    let statuses = futures_util::future::join_all(guesses).await;
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert!(checked <= 5, "{checked} guesses were checked: {statuses:?}");
    assert_eq!(checked + refused, 16, "{statuses:?}");
}

/// Posts the login form as if a trusted proxy said the client is `ip`.
async fn sign_in_from(app: &TestApp, ip: &str, email: &str, password: &str) -> u16 {
    let client = no_redirects();
    let page = client.get(app.url("/login")).send().await.unwrap();
    let login_cookie = set_cookie(&page, "orderly_login").unwrap();
    let csrf = csrf_in(&page.text().await.unwrap());
    client
        .post(app.url("/login"))
        .header("cookie", login_cookie)
        .header("x-forwarded-for", format!("10.9.9.9, {ip}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("email", email),
            ("password", password),
            ("csrf", &csrf),
        ]))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn failures_from_one_address_do_not_lock_the_user_out_from_another(engine: Engine) {
    let app = TestApp::builder(engine)
        .settings(|s| s.trusted_proxy_header = Some("x-forwarded-for".parse().unwrap()))
        .spawn()
        .await;
    add_user(&app, "admin@example.in", Role::Admin).await;
    let attacker = "198.51.100.7";
    for _ in 0..5 {
        assert_eq!(
            sign_in_from(&app, attacker, "admin@example.in", "guess").await,
            401
        );
    }
    assert_eq!(
        sign_in_from(&app, attacker, "admin@example.in", PASSWORD).await,
        429,
        "the guessing address is locked out"
    );
    assert_eq!(
        sign_in_from(&app, "203.0.113.9", "admin@example.in", PASSWORD).await,
        303,
        "the admin still signs in from their own address"
    );
}

async fn count(app: &TestApp, sql: &'static str) -> i64 {
    sqlx::query(sql)
        .fetch_one(app.store.writer())
        .await
        .unwrap()
        .try_get::<i64, _>(0)
        .unwrap()
}

async fn an_email_over_254_bytes_is_refused_before_any_work_and_never_stored(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let long = format!("{}@example.in", "a".repeat(2_000_000 / 1000));
    let r = try_sign_in(&app, &long, "whatever-password").await;
    assert_eq!(r.status(), 401);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM login_attempts").await, 0);
    // A body over the form limit is refused before it is parsed.
    let r = try_sign_in(&app, &"a".repeat(200_000), "x").await;
    assert_eq!(r.status(), 413);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM login_attempts").await, 0);
}

async fn writer_key(app: &TestApp) -> String {
    app.api_key(&["orders:read", "orders:write"]).await
}

async fn a_batch_over_the_cap_is_refused_even_when_its_numbers_repeat(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let key = writer_key(&app).await;
    let n = app.place(1).await;
    let repeated = vec![n.clone(); 1_001];
    let (status, body) = app
        .post_json(
            "/api/v1/batches",
            &key,
            json!({ "kind": "mark_processing", "order_numbers": repeated }),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let long = vec!["X".repeat(51)];
    let (status, body) = app
        .post_json(
            "/api/v1/batches",
            &key,
            json!({ "kind": "mark_processing", "order_numbers": long }),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    // 100,000 numbers never reach de-duplication: the body is over the limit.
    let many: Vec<String> = (0..100_000).map(|i| format!("N{i}")).collect();
    let (status, _) = app
        .post_json(
            "/api/v1/batches",
            &key,
            json!({ "kind": "mark_processing", "order_numbers": many }),
        )
        .await;
    assert_eq!(status, 413);
    let (status, body) = app
        .post_json(
            "/api/v1/batches",
            &key,
            json!({ "kind": "mark_processing", "order_numbers": [n.clone(), n] }),
        )
        .await;
    assert_eq!(status, 202, "{body}");
}

async fn a_long_cancel_reason_or_address_line2_is_refused_and_nothing_changes(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let key = writer_key(&app).await;
    let n = app.place(2).await;
    let (status, body) = app
        .post_json(
            &format!("/api/v1/orders/{n}/cancel"),
            &key,
            json!({ "reason": "r".repeat(10_000) }),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["fields"][0]["pointer"], "/reason");
    let (_, order) = app.get_json(&format!("/api/v1/orders/{n}"), &key).await;
    assert_eq!(order["status"], "placed");
    let r = app
        .client
        .put(app.url(&format!("/api/v1/orders/{n}/shipping-address")))
        .bearer_auth(&key)
        .json(&json!({ "address": {
            "name": "Asha Rao", "line1": "12 MG Road", "line2": "l".repeat(5_000),
            "city": "Pune", "state": "Maharashtra", "pincode": "411001", "country": "IN"
        } }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["fields"][0]["pointer"], "/line2", "{body}");
    let (_, after) = app.get_json(&format!("/api/v1/orders/{n}"), &key).await;
    assert_eq!(after["version"], order["version"]);
}

async fn a_long_query_string_or_search_is_refused(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let key = app.api_key(&["orders:read"]).await;
    let (status, _) = app
        .get_json(&format!("/api/v1/orders?q={}", "9".repeat(3_000)), &key)
        .await;
    assert_eq!(status, 414);
    let (status, body) = app
        .get_json(&format!("/api/v1/orders?q={}", "9".repeat(300)), &key)
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, _) = app.get_json("/api/v1/orders?q=9876543210", &key).await;
    assert_eq!(status, 200);
}

async fn concurrent_requests_with_one_idempotency_key_run_the_action_once(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let key = writer_key(&app).await;
    let n = app.place(3).await;
    let url = app.url(&format!("/api/v1/orders/{n}/notes"));
    let requests: Vec<_> = (0..8)
        .map(|_| {
            app.client
                .post(&url)
                .bearer_auth(&key)
                .header("idempotency-key", "note-once")
                .json(&json!({ "text": "Call before delivery" }))
                .send()
        })
        .collect();
    let statuses: Vec<u16> = futures_util::future::join_all(requests)
        .await
        .into_iter()
        .map(|r| r.unwrap().status().as_u16())
        .collect();
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 409),
        "{statuses:?}"
    );
    let (_, listed) = app
        .get_json(&format!("/api/v1/orders/{n}/shipments"), &key)
        .await;
    assert_eq!(listed["notes"].as_array().unwrap().len(), 1, "{statuses:?}");
    // Once answered, a repeat gets the stored answer; an error frees its key for a retry.
    let again = app
        .client
        .post(&url)
        .bearer_auth(&key)
        .header("idempotency-key", "note-once")
        .json(&json!({ "text": "Call before delivery" }))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 201);
    for text in ["  ", "Fixed on retry"] {
        let r = app
            .client
            .post(&url)
            .bearer_auth(&key)
            .header("idempotency-key", "retry-after-error")
            .json(&json!({ "text": text }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), if text.trim().is_empty() { 422 } else { 201 });
    }
}

async fn the_retention_job_deletes_only_rows_past_their_age(engine: Engine) {
    let app = TestApp::builder(engine).web_only().spawn().await;
    let now = OffsetDateTime::now_utc();
    let micros = |days: i64| {
        i64::try_from((now - time::Duration::days(days)).unix_timestamp_nanos() / 1000).unwrap()
    };
    let w = app.store.writer();
    add_user(&app, "ops@example.in", Role::Operator).await;
    let user: i64 = sqlx::query("SELECT id FROM users")
        .fetch_one(w)
        .await
        .unwrap()
        .try_get("id")
        .unwrap();
    let endpoint = orderly_store::delivery::create_endpoint(
        &app.store,
        &orderly_store::delivery::NewEndpoint {
            url: "https://hooks.example.in/orderly",
            secret: "endpoint-secret-0123456789",
            description: None,
        },
        now,
        "test",
    )
    .await
    .unwrap();
    for (label, days) in [("old", 40), ("new", 0)] {
        let at = micros(days);
        sqlx::query("INSERT INTO idempotency_keys (scope, key, request_hash, status, response, created_at) VALUES ('s', $1, 'h', 201, '{}', $2)")
            .bind(label).bind(at).execute(w).await.unwrap();
        sqlx::query("INSERT INTO login_attempts (email, at, succeeded) VALUES ($1, $2, 0)")
            .bind(label)
            .bind(at)
            .execute(w)
            .await
            .unwrap();
        sqlx::query("INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, 'c', $3, $4)")
            .bind(label).bind(user).bind(at).bind(at + 3_600_000_000).execute(w).await.unwrap();
        sqlx::query("INSERT INTO webhook_deliveries (endpoint_id, seq, event_id, attempt, at, outcome, duration_us) VALUES ($1, 1, $2, 1, $3, 'delivered', 1)")
            .bind(endpoint.id).bind(label).bind(at).execute(w).await.unwrap();
    }
    let swept = orderly::workers::retention::sweep_once(&app.state)
        .await
        .unwrap();
    assert_eq!(
        (
            swept.idempotency_keys,
            swept.login_attempts,
            swept.sessions,
            swept.webhook_deliveries
        ),
        (1, 1, 1, 1)
    );
    for sql in [
        "SELECT COUNT(*) FROM idempotency_keys",
        "SELECT COUNT(*) FROM login_attempts",
        "SELECT COUNT(*) FROM sessions",
        "SELECT COUNT(*) FROM webhook_deliveries",
    ] {
        assert_eq!(count(&app, sql).await, 1, "{sql}: the recent row stays");
    }
}

async fn post_tracking(app: &TestApp, token: &str) -> u16 {
    app.client
        .post(app.url("/api/v1/tracking-updates"))
        .header("x-api-key", token)
        .header("content-type", "application/json")
        .body(r#"{"awb":"19041234567890","current_status":"DELIVERED","shipment_status_id":7}"#)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn wrong_tracking_tokens_from_one_address_are_limited(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let first = post_tracking(&app, TRACKING_TOKEN).await;
    assert!(first == 200 || first == 422, "{first}");
    for _ in 0..orderly::throttle::TRACKING_FAILURES_PER_MINUTE {
        assert_eq!(post_tracking(&app, "wrong-token-0123456789").await, 401);
    }
    assert_eq!(post_tracking(&app, "wrong-token-0123456789").await, 429);
    assert_eq!(post_tracking(&app, TRACKING_TOKEN).await, 429);
}

#[test]
fn a_tracking_webhook_token_under_16_characters_is_refused_at_start_up() {
    let short = orderly::Settings::from_lookup(|k| {
        (k == "ORDERLY_TRACKING_WEBHOOK_TOKEN").then(|| "short-token".to_string())
    });
    assert!(short.is_err());
    let long = orderly::Settings::from_lookup(|k| {
        (k == "ORDERLY_TRACKING_WEBHOOK_TOKEN").then(|| "a-long-enough-token".to_string())
    })
    .unwrap();
    assert!(long.tracking_webhook_token.is_some());
}
