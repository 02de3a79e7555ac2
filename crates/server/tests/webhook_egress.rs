//! Webhook SSRF protection through the front door, on SQLite and PostgreSQL: internal and plain
//! `http://` URLs are refused at registration (422) and again at connect time (an endpoint stored
//! before, or a name that resolves inside), and the delivery log shows coarse error classes.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;
mod delivery_harness;

use axum::Router;
use axum::routing::post;
use common::TestApp;
use delivery_harness::{Receiver, loopback_receivers};
use http::StatusCode;
use orderly::app::Clock;
use orderly::egress::EgressPolicy;
use orderly::workers::dispatch;
use orderly_store::Engine;
use orderly_store::delivery::{self, NewEndpoint};
use serde_json::Value;

stories!(
    internal_and_plain_http_webhook_urls_are_refused_at_registration,
    a_loopback_receiver_needs_both_overrides,
    an_endpoint_that_points_inside_is_refused_at_connect_time_and_receives_nothing,
    the_delivery_log_shows_coarse_error_classes_and_keeps_http_statuses,
    the_webhook_command_refuses_internal_and_plain_http_urls,
);

/// Registers `url` through the API; returns the status and body.
async fn register(app: &TestApp, url: &str) -> (u16, Value) {
    let admin = app.api_key(&["admin"]).await;
    let r = app
        .client
        .post(app.url("/api/v1/webhook-endpoints"))
        .bearer_auth(admin)
        .json(&serde_json::json!({ "url": url }))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

/// Stores an endpoint without the registration check (one registered before the policy, or
/// whose host name changed its answer since).
async fn stored_endpoint(app: &TestApp, url: &str) -> i64 {
    let new = NewEndpoint {
        url,
        secret: "whsec_0123456789abcdef0123",
        description: None,
    };
    delivery::create_endpoint(&app.store, &new, app.clock().now(), "test")
        .await
        .unwrap()
        .id
}

/// The error of the newest delivery attempt to `endpoint`.
async fn last_error(app: &TestApp, endpoint: i64) -> (Option<i64>, String) {
    let log = delivery::deliveries(&app.store, endpoint, 1).await.unwrap();
    let row = log.first().expect("an attempt was logged");
    (row.status_code, row.error.clone().unwrap_or_default())
}

async fn internal_and_plain_http_webhook_urls_are_refused_at_registration(engine: Engine) {
    let app = delivery_harness::builder(engine, false)
        .settings(|s| s.webhook_egress = EgressPolicy::default())
        .spawn()
        .await;
    for (url, why) in [
        ("https://127.0.0.1:6379/", "loopback"),
        ("https://169.254.169.254/latest/meta-data/", "link-local"),
        ("https://10.0.0.1/", "private"),
        ("https://[::1]/", "loopback"),
        ("https://[fd00::1]/", "unique local"),
        ("https://[::ffff:127.0.0.1]/", "loopback"),
        ("https://2130706433/", "loopback"),
        ("https://0x7f.0.0.1/", "loopback"),
        ("https://localhost:6379/", "loopback"),
        ("http://example.com/hook", "https://"),
        ("gopher://example.com/", "https://"),
    ] {
        let (status, body) = register(&app, url).await;
        assert_eq!(status, 422, "{url}: {body}");
        let field = &body["fields"][0];
        assert_eq!(field["pointer"], "/url", "{url}: {body}");
        let message = field["message"].as_str().unwrap();
        assert!(message.contains(why), "{url}: {message}");
    }
    let n = delivery::list_endpoints(&app.store).await.unwrap().len();
    assert_eq!(n, 0, "nothing was stored");
}

async fn a_loopback_receiver_needs_both_overrides(engine: Engine) {
    let rx = Receiver::start().await;
    let insecure_only = EgressPolicy {
        allow_insecure: true,
        ..EgressPolicy::default()
    };
    let app = delivery_harness::builder(engine, false)
        .settings(move |s| s.webhook_egress = insecure_only)
        .spawn()
        .await;
    let (status, body) = register(&app, &rx.url).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("loopback"), "{body}");
    drop(app);
    let app = delivery_harness::builder(engine, false)
        .settings(|s| s.webhook_egress = loopback_receivers())
        .spawn()
        .await;
    let (status, body) = register(&app, &rx.url).await;
    assert_eq!(status, 201, "{body}");
}

async fn an_endpoint_that_points_inside_is_refused_at_connect_time_and_receives_nothing(
    engine: Engine,
) {
    let rx = Receiver::start().await;
    let port = rx.url.rsplit(':').next().unwrap().to_string();
    let lax_scheme = EgressPolicy {
        allow_insecure: true,
        ..EgressPolicy::default()
    };
    let app = delivery_harness::builder(engine, false)
        .settings(move |s| s.webhook_egress = lax_scheme)
        .spawn()
        .await;
    // A literal address (never reaches a resolver) and a name that resolves to loopback (what a
    // DNS-rebinding attacker's name does after registration).
    let literal = stored_endpoint(&app, &rx.url).await;
    let named = stored_endpoint(&app, &format!("http://localhost:{port}")).await;
    let decimal = stored_endpoint(&app, &format!("http://2130706433:{port}")).await;
    app.event(None, 0).await;
    assert_eq!(dispatch::run_once(&app.state).await.unwrap(), 0);
    assert!(rx.accepted().is_empty(), "the receiver was reached");
    for endpoint in [literal, named, decimal] {
        let (status, error) = last_error(&app, endpoint).await;
        assert_eq!(status, None);
        assert_eq!(error, "refused: the host is a loopback address");
    }
    drop(app);
    // Without the insecure override a stored http:// endpoint is refused before connecting.
    let app = delivery_harness::builder(engine, false)
        .settings(|s| {
            s.webhook_egress = EgressPolicy {
                allowed_networks: vec!["127.0.0.1/32".parse().unwrap()],
                ..EgressPolicy::default()
            }
        })
        .spawn()
        .await;
    let plain = stored_endpoint(&app, &rx.url).await;
    app.event(None, 1).await;
    dispatch::run_once(&app.state).await.unwrap();
    assert!(rx.accepted().is_empty(), "the receiver was reached");
    let (_, error) = last_error(&app, plain).await;
    assert!(error.contains("must use https://"), "{error}");
}

/// A receiver that answers 500 with an internal-looking body, or redirects inside.
async fn internal_service() -> String {
    let router = Router::new()
        .route(
            "/fail",
            post(|| async {
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "-ERR redis 7.2 internal stack trace",
                )
            }),
        )
        .route(
            "/redirect",
            post(|| async {
                (
                    StatusCode::TEMPORARY_REDIRECT,
                    [("location", "http://169.254.169.254/latest/meta-data/")],
                )
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("127.0.0.1:{}", listener.local_addr().unwrap().port());
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    base
}

async fn the_delivery_log_shows_coarse_error_classes_and_keeps_http_statuses(engine: Engine) {
    let app = delivery_harness::builder(engine, false)
        .settings(|_| {})
        .spawn()
        .await;
    let service = internal_service().await;
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let cases = [
        (
            format!("http://127.0.0.1:{closed}/"),
            None,
            "connection refused",
        ),
        (format!("https://{service}/fail"), None, "TLS error"),
        (format!("http://{service}/fail"), Some(500), "HTTP 500"),
        (format!("http://{service}/redirect"), Some(307), "HTTP 307"),
    ];
    let mut ids = Vec::new();
    for (url, _, _) in &cases {
        let (status, body) = register(&app, url).await;
        assert_eq!(status, 201, "{url}: {body}");
        ids.push(body["id"].as_i64().unwrap());
    }
    app.event(None, 0).await;
    dispatch::run_once(&app.state).await.unwrap();
    for (id, (url, code, class)) in ids.into_iter().zip(cases) {
        let (status, error) = last_error(&app, id).await;
        assert_eq!(status, code, "{url}");
        assert_eq!(error, class, "{url}");
    }
}

async fn the_webhook_command_refuses_internal_and_plain_http_urls(engine: Engine) {
    let app = delivery_harness::builder(engine, false)
        .settings(|_| {})
        .spawn()
        .await;
    let add = |url: &str, insecure: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_orderly"))
            .args(["webhook", "add", "--url", url])
            .env("ORDERLY_DATABASE_URL", &app.state.settings.database_url)
            .env("ORDERLY_LOG", "warn")
            .env("ORDERLY_ALLOW_INSECURE_WEBHOOKS", insecure)
            .env_remove("ORDERLY_WEBHOOK_ALLOWED_NETWORKS")
            .output()
            .unwrap()
    };
    for (url, insecure, why) in [
        (
            "https://169.254.169.254/latest/meta-data/",
            "0",
            "link-local",
        ),
        ("http://127.0.0.1:6379/", "1", "loopback"),
        ("http://example.com/hook", "0", "https://"),
    ] {
        let out = add(url, insecure);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{url} was added");
        assert!(stderr.contains(why), "{url}: {stderr}");
    }
    assert!(
        delivery::list_endpoints(&app.store)
            .await
            .unwrap()
            .is_empty()
    );
}
