//! The dashboard's live stream over plain HTTP, on SQLite and PostgreSQL: a new order is announced
//! within two seconds, a reconnecting stream catches up, and two PostgreSQL instances share updates.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;
mod dashboard;

use std::time::Duration;

use common::TestApp;
use dashboard::{place, sign_in};
use futures_util::StreamExt;
use orderly_store::Engine;
use orderly_store::accounts::Role;

stories!(
    the_live_stream_announces_a_new_order_within_two_seconds,
    a_reconnecting_stream_catches_up_with_last_event_id,
);

/// Reads SSE frames until one contains `needle`, or fails after `within`.
async fn read_until(r: reqwest::Response, needle: &str, within: Duration) -> String {
    let mut body = r.bytes_stream();
    let mut seen = String::new();
    tokio::time::timeout(within, async {
        while let Some(chunk) = body.next().await {
            seen.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
            if seen.contains(needle) {
                return;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no {needle:?} within {within:?}; got {seen:?}"));
    seen
}

async fn the_live_stream_announces_a_new_order_within_two_seconds(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let op = sign_in(&app, "ops@example.in", Role::Operator).await;
    let stream = op.get("/events").await;
    assert_eq!(stream.status(), 200);
    assert!(
        stream.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let started = std::time::Instant::now();
    let placing = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        place(&app, 11, None).await.0
    };
    let (seen, number) = tokio::join!(
        read_until(stream, "\"kind\":\"placed\"", Duration::from_secs(2)),
        placing
    );
    assert!(seen.contains(&number));
    assert!(started.elapsed() < Duration::from_secs(2));
    app.finish().await;
}

async fn a_reconnecting_stream_catches_up_with_last_event_id(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let op = sign_in(&app, "ops@example.in", Role::Operator).await;
    let stream = op.get("/events").await;
    let placing = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        place(&app, 12, None).await.0
    };
    let (seen, _) = tokio::join!(
        read_until(stream, "\"kind\":\"placed\"", Duration::from_secs(3)),
        placing
    );
    let id = seen
        .lines()
        .find_map(|l| l.strip_prefix("id:"))
        .unwrap()
        .trim()
        .to_string();
    // Disconnected; meanwhile another order arrives.
    let (missed, _) = place(&app, 13, None).await;
    let again = op
        .client
        .get(app.url("/events"))
        .header("cookie", &op.cookie)
        .header("last-event-id", &id)
        .send()
        .await
        .unwrap();
    let replay = read_until(again, &missed, Duration::from_secs(2)).await;
    assert!(replay.contains("event: change") || replay.contains("event:change"));
    // An id from another instance asks for a resync.
    let other = op.get("/events?since=deadbeef-1").await;
    read_until(other, "resync", Duration::from_secs(2)).await;
    app.finish().await;
}

/// Two `orderly serve` instances on one PostgreSQL database: a change made through one reaches a
/// dashboard connected to the other (LISTEN/NOTIFY).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_postgresql_share_live_updates() {
    let a = TestApp::spawn(Engine::Postgres).await;
    let b = TestApp::builder(Engine::Postgres)
        .database(&a.database_url)
        .spawn()
        .await;
    let b_base = b.base.clone();
    // Sessions live in the shared database: a cookie from A works on B.
    let op = sign_in(&a, "ops@example.in", Role::Operator).await;
    let stream = op
        .client
        .get(format!("{b_base}/events"))
        .header("cookie", &op.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    let placing = async {
        // Give B's listener a moment to be subscribed.
        tokio::time::sleep(Duration::from_millis(500)).await;
        place(&a, 40, None).await.0
    };
    let (seen, number) = tokio::join!(
        read_until(stream, "\"kind\":\"placed\"", Duration::from_secs(3)),
        placing
    );
    assert!(seen.contains(&number), "B heard about {number}: {seen}");
    b.finish().await;
    a.finish().await;
}
