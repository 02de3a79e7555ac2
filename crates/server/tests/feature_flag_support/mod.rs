//! Helpers for the fulfilment flag's front-door tests (`feature_flag.rs`, `feature_rollback.rs`).
#![allow(dead_code, reason = "each test binary uses a different part")]

use orderly_domain::feature::{FlagState, bucket};
use orderly_store::{Engine, Store, to_micros};
use serde_json::Value;
use sqlx::Row;
use time::OffsetDateTime;

use crate::common::{self, TestApp};

/// Spawns (without workers) with the flag's config value `v` (`None`: not configured) and a small
/// rollback sample.
pub async fn spawn(engine: Engine, v: Option<&'static str>) -> TestApp {
    TestApp::builder(engine)
        .web_only()
        .settings(move |s| {
            s.feature_order_fulfillment = v.map(str::to_string);
            s.feature_rollback.thresholds.min_sample = 10;
        })
        .spawn()
        .await
}

pub async fn set(app: &TestApp, config: &str) {
    let state = FlagState::parse_config(config).unwrap();
    orderly::feature::set(&app.state, &state, "user:admin@brand.in", "test", None)
        .await
        .unwrap();
}

pub async fn status_of(app: &TestApp, order: &str) -> String {
    sqlx::query("SELECT status FROM orders WHERE order_number = $1")
        .bind(order)
        .fetch_one(app.store.reader())
        .await
        .unwrap()
        .try_get("status")
        .unwrap()
}

/// An order number inside and one outside a `p` % rollout.
pub fn two_orders_around(p: u8) -> (String, String) {
    let name = |i: u32| format!("BRD-{i:05}");
    let inside = (0..).map(name).find(|n| bucket(n) < p).unwrap();
    let outside = (0..).map(name).find(|n| bucket(n) >= p).unwrap();
    (inside, outside)
}

pub async fn put(app: &TestApp, key: &str, body: Value) -> (u16, Value) {
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

/// Places `n` orders and gives each one settled shipment attempt: `failed` with `class` for the first
/// `failures`, `done` for the rest.
pub async fn shipments(app: &TestApp, first_seq: u64, n: u64, failures: u64, class: Option<&str>) {
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

pub async fn insert_attempt(
    store: &Store,
    order_id: i64,
    step: &str,
    class: Option<&str>,
    at: i64,
) {
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

pub async fn rolled_back_events(app: &TestApp) -> Vec<Value> {
    sqlx::query("SELECT payload FROM outbox WHERE event_type = 'FeatureRolledBack' ORDER BY seq")
        .fetch_all(app.store.reader())
        .await
        .unwrap()
        .iter()
        .map(|r| serde_json::from_str(&r.try_get::<String, _>("payload").unwrap()).unwrap())
        .collect()
}

/// The order numbers of intake envelopes `seq`, one inside and one outside a `p` % rollout.
pub fn seqs_around(p: u8) -> (u64, u64) {
    let number = |seq: u64| {
        common::envelope(seq)["data"]["order_number"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let inside = (100..).find(|s| bucket(&number(*s)) < p).unwrap();
    let outside = (100..).find(|s| bucket(&number(*s)) >= p).unwrap();
    (inside, outside)
}

pub async fn step_of(app: &TestApp, id: i64) -> String {
    sqlx::query("SELECT step FROM shipments WHERE id = $1")
        .bind(id)
        .fetch_one(app.store.reader())
        .await
        .unwrap()
        .try_get("step")
        .unwrap()
}

pub fn cli(database_url: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_orderly"))
        .args(args)
        .env("ORDERLY_DATABASE_URL", database_url)
        .env("ORDERLY_LOG", "warn")
        .env_remove("ORDERLY_FEATURE_ORDER_FULFILLMENT")
        .output()
        .expect("run orderly")
}

/// The step and failure class of shipment attempt `id`.
pub async fn step_and_class(app: &TestApp, id: i64) -> (String, Option<String>) {
    let r = sqlx::query("SELECT step, failure_class FROM shipments WHERE id = $1")
        .bind(id)
        .fetch_one(app.store.reader())
        .await
        .unwrap();
    (
        r.try_get("step").unwrap(),
        r.try_get("failure_class").unwrap(),
    )
}
