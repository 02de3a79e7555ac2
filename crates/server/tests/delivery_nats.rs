//! NATS JetStream delivery and intake against the local server (127.0.0.1:4222, anonymous), on
//! SQLite and PostgreSQL, and against a `nats-server` this file starts with a password. Each test
//! uses its own stream and subject prefix so tests can run side by side.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;
mod delivery_harness;

use std::time::{Duration, Instant};

use async_nats::jetstream;
use common::{SECRET as INTAKE_SECRET, TestApp};
use orderly::Settings;
use orderly::config::Secret;
use orderly::workers::nats;
use orderly_store::Engine;

const NATS: &str = "nats://127.0.0.1:4222";

stories!(
    an_event_published_twice_is_stored_once_in_jetstream,
    a_redelivered_order_placed_message_stores_one_order_and_invalid_ones_are_acknowledged,
    an_order_placed_message_without_a_valid_signature_is_dropped,
    orderly_refuses_an_anonymous_nats_connection_unless_allowed,
    orderly_authenticates_to_a_nats_server_that_requires_a_password,
);

/// Points Orderly at the anonymous local NATS (allowed explicitly) with its own stream and prefix.
fn local_nats(stream: &str, prefix: &str) -> impl FnOnce(&mut Settings) + use<> {
    let (stream, prefix) = (stream.to_string(), prefix.to_string());
    move |settings| {
        settings.nats_url = Some(NATS.into());
        settings.nats_stream = stream;
        settings.nats_subject_prefix = prefix;
        settings.nats_auth.allow_anonymous = true;
    }
}

/// Publishes `payload` on `subject` with message id `id`, signed with `signature` when given.
async fn publish(
    js: &jetstream::Context,
    subject: &str,
    payload: &str,
    id: &str,
    signature: Option<String>,
) {
    let mut message = jetstream::message::PublishMessage::build()
        .payload(payload.to_string().into())
        .message_id(id);
    if let Some(sig) = signature {
        message = message.header("Orderly-Signature", sig.as_str());
    }
    js.send_publish(subject.to_string(), message)
        .await
        .unwrap()
        .await
        .unwrap();
}

/// `Orderly-Signature` for `payload`, made `age_secs` ago with `secret`.
fn sign(secret: &str, payload: &str, age_secs: i64) -> Option<String> {
    let t = time::OffsetDateTime::now_utc().unix_timestamp() - age_secs;
    Some(orderly::signature::sign(secret, t, payload.as_bytes()))
}

async fn order_count(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM orders")
        .fetch_one(app.store.reader())
        .await
        .unwrap()
}

/// Waits until the intake consumer has acknowledged `n` messages.
async fn all_acknowledged(js: &jetstream::Context, stream: &str, prefix: &str, n: u64) {
    let consumer = nats::intake_consumer(js, stream, prefix).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let mut c = consumer.clone();
        let info = c.info().await.unwrap().clone();
        if info.num_ack_pending == 0 && info.num_pending == 0 && info.delivered.stream_sequence >= n
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "messages not all acknowledged: {info:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A unique (stream, prefix) pair.
fn names() -> (String, String) {
    let id = uuid::Uuid::new_v4().simple().to_string();
    (format!("T{}", &id[..12]), format!("t{}.orders", &id[..12]))
}

async fn stream_messages(js: &jetstream::Context, name: &str) -> u64 {
    js.get_stream(name)
        .await
        .unwrap()
        .info()
        .await
        .unwrap()
        .state
        .messages
}

async fn an_event_published_twice_is_stored_once_in_jetstream(engine: Engine) {
    let (stream, prefix) = names();
    let app = delivery_harness::builder(engine, false)
        .settings(local_nats(&stream, &prefix))
        .spawn()
        .await;
    let js = nats::connect(&app.state.settings).await.unwrap();
    let ids = [app.event(None, 0).await, app.event(None, 1).await];
    assert_eq!(nats::publish_once(&app.state, &js, "w1").await.unwrap(), 2);
    assert_eq!(
        nats::publish_once(&app.state, &js, "w1").await.unwrap(),
        0,
        "the cursor moved"
    );
    // Rewind the cursor as if a worker crashed before recording its progress: JetStream drops the
    // duplicates by Nats-Msg-Id.
    sqlx::query("UPDATE delivery_cursors SET seq = 0")
        .execute(app.store.writer())
        .await
        .unwrap();
    assert_eq!(nats::publish_once(&app.state, &js, "w1").await.unwrap(), 2);
    assert_eq!(stream_messages(&js, &stream).await, 2);
    let info = js.get_stream(&stream).await.unwrap();
    let first = info.get_raw_message(1).await.unwrap();
    assert_eq!(first.subject.as_str(), format!("{prefix}.status_changed"));
    assert_eq!(
        first.headers.get("Nats-Msg-Id").map(|v| v.as_str()),
        Some(ids[0].as_str())
    );
    let env: serde_json::Value = serde_json::from_slice(&first.payload).unwrap();
    assert_eq!(env["id"], ids[0].as_str());
    // Another worker cannot publish while the cursor is leased.
    assert_eq!(nats::publish_once(&app.state, &js, "w2").await.unwrap(), 0);
    assert_eq!(nats::subject("orders", "OrderShipped"), "orders.shipped");
    js.delete_stream(&stream).await.unwrap();
    app.finish().await;
}

async fn a_redelivered_order_placed_message_stores_one_order_and_invalid_ones_are_acknowledged(
    engine: Engine,
) {
    let (stream, prefix) = names();
    let app = delivery_harness::builder(engine, true)
        .settings(local_nats(&stream, &prefix))
        .spawn()
        .await;
    let js = nats::connect(&app.state.settings).await.unwrap();
    let body = common::envelope(7).to_string();
    let subject = format!("{prefix}.placed");
    // The same event twice (different message ids, so JetStream keeps both), then garbage; all signed.
    for (i, payload) in [body.clone(), body.clone(), "{not json".to_string()]
        .into_iter()
        .enumerate()
    {
        let sig = sign(INTAKE_SECRET, &payload, 0);
        publish(&js, &subject, &payload, &format!("m{i}"), sig).await;
    }
    all_acknowledged(&js, &stream, &prefix, 3).await;
    assert_eq!(
        order_count(&app).await,
        1,
        "one order for a redelivered event"
    );
    let source: String = sqlx::query_scalar("SELECT source FROM processed_events")
        .fetch_one(app.store.reader())
        .await
        .unwrap();
    assert_eq!(source, "nats");
    let text = app.state.metrics.render();
    assert!(
        text.contains("orderly_nats_intake_total{outcome=\"created\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("orderly_nats_intake_total{outcome=\"duplicate\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("orderly_nats_intake_total{outcome=\"malformed\"} 1"),
        "{text}"
    );
    app.finish().await;
    js.delete_stream(&stream).await.unwrap();
}

async fn an_order_placed_message_without_a_valid_signature_is_dropped(engine: Engine) {
    let (stream, prefix) = names();
    let app = delivery_harness::builder(engine, true)
        .settings(local_nats(&stream, &prefix))
        .spawn()
        .await;
    let js = nats::connect(&app.state.settings).await.unwrap();
    let subject = format!("{prefix}.placed");
    let orders: Vec<String> = (11..15).map(|n| common::envelope(n).to_string()).collect();
    let forged = "forged-secret-0123456789abcdef";
    let refused = [
        None,                                  // unsigned
        sign(forged, &orders[1], 0),           // another secret
        sign(INTAKE_SECRET, &orders[2], 3600), // an hour older than its publication
    ];
    for (i, sig) in refused.into_iter().enumerate() {
        publish(&js, &subject, &orders[i], &format!("bad{i}"), sig).await;
    }
    let good = sign(INTAKE_SECRET, &orders[3], 0);
    publish(&js, &subject, &orders[3], "good", good).await;
    all_acknowledged(&js, &stream, &prefix, 4).await;
    let stored: Vec<String> = sqlx::query_scalar("SELECT order_number FROM orders")
        .fetch_all(app.store.reader())
        .await
        .unwrap();
    let expected: serde_json::Value = serde_json::from_str(&orders[3]).unwrap();
    assert_eq!(stored, [expected["data"]["order_number"].as_str().unwrap()]);
    let text = app.state.metrics.render();
    for line in [
        "orderly_nats_intake_total{outcome=\"unsigned\"} 1",
        "orderly_nats_intake_total{outcome=\"bad_signature\"} 2",
        "orderly_nats_intake_total{outcome=\"created\"} 1",
    ] {
        assert!(text.contains(line), "{line} in {text}");
    }
    app.finish().await;
    js.delete_stream(&stream).await.unwrap();
}

async fn orderly_refuses_an_anonymous_nats_connection_unless_allowed(engine: Engine) {
    let (stream, prefix) = names();
    let not_allowed = local_nats(&stream, &prefix);
    let app = delivery_harness::builder(engine, true)
        .settings(move |s| {
            not_allowed(s);
            s.nats_auth.allow_anonymous = false;
        })
        .spawn()
        .await;
    // Someone publishes a signed order; Orderly's NATS worker must not have started.
    let mut allowed = (*app.state.settings).clone();
    allowed.nats_auth.allow_anonymous = true;
    let js = nats::connect(&allowed).await.unwrap();
    let body = common::envelope(21).to_string();
    let sig = sign(INTAKE_SECRET, &body, 0);
    publish(&js, &format!("{prefix}.placed"), &body, "m0", sig).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        order_count(&app).await,
        0,
        "an anonymous connection took an order"
    );
    let consumer = js
        .get_stream(&stream)
        .await
        .unwrap()
        .consumer_info(nats::DURABLE)
        .await;
    assert!(
        consumer.is_err(),
        "Orderly created its consumer anonymously"
    );
    let err = format!(
        "{:#}",
        nats::connect(&app.state.settings).await.unwrap_err()
    );
    assert!(err.contains("ORDERLY_NATS_ALLOW_ANONYMOUS"), "{err}");
    // Started from the environment, the same configuration is refused at once.
    let err = Settings::from_lookup(|k| (k == "ORDERLY_NATS_URL").then(|| NATS.to_string()))
        .unwrap_err()
        .to_string();
    assert!(err.contains("ORDERLY_NATS_ALLOW_ANONYMOUS"), "{err}");
    app.finish().await;
    js.delete_stream(&stream).await.unwrap();
}

/// A `nats-server` with JetStream on a free loopback port that requires a user and password;
/// stopped and its store removed on drop.
struct PasswordNats {
    child: std::process::Child,
    url: String,
    dir: std::path::PathBuf,
}

impl PasswordNats {
    fn start(user: &str, password: &str) -> PasswordNats {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = std::env::temp_dir().join(format!("orderly-nats-{}", uuid::Uuid::new_v4()));
        let binary = std::env::var("ORDERLY_TEST_NATS_SERVER")
            .unwrap_or_else(|_| "/usr/sbin/nats-server".to_string());
        let child = std::process::Command::new(binary)
            .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-js", "-sd"])
            .arg(&dir)
            .args(["--user", user, "--pass", password])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("nats-server (set ORDERLY_TEST_NATS_SERVER to its path)");
        let server = PasswordNats {
            child,
            url: format!("nats://127.0.0.1:{port}"),
            dir,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "nats-server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }
}

impl Drop for PasswordNats {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn orderly_authenticates_to_a_nats_server_that_requires_a_password(engine: Engine) {
    let server = PasswordNats::start("orderly", "nats-password-0123");
    let (stream, prefix) = names();
    let configure = |password: &str| {
        let (url, stream, prefix) = (server.url.clone(), stream.clone(), prefix.clone());
        let password = password.to_string();
        move |s: &mut Settings| {
            s.nats_url = Some(url);
            s.nats_stream = stream;
            s.nats_subject_prefix = prefix;
            s.nats_auth.user = Some("orderly".into());
            s.nats_auth.password = Some(Secret::new(password));
        }
    };
    let mut wrong = Settings::local_defaults();
    configure("wrong-password")(&mut wrong);
    assert!(
        nats::connect(&wrong).await.is_err(),
        "a wrong password was accepted"
    );
    let mut anonymous = Settings::local_defaults();
    configure("")(&mut anonymous);
    anonymous.nats_auth.user = None;
    anonymous.nats_auth.password = None;
    anonymous.nats_auth.allow_anonymous = true;
    assert!(
        nats::connect(&anonymous).await.is_err(),
        "this server requires a password"
    );
    let app = delivery_harness::builder(engine, true)
        .settings(configure("nats-password-0123"))
        .spawn()
        .await;
    let js = nats::connect(&app.state.settings).await.unwrap();
    let body = common::envelope(31).to_string();
    let sig = sign(INTAKE_SECRET, &body, 0);
    publish(&js, &format!("{prefix}.placed"), &body, "m0", sig).await;
    all_acknowledged(&js, &stream, &prefix, 1).await;
    assert_eq!(order_count(&app).await, 1);
    app.finish().await;
}
