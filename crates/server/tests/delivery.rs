//! Outbound delivery through the front door, on SQLite and PostgreSQL: signed webhooks, retries
//! with backoff on a simulated clock, auto-disable, replay, the attempt log and the wake-up after
//! commit.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;
mod delivery_harness;

use std::time::Duration;

use common::Leftovers;
use delivery_harness::Receiver;
use orderly::app::Clock;
use orderly::config::Secret;
use orderly::workers::dispatch;
use orderly_store::Engine;
use orderly_store::delivery;
use serde_json::Value;

stories!(
    a_webhook_carries_the_envelope_signed_like_intake,
    a_failing_receiver_is_retried_with_backoff_and_every_attempt_is_logged,
    a_receiver_down_for_an_hour_gets_every_event_afterwards_in_order_for_each_order,
    an_endpoint_is_disabled_after_twenty_consecutive_failures_and_resumes_in_order_when_enabled,
    a_replayed_event_is_sent_again_with_the_same_id,
    a_committed_event_reaches_the_receiver_within_milliseconds,
    a_hanging_receiver_does_not_hold_up_another_endpoint,
    two_workers_deliver_each_event_once_in_order,
);

async fn a_webhook_carries_the_envelope_signed_like_intake(engine: Engine) {
    let app = delivery_harness::builder(engine, false).spawn().await;
    let rx = Receiver::start().await;
    let order = app.order(1).await;
    let (_, secret) = app.add_endpoint(&rx.url).await;
    let id = app.event(Some(&order), 0).await;
    assert_eq!(dispatch::run_once(&app.state).await.unwrap(), 1);
    let got = rx.accepted();
    assert_eq!(got.len(), 1);
    let header = got[0]
        .headers
        .get("orderly-signature")
        .unwrap()
        .to_str()
        .unwrap();
    orderly::signature::verify(
        Some(header),
        &got[0].body,
        &[Secret::new(secret.clone())],
        app.clock().now(),
        Duration::from_secs(300),
    )
    .expect("signed with the endpoint's secret like intake");
    assert!(
        orderly::signature::verify(
            Some(header),
            b"{}",
            &[Secret::new(secret)],
            app.clock().now(),
            Duration::from_secs(300)
        )
        .is_err()
    );
    let env = got[0].json();
    assert_eq!(env["id"], id.as_str());
    assert_eq!(env["type"], "OrderStatusChanged");
    assert_eq!(env["version"], 1);
    assert_eq!(env["order_id"], order.1.as_str());
    assert_eq!(env["data"]["order_number"], order.1.as_str());
    assert_eq!(got[0].headers["orderly-event-id"], id.as_str());
    assert_eq!(got[0].headers["orderly-event-type"], "OrderStatusChanged");
    assert_eq!(got[0].headers["content-type"], "application/json");
    // Nothing is sent twice.
    assert_eq!(dispatch::run_once(&app.state).await.unwrap(), 0);
    assert_eq!(rx.accepted().len(), 1);
    app.finish().await;
}

async fn a_failing_receiver_is_retried_with_backoff_and_every_attempt_is_logged(engine: Engine) {
    let app = delivery_harness::builder(engine, false).spawn().await;
    let rx = Receiver::start().await;
    let (endpoint, _) = app.add_endpoint(&rx.url).await;
    rx.set_up(false);
    app.event(None, 0).await;
    dispatch::run_once(&app.state).await.unwrap();
    assert_eq!(rx.refused().len(), 1);
    // Within the first minute nothing is retried, however often the dispatcher runs.
    app.clock().advance(time::Duration::seconds(59));
    dispatch::run_once(&app.state).await.unwrap();
    assert_eq!(rx.refused().len(), 1);
    app.clock().advance(time::Duration::seconds(1));
    dispatch::run_once(&app.state).await.unwrap();
    assert_eq!(rx.refused().len(), 2);
    assert_eq!(rx.refused()[1].headers["orderly-delivery-attempt"], "2");
    // The next wait is two minutes.
    app.clock().advance(time::Duration::seconds(119));
    dispatch::run_once(&app.state).await.unwrap();
    assert_eq!(rx.refused().len(), 2);
    rx.set_up(true);
    app.clock().advance(time::Duration::seconds(1));
    assert_eq!(dispatch::run_once(&app.state).await.unwrap(), 1);
    let admin = app.api_key(&["admin"]).await;
    let r = app
        .client
        .get(app.url(&format!("/api/v1/webhook-endpoints/{endpoint}/deliveries")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let log: Value = r.json().await.unwrap();
    let rows = log["deliveries"].as_array().unwrap();
    let summary: Vec<(i64, &str, Option<i64>)> = rows
        .iter()
        .map(|d| {
            (
                d["attempt"].as_i64().unwrap(),
                d["outcome"].as_str().unwrap(),
                d["status_code"].as_i64(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (3, "delivered", Some(200)),
            (2, "failed", Some(503)),
            (1, "failed", Some(503))
        ]
    );
    assert_eq!(rows[1]["error"], "HTTP 503");
    app.finish().await;
}

async fn a_receiver_down_for_an_hour_gets_every_event_afterwards_in_order_for_each_order(
    engine: Engine,
) {
    let app = delivery_harness::builder(engine, false).spawn().await;
    let rx = Receiver::start().await;
    let orders = [app.order(1).await, app.order(2).await, app.order(3).await];
    app.add_endpoint(&rx.url).await;
    rx.set_up(false);
    let mut expected = Vec::new();
    for n in 0..3 {
        for o in &orders {
            expected.push(app.event(Some(o), n).await);
        }
    }
    for _ in 0..60 {
        dispatch::run_once(&app.state).await.unwrap();
        app.clock().advance(time::Duration::minutes(1));
    }
    let tries_while_down = rx.refused().len();
    assert!(
        (5..=7).contains(&tries_while_down),
        "backoff, not hammering: {tries_while_down} tries in an hour"
    );
    rx.set_up(true);
    for _ in 0..180 {
        dispatch::run_once(&app.state).await.unwrap();
        if rx.accepted().len() == expected.len() {
            break;
        }
        app.clock().advance(time::Duration::minutes(1));
    }
    assert_eq!(rx.ids(), expected, "every event, in commit order");
    for o in &orders {
        let ns: Vec<i64> = rx
            .accepted()
            .iter()
            .map(|r| r.json())
            .filter(|e| e["order_id"] == o.1.as_str())
            .map(|e| e["data"]["n"].as_i64().unwrap())
            .collect();
        assert_eq!(ns, vec![0, 1, 2], "in order for order {}", o.1);
    }
    app.finish().await;
}

async fn an_endpoint_is_disabled_after_twenty_consecutive_failures_and_resumes_in_order_when_enabled(
    engine: Engine,
) {
    let app = delivery_harness::builder(engine, false).spawn().await;
    let rx = Receiver::start().await;
    let (endpoint, _) = app.add_endpoint(&rx.url).await;
    rx.set_up(false);
    let ids = [
        app.event(None, 0).await,
        app.event(None, 1).await,
        app.event(None, 2).await,
    ];
    for _ in 0..60 {
        dispatch::run_once(&app.state).await.unwrap();
        app.clock().advance(time::Duration::hours(2));
    }
    assert_eq!(
        rx.refused().len(),
        20,
        "disabled after the 20th consecutive failure"
    );
    let e = delivery::get_endpoint(&app.store, endpoint)
        .await
        .unwrap()
        .unwrap();
    assert!(!e.enabled);
    assert!(
        e.disabled_reason
            .unwrap()
            .contains("20 consecutive failed deliveries")
    );
    let log = delivery::deliveries(&app.store, endpoint, 100)
        .await
        .unwrap();
    let dead: Vec<&str> = log
        .iter()
        .filter(|d| d.outcome == "dead")
        .map(|d| d.event_id.as_str())
        .collect();
    assert_eq!(
        dead,
        vec![ids[1].as_str(), ids[0].as_str()],
        "each given up after 9 attempts"
    );
    rx.set_up(true);
    let admin = app.api_key(&["admin"]).await;
    let r = app
        .client
        .post(app.url(&format!("/api/v1/webhook-endpoints/{endpoint}/enable")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let later = app.event(None, 3).await;
    dispatch::run_once(&app.state).await.unwrap();
    assert_eq!(
        rx.ids(),
        vec![ids[2].clone(), later],
        "the backlog resumes in order"
    );
    app.finish().await;
}

async fn a_replayed_event_is_sent_again_with_the_same_id(engine: Engine) {
    let app = delivery_harness::builder(engine, false).spawn().await;
    let rx = Receiver::start().await;
    app.add_endpoint(&rx.url).await;
    let id = app.event(None, 0).await;
    dispatch::run_once(&app.state).await.unwrap();
    let admin = app.api_key(&["admin"]).await;
    let reader = app.api_key(&["events:read"]).await;
    let path = format!("/api/v1/events/{id}/replay");
    let r = app
        .client
        .post(app.url(&path))
        .bearer_auth(&reader)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = app
        .client
        .post(app.url("/api/v1/events/nope/replay"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = app
        .client
        .post(app.url(&path))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    assert_eq!(dispatch::run_once(&app.state).await.unwrap(), 1);
    let got = rx.accepted();
    assert_eq!(rx.ids(), vec![id.clone(), id]);
    assert_eq!(got[0].body, got[1].body, "the same envelope");
    assert_eq!(got[1].headers["orderly-replay"], "true");
    assert_eq!(
        dispatch::run_once(&app.state).await.unwrap(),
        0,
        "a replay is sent once"
    );
    app.finish().await;
}

async fn a_committed_event_reaches_the_receiver_within_milliseconds(engine: Engine) {
    let app = delivery_harness::builder(engine, true).spawn().await;
    let rx = Receiver::start().await;
    app.add_endpoint(&rx.url).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut latencies = Vec::new();
    for n in 0..20 {
        let started = std::time::Instant::now();
        app.event(None, n).await;
        let deadline = started + Duration::from_secs(5);
        while rx.accepted().len() <= n && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let got = rx.accepted();
        assert_eq!(got.len(), n + 1);
        latencies.push(got[n].at - started);
    }
    latencies.sort();
    // The fallback poll is 250 ms; a notified pass is much faster.
    assert!(
        latencies[latencies.len() / 2] < Duration::from_millis(100),
        "{latencies:?}"
    );
    app.finish().await;
}

async fn a_hanging_receiver_does_not_hold_up_another_endpoint(engine: Engine) {
    let app = delivery_harness::builder(engine, true).spawn().await;
    // Accepts connections and never answers.
    let hang = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hang_url = format!("http://{}/hook", hang.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = hang.accept().await {
            held.push(socket);
        }
    });
    app.add_endpoint(&hang_url).await;
    let rx = Receiver::start().await;
    app.add_endpoint(&rx.url).await;
    for n in 0..3 {
        let started = std::time::Instant::now();
        app.event(None, n).await;
        while rx.accepted().len() <= n && started.elapsed() < Duration::from_secs(3) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(
            rx.accepted().len(),
            n + 1,
            "event {n} reached the healthy endpoint"
        );
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
    }
    // The hanging endpoint is still waiting for its first event, on purpose; nothing else is left
    // once the healthy endpoint's cursor has been committed.
    let only_the_hanging_one = vec!["endpoint 1 at seq 0 of 3".to_string()];
    let started = std::time::Instant::now();
    while app.unfinished().await.undelivered_events != only_the_hanging_one
        && started.elapsed() < Duration::from_secs(5)
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        app.unfinished().await.undelivered_events,
        only_the_hanging_one
    );
    app.finish_leaving(Leftovers {
        undelivered_events: true,
        ..Leftovers::default()
    })
    .await;
}

async fn two_workers_deliver_each_event_once_in_order(engine: Engine) {
    let app = delivery_harness::builder(engine, false).spawn().await;
    let rx = Receiver::start().await;
    app.add_endpoint(&rx.url).await;
    let (a, b) = (
        dispatch::Dispatcher::new(&app.state.settings.webhook_egress).unwrap(),
        dispatch::Dispatcher::new(&app.state.settings.webhook_egress).unwrap(),
    );
    let mut expected = Vec::new();
    for round in 0..15 {
        for n in 0..4 {
            expected.push(app.event(None, round * 4 + n).await);
        }
        let (x, y) = tokio::join!(a.run_once(&app.state), b.run_once(&app.state));
        x.unwrap();
        y.unwrap();
    }
    let (x, y) = tokio::join!(a.run_once(&app.state), b.run_once(&app.state));
    x.unwrap();
    y.unwrap();
    assert_eq!(rx.ids(), expected, "each event once, in commit order");
    app.finish().await;
}
