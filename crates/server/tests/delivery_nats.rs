//! NATS JetStream delivery and intake against the local server (127.0.0.1:4222), on SQLite and
//! PostgreSQL. Each test uses its own stream and subject prefix so tests can run side by side.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;
mod delivery_harness;

use std::time::{Duration, Instant};

use async_nats::jetstream;
use delivery_harness::App;
use orderly::workers::nats;
use orderly_store::Engine;

const NATS: &str = "nats://127.0.0.1:4222";

stories!(
    an_event_published_twice_is_stored_once_in_jetstream,
    a_redelivered_order_placed_message_stores_one_order_and_invalid_ones_are_acknowledged,
);

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
    let (s, p) = (stream.clone(), prefix.clone());
    let app = App::spawn(engine, false, move |settings| {
        settings.nats_url = Some(NATS.into());
        settings.nats_stream = s;
        settings.nats_subject_prefix = p;
    })
    .await;
    let js = nats::connect(NATS, &stream, &prefix).await.unwrap();
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
}

async fn a_redelivered_order_placed_message_stores_one_order_and_invalid_ones_are_acknowledged(
    engine: Engine,
) {
    let (stream, prefix) = names();
    let (s, p) = (stream.clone(), prefix.clone());
    let app = App::spawn(engine, true, move |settings| {
        settings.nats_url = Some(NATS.into());
        settings.nats_stream = s;
        settings.nats_subject_prefix = p;
    })
    .await;
    let js = nats::connect(NATS, &stream, &prefix).await.unwrap();
    let body = common::envelope(7).to_string();
    let subject = format!("{prefix}.placed");
    // The same event twice (different message ids, so JetStream keeps both), then garbage.
    for (i, payload) in [body.clone(), body.clone(), "{not json".to_string()]
        .into_iter()
        .enumerate()
    {
        js.send_publish(
            subject.clone(),
            jetstream::message::PublishMessage::build()
                .payload(payload.into())
                .message_id(format!("m{i}")),
        )
        .await
        .unwrap()
        .await
        .unwrap();
    }
    let consumer = nats::intake_consumer(&js, &stream, &prefix).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let mut c = consumer.clone();
        let info = c.info().await.unwrap().clone();
        if info.num_ack_pending == 0 && info.num_pending == 0 && info.delivered.stream_sequence >= 3
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "messages not all acknowledged: {info:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM orders")
        .fetch_one(app.store.reader())
        .await
        .unwrap();
    assert_eq!(n, 1, "one order for a redelivered event");
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
    drop(app);
    js.delete_stream(&stream).await.unwrap();
}
