//! The fulfilment rollout flag through the front door, on SQLite and PostgreSQL: each stage's gating,
//! the stable percent stage, the API and the dashboard pages, the automatic rollback and its banner,
//! and intake that never depends on the flag.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;
mod dashboard;

use common::{Options, TestApp};
use orderly::feature;
use orderly::workers::rollback;
use orderly_domain::feature::{FlagState, ORDER_FULFILLMENT, bucket};
use orderly_store::accounts::Role;
use orderly_store::{Engine, Store, to_micros};
use serde_json::{Value, json};
use sqlx::Row;
use time::OffsetDateTime;

stories!(
    intake_is_unaffected_in_every_stage,
    the_flag_starts_from_config_until_someone_sets_it,
    each_stage_opens_fulfilment_to_the_right_people_and_orders,
    the_percent_stage_is_stable_for_an_order,
    the_api_reads_the_flag_and_only_admins_change_it_with_a_reason,
    the_rollback_guard_switches_fulfilment_off_and_emits_an_event,
    a_small_or_healthy_window_does_not_roll_back,
    the_settings_page_shows_the_stage_and_admins_change_it,
    the_rollout_report_shows_each_stage_against_its_gate,
    the_simulators_courier_refusals_trip_the_rollback_guard,
);

/// Stories that need the fulfilment actions and the saga to call `feature::check` (both engines).
macro_rules! waiting_for_actions {
    ($($name:ident),* $(,)?) => {
        mod sqlite_gating {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[ignore = "waiting for actions"]
            async fn $name() { super::$name(orderly_store::Engine::Sqlite).await })*
        }
        mod postgres_gating {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[ignore = "waiting for actions"]
            async fn $name() { super::$name(orderly_store::Engine::Postgres).await })*
        }
    };
}

waiting_for_actions!(
    the_api_refuses_fulfilment_actions_outside_the_flag,
    the_saga_starts_no_new_work_outside_the_flag_but_finishes_past_the_awb,
);

/// Spawns with the flag's config value `v` (`None`: not configured) and a small rollback sample.
async fn spawn(engine: Engine, v: Option<&'static str>) -> TestApp {
    fn off(s: &mut orderly::Settings) {
        s.feature_order_fulfillment = None;
        s.feature_rollback.thresholds.min_sample = 10;
    }
    fn pct30(s: &mut orderly::Settings) {
        off(s);
        s.feature_order_fulfillment = Some("percent:30".into());
    }
    fn on(s: &mut orderly::Settings) {
        off(s);
        s.feature_order_fulfillment = Some("on".into());
    }
    let tweak: fn(&mut orderly::Settings) = match v {
        None => off,
        Some("percent:30") => pct30,
        Some("on") => on,
        Some(other) => panic!("no tweak for {other}"),
    };
    TestApp::spawn_with(
        engine,
        Options {
            tweak: Some(tweak),
            web_only: true,
            ..Options::default()
        },
    )
    .await
}

async fn set(app: &TestApp, config: &str) {
    let state = FlagState::parse_config(config).unwrap();
    feature::set(&app.state, &state, "user:admin@brand.in", "test", None)
        .await
        .unwrap();
}

async fn status_of(app: &TestApp, order: &str) -> String {
    sqlx::query("SELECT status FROM orders WHERE order_number = $1")
        .bind(order)
        .fetch_one(app.store.reader())
        .await
        .unwrap()
        .try_get("status")
        .unwrap()
}

async fn intake_is_unaffected_in_every_stage(engine: Engine) {
    let app = spawn(engine, None).await;
    for (seq, stage) in [
        (1u64, "off"),
        (2, "internal:a@brand.in"),
        (3, "percent:0"),
        (4, "on"),
    ] {
        set(&app, stage).await;
        let n = app.place(seq).await;
        assert_eq!(status_of(&app, &n).await, "placed", "{stage}");
    }
}

async fn the_flag_starts_from_config_until_someone_sets_it(engine: Engine) {
    let app = spawn(engine, Some("percent:30")).await;
    let key = app.api_key(&["orders:read"]).await;
    let (status, flag) = app
        .get_json("/api/v1/feature-flags/order-fulfillment", &key)
        .await;
    assert_eq!(status, 200, "{flag}");
    assert_eq!(flag["stage"], "percent");
    assert_eq!(flag["percent"], 30);
    assert_eq!(flag["source"], "config");
    assert_eq!(flag["version"], 0);
    set(&app, "off").await;
    let (_, flag) = app
        .get_json("/api/v1/feature-flags/order-fulfillment", &key)
        .await;
    assert_eq!(flag["stage"], "off");
    assert_eq!(flag["source"], "database");

    let unset = spawn(engine, None).await;
    let key = unset.api_key(&["orders:read"]).await;
    let (_, flag) = unset
        .get_json("/api/v1/feature-flags/order-fulfillment", &key)
        .await;
    assert_eq!(
        flag["stage"], "off",
        "never set and not configured means off"
    );
    assert_eq!(flag["source"], "default");
}

async fn each_stage_opens_fulfilment_to_the_right_people_and_orders(engine: Engine) {
    let app = spawn(engine, None).await;
    let staff = "user:asha@brand.in";
    let other = "user:ravi@brand.in";
    let key = "apikey:ok_ab12cd";
    // Off: nobody.
    let refused = feature::check(&app.state, "ORD-1", staff)
        .await
        .unwrap_err();
    assert!(
        refused.reason.contains("switched off"),
        "{}",
        refused.reason
    );
    // Internal: listed emails and key prefixes only.
    set(&app, "internal:asha@brand.in,ok_ab12cd").await;
    assert!(feature::check(&app.state, "ORD-1", staff).await.is_ok());
    assert!(feature::check(&app.state, "ORD-1", key).await.is_ok());
    let refused = feature::check(&app.state, "ORD-1", other)
        .await
        .unwrap_err();
    assert!(refused.reason.contains("internal staff"));
    // Percent: the order's bucket decides.
    set(&app, "percent:50").await;
    let (inside, outside) = two_orders_around(50);
    assert!(feature::check(&app.state, &inside, other).await.is_ok());
    let refused = feature::check(&app.state, &outside, other)
        .await
        .unwrap_err();
    assert!(refused.reason.contains("50 %"), "{}", refused.reason);
    // On: everyone.
    set(&app, "on").await;
    assert!(feature::check(&app.state, &outside, other).await.is_ok());
    assert!(feature::check(&app.state, &outside, "worker").await.is_ok());
}

/// An order number inside and one outside a `p` % rollout.
fn two_orders_around(p: u8) -> (String, String) {
    let name = |i: u32| format!("BRD-{i:05}");
    let inside = (0..).map(name).find(|n| bucket(n) < p).unwrap();
    let outside = (0..).map(name).find(|n| bucket(n) >= p).unwrap();
    (inside, outside)
}

async fn the_percent_stage_is_stable_for_an_order(engine: Engine) {
    let app = spawn(engine, Some("percent:30")).await;
    let orders: Vec<String> = (0..200).map(|i| format!("BRD-{i:05}")).collect();
    let first: Vec<bool> =
        futures_util::future::join_all(orders.iter().map(|o| feature::decide(&app.state, o, None)))
            .await
            .into_iter()
            .map(|d| d.allowed)
            .collect();
    // Same answers after the value is written to the database and the cache is dropped.
    set(&app, "percent:30").await;
    feature::invalidate(&app.state.settings);
    for (o, was) in orders.iter().zip(&first) {
        assert_eq!(
            feature::decide(&app.state, o, None).await.allowed,
            *was,
            "{o}"
        );
        assert_eq!(*was, bucket(o) < 30);
    }
    // Widening keeps every order that was in.
    set(&app, "percent:60").await;
    for (o, was) in orders.iter().zip(&first) {
        if *was {
            assert!(
                feature::decide(&app.state, o, None).await.allowed,
                "{o} left at 60 %"
            );
        }
    }
    let share = first.iter().filter(|a| **a).count();
    assert!((30..=90).contains(&share), "{share} of 200 at 30 %");
}

async fn put(app: &TestApp, key: &str, body: Value) -> (u16, Value) {
    let r = app
        .client
        .put(app.url("/api/v1/feature-flags/order-fulfillment"))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn the_api_reads_the_flag_and_only_admins_change_it_with_a_reason(engine: Engine) {
    let app = spawn(engine, None).await;
    let r = app
        .client
        .get(app.url("/api/v1/feature-flags/order-fulfillment"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let reader = app.api_key(&["orders:read", "orders:write"]).await;
    let admin = app.api_key(&["admin"]).await;
    let (status, body) = put(&app, &reader, json!({"stage": "on", "reason": "go"})).await;
    assert_eq!((status, body["error"].as_str()), (403, Some("forbidden")));
    let (status, body) = put(&app, &admin, json!({"stage": "on", "reason": "  "})).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["fields"][0]["pointer"], "/reason");
    let (status, body) = put(&app, &admin, json!({"stage": "percent", "reason": "beta"})).await;
    assert_eq!(
        (status, body["fields"][0]["pointer"].as_str()),
        (422, Some("/percent"))
    );
    let (status, body) = put(
        &app,
        &admin,
        json!({"stage": "internal", "reason": "alpha"}),
    )
    .await;
    assert_eq!(
        (status, body["fields"][0]["pointer"].as_str()),
        (422, Some("/staff"))
    );
    let (status, body) = put(&app, &admin, json!({"stage": "sometimes", "reason": "x"})).await;
    assert_eq!(
        (status, body["fields"][0]["pointer"].as_str()),
        (422, Some("/stage"))
    );

    let (status, body) = put(
        &app,
        &admin,
        json!({"stage": "internal", "staff": ["Asha@Brand.in"], "reason": "alpha starts", "expected_version": 0}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["stage"], "internal");
    assert_eq!(body["staff"], json!(["asha@brand.in"]));
    assert_eq!(body["version"], 1);
    assert!(body["updated_by"].as_str().unwrap().starts_with("apikey:"));
    assert_eq!(body["history"][0]["reason"], "alpha starts");
    // A change against an old version is refused.
    let (status, body) = put(
        &app,
        &admin,
        json!({"stage": "on", "reason": "ga", "expected_version": 0}),
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (409, Some("stale")));
    let (status, body) = put(
        &app,
        &admin,
        json!({"stage": "percent", "percent": 25, "reason": "beta", "expected_version": 1}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["history"][0]["from_stage"], "internal");
    assert_eq!(body["history"][0]["to_percent"], 25);
    // Audited in the hash chain.
    let audit = orderly_store::audit::for_entity(&app.store, "feature_flag", ORDER_FULFILLMENT)
        .await
        .unwrap();
    assert_eq!(audit.len(), 2);
    assert!(audit[1].actor.starts_with("apikey:"));
    assert_eq!(
        orderly_store::audit::verify(&app.store)
            .await
            .unwrap()
            .broken,
        None
    );
    // The OpenAPI document describes both operations.
    let doc: Value = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let path = &doc["paths"]["/api/v1/feature-flags/order-fulfillment"];
    assert!(path["get"].is_object() && path["put"].is_object());
}

/// Places `n` orders and gives each one settled shipment attempt: `failed` with `class` for the first
/// `failures`, `done` for the rest.
async fn shipments(app: &TestApp, first_seq: u64, n: u64, failures: u64, class: Option<&str>) {
    let at = to_micros(OffsetDateTime::now_utc());
    for i in 0..n {
        let number = app.place(first_seq + i).await;
        let id: i64 = sqlx::query("SELECT id FROM orders WHERE order_number = $1")
            .bind(&number)
            .fetch_one(app.store.reader())
            .await
            .unwrap()
            .try_get("id")
            .unwrap();
        let failed = i < failures;
        insert_attempt(
            &app.store,
            id,
            if failed { "failed" } else { "done" },
            if failed { class } else { None },
            at,
        )
        .await;
    }
}

async fn insert_attempt(store: &Store, order_id: i64, step: &str, class: Option<&str>, at: i64) {
    sqlx::query(
        "INSERT INTO shipments (order_id, attempt, step, channel_order_id, failure_class, actor, created_at, updated_at)
         VALUES ($1, 1, $2, $3, $4, 'test', $5, $5)",
    )
    .bind(order_id)
    .bind(step)
    .bind(format!("C-{order_id}"))
    .bind(class)
    .bind(at)
    .execute(store.writer())
    .await
    .unwrap();
}

async fn rolled_back_events(app: &TestApp) -> Vec<Value> {
    sqlx::query("SELECT payload FROM outbox WHERE event_type = 'FeatureRolledBack' ORDER BY seq")
        .fetch_all(app.store.reader())
        .await
        .unwrap()
        .iter()
        .map(|r| serde_json::from_str(&r.try_get::<String, _>("payload").unwrap()).unwrap())
        .collect()
}

async fn the_rollback_guard_switches_fulfilment_off_and_emits_an_event(engine: Engine) {
    let app = spawn(engine, Some("on")).await;
    assert_eq!(feature::banner(&app.state).await, None);
    // 12 attempts, 2 failed because Shiprocket answered 5xx: 16.7 % errors.
    shipments(&app, 1, 12, 2, Some("server_error")).await;
    let why = rollback::evaluate_once(&app.state)
        .await
        .unwrap()
        .expect("rolled back");
    assert!(why.starts_with("Error rate 16.7 %"), "{why}");
    // Off now: checks refuse, the API shows the figures, the banner says why.
    let refused = feature::check(&app.state, "ORD-1", "user:asha@brand.in")
        .await
        .unwrap_err();
    assert!(refused.reason.contains("switched off"));
    let key = app.api_key(&["orders:read"]).await;
    let (_, flag) = app
        .get_json("/api/v1/feature-flags/order-fulfillment", &key)
        .await;
    assert_eq!(flag["stage"], "off");
    assert_eq!(flag["rolled_back"]["figures"]["errors"], 2);
    assert_eq!(flag["rolled_back"]["figures"]["settled"], 12);
    assert_eq!(flag["history"][0]["actor"], rollback::ACTOR);
    assert_eq!(flag["history"][0]["automatic"], true);
    let banner = feature::banner(&app.state).await.unwrap();
    assert!(
        banner.contains("10 of 12 shipment attempts succeeded"),
        "{banner}"
    );
    // One FeatureRolledBack event, written with the change.
    let events = rolled_back_events(&app).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["type"], "FeatureRolledBack");
    assert_eq!(events[0]["data"]["from"]["stage"], "on");
    assert_eq!(events[0]["data"]["to"]["stage"], "off");
    assert_eq!(events[0]["data"]["figures"]["errors"], 2);
    // Off stays off: judging again does nothing.
    assert_eq!(rollback::evaluate_once(&app.state).await.unwrap(), None);
    // An admin re-enables it; the old failures do not trigger a second rollback.
    set(&app, "on").await;
    assert_eq!(feature::banner(&app.state).await, None);
    assert_eq!(rollback::evaluate_once(&app.state).await.unwrap(), None);
    assert_eq!(rolled_back_events(&app).await.len(), 1);
    assert_eq!(
        orderly_store::audit::verify(&app.store)
            .await
            .unwrap()
            .broken,
        None
    );
}

async fn a_small_or_healthy_window_does_not_roll_back(engine: Engine) {
    let app = spawn(engine, Some("on")).await;
    // 9 attempts, all failed: under the minimum sample of 10.
    shipments(&app, 1, 9, 9, Some("timeout")).await;
    assert_eq!(rollback::evaluate_once(&app.state).await.unwrap(), None);
    // A fresh app: 30 shipped and 2 refused by couriers (an order problem, not an error; 93.8 %
    // success is over the 90 % threshold).
    let healthy = spawn(engine, Some("on")).await;
    shipments(&healthy, 100, 32, 2, Some("courier_refused")).await;
    assert_eq!(rollback::evaluate_once(&healthy.state).await.unwrap(), None);
    assert_eq!(
        feature::current(&healthy.state)
            .await
            .unwrap()
            .state
            .stage
            .as_str(),
        "on"
    );
}

async fn the_settings_page_shows_the_stage_and_admins_change_it(engine: Engine) {
    let app = spawn(engine, Some("on")).await;
    let viewer = dashboard::sign_in(&app, "viewer@brand.in", Role::Viewer).await;
    let html = viewer.html("/settings/fulfilment").await;
    assert!(html.contains("data-stage=\"on\""), "{html}");
    assert!(
        !html.contains("id=\"flag-form\""),
        "viewers see no change form"
    );
    let r = viewer
        .post(
            "/settings/fulfilment",
            &[("csrf", &viewer.csrf), ("stage", "off"), ("reason", "x")],
        )
        .await;
    assert_eq!(r.status(), 403);

    let admin = dashboard::sign_in(&app, "admin@brand.in", Role::Admin).await;
    let html = admin.html("/settings/fulfilment").await;
    assert!(html.contains("id=\"flag-form\""));
    let csrf = dashboard::csrf_in(&html);
    let r = admin
        .post(
            "/settings/fulfilment",
            &[
                ("csrf", "wrong"),
                ("stage", "off"),
                ("reason", "x"),
                ("version", "0"),
            ],
        )
        .await;
    assert_eq!(
        r.status(),
        403,
        "a form without the session's CSRF token is refused"
    );
    let r = admin
        .post(
            "/settings/fulfilment",
            &[
                ("csrf", &csrf),
                ("stage", "off"),
                ("reason", ""),
                ("version", "0"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422, "a reason is required");
    let r = admin
        .post(
            "/settings/fulfilment",
            &[
                ("csrf", &csrf),
                ("stage", "internal"),
                ("staff", "asha@brand.in, ravi@brand.in"),
                ("reason", "alpha <week 1>"),
                ("version", "0"),
            ],
        )
        .await;
    assert!(r.status().is_redirection(), "{}", r.status());
    let html = viewer.html("/settings/fulfilment").await;
    assert!(html.contains("data-stage=\"internal\""));
    assert!(
        !html.contains("<week 1>")
            && (html.contains("alpha &lt;week 1&gt;") || html.contains("alpha &#60;week 1&#62;")),
        "the reason is in the history, escaped"
    );
    assert!(html.contains("user:admin@brand.in"));
    // A form rendered before that change is refused as stale.
    let r = admin
        .post(
            "/settings/fulfilment",
            &[
                ("csrf", &csrf),
                ("stage", "on"),
                ("reason", "ga"),
                ("version", "0"),
            ],
        )
        .await;
    assert!(r.headers()["location"].to_str().unwrap().contains("stale"));
    assert_eq!(
        feature::current(&app.state)
            .await
            .unwrap()
            .state
            .stage
            .as_str(),
        "internal"
    );
}

async fn the_rollout_report_shows_each_stage_against_its_gate(engine: Engine) {
    let app = spawn(engine, Some("on")).await;
    set(&app, "internal:asha@brand.in").await;
    shipments(&app, 1, 10, 0, None).await;
    let report = feature::report::build(&app.state).await.unwrap();
    let alpha = &report.stages[0];
    assert_eq!(alpha.phase, "Alpha");
    assert!(alpha.current);
    assert_eq!(alpha.figures.orders_fulfilled, 10);
    assert_eq!(alpha.success_rate, "100.0 %");
    assert_eq!(
        report.stages[2].figures.orders_fulfilled, 0,
        "nothing shipped while on"
    );
    let viewer = dashboard::sign_in(&app, "viewer@brand.in", Role::Viewer).await;
    let html = viewer.html("/settings/fulfilment/report").await;
    assert!(html.contains("id=\"stage-internal\""));
    assert!(html.contains("Alpha success gate"));
    assert!(html.contains("Beta success gate"));
    assert!(html.contains("GA success gate"));
    assert!(html.contains("Average time-to-ship"));
}

async fn the_simulators_courier_refusals_trip_the_rollback_guard(engine: Engine) {
    fn tweak(s: &mut orderly::Settings) {
        s.feature_order_fulfillment = Some("on".into());
        s.feature_rollback.thresholds.min_sample = 5;
    }
    let app = TestApp::spawn_with(
        engine,
        Options {
            sim: Some(shiprocket_sim::SimConfig::default()),
            tweak: Some(tweak),
            ..Options::default()
        },
    )
    .await;
    app.sim().control().set_faults(shiprocket_sim::FaultConfig {
        refusal_rate: 1.0,
        endpoints: vec!["courier/assign/awb".into()],
        ..shiprocket_sim::FaultConfig::default()
    });
    let key = app.api_key(&["orders:read", "orders:write"]).await;
    for seq in 1..=6 {
        let n = app.place(seq).await;
        let (status, body) = app
            .post_json(&format!("/api/v1/orders/{n}/processing"), &key, json!({}))
            .await;
        assert_eq!(status, 200, "{body}");
        let (_, out) = app
            .post_json(&format!("/api/v1/orders/{n}/shipments"), &key, json!({}))
            .await;
        assert_ne!(out["outcome"], "shipped", "{out}");
    }
    assert_eq!(app.sim().control().awb_count(), 0);
    let why = rollback::evaluate_once(&app.state)
        .await
        .unwrap()
        .expect("rolled back");
    assert!(why.starts_with("Success rate 0.0 %"), "{why}");
    assert_eq!(
        feature::current(&app.state)
            .await
            .unwrap()
            .state
            .stage
            .as_str(),
        "off"
    );
    assert_eq!(rolled_back_events(&app).await.len(), 1);
}

/// The order numbers of intake envelopes `seq`, one inside and one outside a `p` % rollout.
fn seqs_around(p: u8) -> (u64, u64) {
    let number = |seq: u64| {
        common::envelope(seq)["data"]["order_number"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let inside = (1..).find(|s| bucket(&number(*s)) < p).unwrap();
    let outside = (1..).find(|s| bucket(&number(*s)) >= p).unwrap();
    (inside, outside)
}

async fn the_api_refuses_fulfilment_actions_outside_the_flag(engine: Engine) {
    let app = spawn(engine, None).await;
    let key = app.api_key(&["orders:read", "orders:write"]).await;
    let other = app.api_key(&["orders:read", "orders:write"]).await;
    let prefix = key.split('_').nth(1).unwrap().to_string();
    let processing = |n: String, key: String| {
        let app = &app;
        async move {
            app.post_json(&format!("/api/v1/orders/{n}/processing"), &key, json!({}))
                .await
        }
    };
    // Off: refused, and the order stays placed.
    let n = app.place(1).await;
    let (status, body) = processing(n.clone(), key.clone()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("feature_disabled")),
        "{body}"
    );
    assert!(body["message"].as_str().unwrap().contains("switched off"));
    assert_eq!(status_of(&app, &n).await, "placed");
    // Internal: only the listed key.
    set(&app, &format!("internal:{prefix}")).await;
    let (status, _) = processing(n.clone(), other.clone()).await;
    assert_eq!(status, 403);
    let (status, body) = processing(n.clone(), key.clone()).await;
    assert_eq!(status, 200, "{body}");
    // Percent: the order's bucket decides.
    set(&app, "percent:50").await;
    let (inside, outside) = seqs_around(50);
    let out_n = app.place(outside).await;
    let (status, body) = processing(out_n.clone(), other.clone()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("feature_disabled"))
    );
    let in_n = app.place(inside).await;
    let (status, _) = processing(in_n, other.clone()).await;
    assert_eq!(status, 200);
    // On: everyone.
    set(&app, "on").await;
    let (status, _) = processing(out_n, other).await;
    assert_eq!(status, 200);
}

async fn step_of(app: &TestApp, id: i64) -> String {
    sqlx::query("SELECT step FROM shipments WHERE id = $1")
        .bind(id)
        .fetch_one(app.store.reader())
        .await
        .unwrap()
        .try_get("step")
        .unwrap()
}

async fn the_saga_starts_no_new_work_outside_the_flag_but_finishes_past_the_awb(engine: Engine) {
    use orderly::actions::{Actor, request_shipment};
    use orderly::workers::saga::StopAt;
    use orderly::workers::shipments::{drive, drive_until};
    fn tweak(s: &mut orderly::Settings) {
        s.feature_order_fulfillment = Some("on".into());
    }
    let app = TestApp::spawn_with(
        engine,
        Options {
            sim: Some(shiprocket_sim::SimConfig::default()),
            tweak: Some(tweak),
            web_only: true,
            ..Options::default()
        },
    )
    .await;
    let key = app.api_key(&["orders:read", "orders:write"]).await;
    let actor = Actor::user("asha@brand.in");
    let mut ids = Vec::new();
    for seq in [1, 2] {
        let n = app.place(seq).await;
        let (status, body) = app
            .post_json(&format!("/api/v1/orders/{n}/processing"), &key, json!({}))
            .await;
        assert_eq!(status, 200, "{body}");
        ids.push(
            request_shipment(&app.state, &n, None, None, None, &actor)
                .await
                .unwrap(),
        );
    }
    // The second attempt gets its AWB before the flag goes off.
    drive_until(&app.state, ids[1], StopAt::Before("schedule_pickup"))
        .await
        .unwrap();
    assert_eq!(step_of(&app, ids[1]).await, "awb_assigned");
    set(&app, "off").await;
    drive(&app.state, ids[0]).await.unwrap();
    drive(&app.state, ids[1]).await.unwrap();
    assert_eq!(
        step_of(&app, ids[0]).await,
        "requested",
        "no new Shiprocket work while off"
    );
    assert_eq!(app.sim().control().awb_count(), 1);
    let finished = step_of(&app, ids[1]).await;
    assert!(
        matches!(finished.as_str(), "pickup_scheduled" | "done"),
        "{finished}"
    );
}

/// Figures for the report: `cargo test -p orderly --test feature_flag -- --ignored --nocapture measure`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measurement, run by hand"]
async fn measure_the_gate_and_the_guard() {
    for engine in [Engine::Sqlite, Engine::Postgres] {
        let app = spawn(engine, Some("percent:30")).await;
        let started = std::time::Instant::now();
        let calls = 100_000u32;
        for i in 0..calls {
            let _ = feature::check(&app.state, &format!("BRD-{i:06}"), "user:a@b.in").await;
        }
        let per_check = started.elapsed() / calls;
        let number = app.place(1).await;
        let id: i64 = sqlx::query("SELECT id FROM orders WHERE order_number = $1")
            .bind(&number)
            .fetch_one(app.store.reader())
            .await
            .unwrap()
            .try_get("id")
            .unwrap();
        let now = to_micros(OffsetDateTime::now_utc());
        let rows = 200_000i64;
        sqlx::query(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
             INSERT INTO shipments (order_id, attempt, step, channel_order_id, failure_class, actor, created_at, updated_at)
             SELECT $2, i, CASE WHEN i % 50 = 0 THEN 'failed' ELSE 'done' END, 'C', NULL, 'm',
                    $3 - CAST(i AS BIGINT) * 60000000, $3 - CAST(i AS BIGINT) * 60000000 FROM n",
        )
        .bind(rows)
        .bind(id)
        .bind(now)
        .execute(app.store.writer())
        .await
        .unwrap();
        let started = std::time::Instant::now();
        let due = rollback::evaluate_once(&app.state).await.unwrap();
        let guard = started.elapsed();
        set(&app, "on").await;
        let started = std::time::Instant::now();
        let report = feature::report::build(&app.state).await.unwrap();
        let report_time = started.elapsed();
        println!(
            "{engine:?}: check (cached) {per_check:?}/call; rollback guard over a 1 h window of {rows} rows: {guard:?} (rolled back: {}); report over {} attempts: {report_time:?}",
            due.is_some(),
            report
                .stages
                .iter()
                .map(|s| s.figures.stats.settled)
                .sum::<u64>()
        );
    }
}
