//! Reliability: crashes at every saga boundary, a Shiprocket fault mix under a 200-order batch, and
//! cancelling during a running batch. Deterministic: the simulator is seeded, time is moved by hand.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use std::time::Duration;

use common::TestApp;
use orderly::actions::{self, Actor, BatchKind};
use orderly::shipping::{STEPS, StopAt};
use orderly::shipping::{drive, drive_until};
use orderly_domain::OrderStatus;
use orderly_domain::shipment::Step;
use orderly_store::Engine;
use shiprocket_sim::{FaultConfig, LatencyConfig, LatencySpec, SimConfig};

stories!(
    a_crash_at_any_saga_boundary_resumes_to_exactly_one_shipment,
    a_fault_mix_leaves_every_order_shipped_or_failed_with_a_reason_and_no_duplicates,
    cancelling_during_a_running_batch_leaves_no_shipment_for_that_order,
);

async fn outbox_count(app: &TestApp, order: &str, event_type: &str) -> i64 {
    use sqlx::Row;
    sqlx::query("SELECT COUNT(*) AS n FROM outbox WHERE order_number = $1 AND event_type = $2")
        .bind(order)
        .bind(event_type)
        .fetch_one(app.store.reader())
        .await
        .unwrap()
        .try_get("n")
        .unwrap()
}

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

async fn a_crash_at_any_saga_boundary_resumes_to_exactly_one_shipment(engine: Engine) {
    let mut stops: Vec<StopAt> = STEPS.iter().map(|s| StopAt::Before(s)).collect();
    stops.extend(STEPS.iter().map(|s| StopAt::AfterCall(s)));
    for (i, stop) in stops.into_iter().enumerate() {
        let app = TestApp::builder(engine)
            .sim(SimConfig::default())
            .web_only()
            .spawn()
            .await;
        let actor = Actor::system("test");
        let n = place_serviceable(&app, 100 + i as u64).await;
        actions::mark_processing(&app.state, &n, None, &actor)
            .await
            .unwrap();
        let id = actions::request_shipment(&app.state, &n, None, None, None, &actor)
            .await
            .unwrap();
        // Crash: the driver stops at the boundary; the lease is given back as if it had expired.
        drive_until(&app.state, id, stop).await.unwrap();
        // Restart: the worker resumes from the persisted step.
        drive(&app.state, id).await.unwrap();
        let order = orderly_store::orders::get(&app.store, &n)
            .await
            .unwrap()
            .unwrap();
        let attempts = orderly_store::fulfilment::shipments(&app.store, order.summary.id)
            .await
            .unwrap();
        assert_eq!(
            order.summary.status,
            OrderStatus::Shipped,
            "{stop:?}: {attempts:?}"
        );
        let sim = app.sim().control();
        assert_eq!(sim.shipment_count(), 1, "{stop:?}: one Shiprocket shipment");
        assert_eq!(sim.awb_count(), 1, "{stop:?}: one AWB");
        assert_eq!(
            outbox_count(&app, &n, "OrderShipped").await,
            1,
            "{stop:?}: one OrderShipped"
        );
        assert_eq!(attempts.len(), 1);
        assert_eq!(attempts[0].step, Step::Done, "{stop:?}");
        app.finish().await;
    }
}

async fn a_fault_mix_leaves_every_order_shipped_or_failed_with_a_reason_and_no_duplicates(
    engine: Engine,
) {
    let clock = orderly::clock::ManualClock::new(time::OffsetDateTime::now_utc());
    let sim = SimConfig {
        seed: 7,
        faults: FaultConfig {
            timeout_rate: 0.03,
            server_error_rate: 0.05,
            rate_limit_rate: 0.05,
            malformed_rate: 0.02,
            refusal_rate: 0.05,
            timeout_hold_ms: 700,
            retry_after_secs: 1,
            ..FaultConfig::default()
        },
        ..SimConfig::default()
    };
    let app = TestApp::builder(engine)
        .sim(sim)
        .clock(clock.clone())
        .settings(|s| {
            s.shiprocket_timeout = Duration::from_millis(500);
            s.shiprocket_breaker_cooldown = Duration::from_millis(200);
        })
        .spawn()
        .await;
    let mut numbers = Vec::new();
    for seq in 0..200 {
        numbers.push(app.place(1000 + seq).await);
    }
    let batch = actions::start_batch(
        &app.state,
        BatchKind::GenerateShipments,
        &numbers,
        &Actor::system("test"),
    )
    .await
    .unwrap();
    let started = std::time::Instant::now();
    let mut expired = false;
    loop {
        let b = orderly_store::fulfilment::batch(&app.store, batch)
            .await
            .unwrap()
            .unwrap();
        if !expired && b.succeeded + b.failed >= 50 {
            app.sim().control().expire_all_tokens();
            expired = true;
        }
        if b.finished {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "batch stuck: {} of {} done",
            b.succeeded + b.failed,
            b.total
        );
        clock.advance(time::Duration::minutes(10));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let b = orderly_store::fulfilment::batch(&app.store, batch)
        .await
        .unwrap()
        .unwrap();
    let mut shipped = 0;
    for job in &b.jobs {
        let o = orderly_store::orders::get(&app.store, &job.order_number)
            .await
            .unwrap()
            .unwrap();
        let shipped_events = outbox_count(&app, &job.order_number, "OrderShipped").await;
        match o.summary.status {
            OrderStatus::Shipped => {
                shipped += 1;
                assert_eq!(shipped_events, 1, "{}", job.order_number);
                assert_eq!(job.state, "succeeded");
            }
            OrderStatus::Processing => {
                assert_eq!(shipped_events, 0);
                assert!(
                    o.summary.flags.shipment_failed.is_some(),
                    "{} failed without a reason",
                    job.order_number
                );
                assert_eq!(job.state, "failed");
                assert!(job.message.as_deref().is_some_and(|m| !m.is_empty()));
            }
            other => panic!("{} ended {other}", job.order_number),
        }
    }
    assert!(
        shipped > 150,
        "only {shipped} of 200 shipped under a 20 % fault mix"
    );
    assert_eq!(
        app.sim().control().awb_count(),
        shipped,
        "an AWB per shipped order, no duplicates"
    );
    app.finish().await;
}

async fn cancelling_during_a_running_batch_leaves_no_shipment_for_that_order(engine: Engine) {
    let sim = SimConfig {
        latency: LatencyConfig {
            default: LatencySpec {
                fixed_ms: 150,
                jitter_ms: 0,
            },
            ..LatencyConfig::default()
        },
        ..SimConfig::default()
    };
    let app = TestApp::spawn_with_sim(engine, sim).await;
    let actor = Actor::system("test");
    let mut numbers = Vec::new();
    for seq in 0..8 {
        let n = place_serviceable(&app, 3000 + seq).await;
        actions::mark_processing(&app.state, &n, None, &actor)
            .await
            .unwrap();
        numbers.push(n);
    }
    let victim = numbers[6].clone();
    let batch = actions::start_batch(&app.state, BatchKind::GenerateShipments, &numbers, &actor)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    actions::cancel_order(
        &app.state,
        &victim,
        "customer changed their mind",
        None,
        &actor,
    )
    .await
    .unwrap();
    loop {
        let b = orderly_store::fulfilment::batch(&app.store, batch)
            .await
            .unwrap()
            .unwrap();
        if b.finished {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let o = orderly_store::orders::get(&app.store, &victim)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(o.summary.status, OrderStatus::Cancelled);
    assert!(o.summary.awb.is_none());
    let attempts = orderly_store::fulfilment::shipments(&app.store, o.summary.id)
        .await
        .unwrap();
    for a in &attempts {
        assert!(a.awb.is_none() || a.step == Step::Cancelled, "{a:?}");
        if let Some(sid) = a.sr_shipment_id {
            // Nothing live at Shiprocket: no AWB, or the AWB was cancelled.
            let awb = app.sim().control().awb_of(sid);
            if let Some(awb) = awb {
                assert_eq!(
                    app.sim().control().shipment_status(&awb),
                    Some(8),
                    "AWB {awb} for a cancelled order is still live"
                );
            }
        }
    }
    assert_eq!(outbox_count(&app, &victim, "OrderShipped").await, 0);
    app.finish().await;
}
