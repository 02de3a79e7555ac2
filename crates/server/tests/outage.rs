//! Shiprocket outages: with the simulator's outage knob on, queued shipments are parked *waiting for
//! Shiprocket* (not failed, not judged by the rollback guard), the dashboard says so with
//! since-when, and after 30 minutes of simulated outage every order ships, exactly once, on its own.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;
mod dashboard;

use std::time::Duration;

use common::TestApp;
use orderly::actions::{self, Actor};
use orderly::clock::Clock;
use orderly_store::Engine;
use orderly_store::accounts::Role;
use orderly_store::fulfilment;
use shiprocket_sim::SimConfig;
use sqlx::Row;

stories!(a_thirty_minute_outage_parks_shipments_then_every_order_ships_once);

/// Places the first order from `seq` on whose PIN the simulator has couriers.
async fn place_serviceable(app: &TestApp, mut seq: u64) -> String {
    loop {
        let env = common::envelope(seq);
        let pin = env["data"]["shipping_address"]["pincode"]
            .as_str()
            .unwrap()
            .to_string();
        if app.sim().control().is_serviceable(&pin) {
            return app.place(seq).await;
        }
        seq += 10_000;
    }
}

async fn count(app: &TestApp, sql: &'static str) -> i64 {
    sqlx::query(sql)
        .fetch_one(app.store.reader())
        .await
        .unwrap()
        .try_get("n")
        .unwrap()
}

async fn a_thirty_minute_outage_parks_shipments_then_every_order_ships_once(engine: Engine) {
    let clock = orderly::clock::ManualClock::new(time::OffsetDateTime::now_utc());
    let app = TestApp::builder(engine)
        .sim(SimConfig {
            seed: 11,
            ..SimConfig::default()
        })
        .clock(clock.clone())
        .settings(|s| {
            s.shiprocket_timeout = Duration::from_millis(300);
            s.shiprocket_breaker_cooldown = Duration::from_millis(200);
            // Five attempts are enough for the guard to judge (as in beta).
            s.feature_rollback.thresholds.min_sample = 5;
        })
        .spawn()
        .await;
    let actor = Actor::system("test");
    let mut numbers = Vec::new();
    for i in 0..5 {
        let n = place_serviceable(&app, 500 + i).await;
        actions::mark_processing(&app.state, &n, None, &actor)
            .await
            .unwrap();
        numbers.push(n);
    }

    // Shiprocket goes down (every call answers 503), then five shipments are queued.
    app.sim().control().set_outage(None);
    let outage_began = clock.now();
    for n in &numbers {
        actions::request_shipment(&app.state, n, None, None, None, &actor)
            .await
            .unwrap();
    }
    let started = std::time::Instant::now();
    loop {
        let w = fulfilment::waiting(&app.store).await.unwrap();
        if w.as_ref().is_some_and(|w| w.attempts == 5) {
            let w = w.unwrap();
            // Parked at the outage's start (stored to the microsecond).
            assert!((w.since - outage_began).abs() < time::Duration::seconds(1));
            assert!(
                w.reason
                    .is_some_and(|r| r.contains("Shiprocket is unavailable")),
                "the reason says why"
            );
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the shipments were not parked: {w:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let op = dashboard::sign_in(&app, "ops@example.in", Role::Operator).await;
    let html = op.html("/orders").await;
    assert!(
        html.contains("id=\"shiprocket-outage-banner\"")
            && html.contains("5 shipment(s) are waiting")
            && html.contains(&orderly::web::format::ist(outage_began)[..11]),
        "the banner says since when and how many wait"
    );

    // 30 minutes of simulated outage: every attempt keeps waiting; none fails, nothing rolls back.
    for _ in 0..30 {
        clock.advance(time::Duration::minutes(1));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) AS n FROM shipments WHERE step = 'failed'"
        )
        .await,
        0,
        "a shipment failed during the outage"
    );
    assert_eq!(
        fulfilment::waiting(&app.store)
            .await
            .unwrap()
            .map(|w| w.attempts),
        Some(5)
    );
    assert_eq!(
        orderly::workers::rollback::evaluate_once(&app.state)
            .await
            .unwrap(),
        None,
        "waiting shipments are not failures for the rollback guard"
    );

    // Shiprocket is back: the probe succeeds and every order ships on its own, exactly once.
    app.sim().control().clear_outage();
    let started = std::time::Instant::now();
    loop {
        let shipped = count(
            &app,
            "SELECT COUNT(*) AS n FROM orders WHERE status = 'shipped'",
        )
        .await;
        if shipped == 5 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "only {shipped} of 5 shipped after the outage"
        );
        clock.advance(time::Duration::seconds(20));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for n in &numbers {
        let o = orderly_store::orders::get(&app.store, n)
            .await
            .unwrap()
            .unwrap();
        let attempts = fulfilment::shipments(&app.store, o.summary.id)
            .await
            .unwrap();
        assert_eq!(attempts.len(), 1, "{n}: one attempt");
        let events = sqlx::query(
            "SELECT COUNT(*) AS n FROM outbox WHERE order_number = $1 AND event_type = 'OrderShipped'",
        )
        .bind(n)
        .fetch_one(app.store.reader())
        .await
        .unwrap()
        .try_get::<i64, _>("n")
        .unwrap();
        assert_eq!(events, 1, "{n}: one OrderShipped");
    }
    assert_eq!(app.sim().control().awb_count(), 5, "one AWB per order");
    assert_eq!(fulfilment::waiting(&app.store).await.unwrap(), None);
    let html = op.html("/orders").await;
    assert!(
        !html.contains("shiprocket-outage-banner"),
        "the banner is gone"
    );
}
