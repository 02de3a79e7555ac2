//! Fuzz target: the client's response decoding, through the front door. A stub Shiprocket answers
//! every typed call with a documented fixture mutated at any JSON node, or with raw garbage, under
//! any status and a hostile `Retry-After`; the tracking webhook parser gets the same treatment.
//! No answer may panic the client or hold it longer than its budget.
//!
//! CI runs `PROPTEST_CASES` cases per target (default below); by hand, run longer with e.g.
//! `PROPTEST_CASES=20000 cargo test -p shiprocket --test fuzz_responses -- --nocapture`.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use std::time::{Duration, Instant};

use common::{Canned, FIXTURES, Stub};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::Value;
use shiprocket::{Client, ServiceabilityQuery};

/// The most one input may take: the client's own budget below plus slack for a loaded machine.
const PER_CASE: Duration = Duration::from_secs(5);

fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

fn report(name: &str, cases: u32, started: Instant) {
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "fuzz {name}: {cases} cases in {secs:.2} s ({:.0} cases/s)",
        f64::from(cases) / secs.max(1e-9)
    );
}

/// Every JSON fixture Shiprocket documents (responses and requests alike: any shape will do).
fn fixtures() -> Vec<Value> {
    let mut out: Vec<Value> = std::fs::read_dir(FIXTURES)
        .unwrap()
        .filter_map(|e| std::fs::read(e.ok()?.path()).ok())
        .filter_map(|b| serde_json::from_slice(&b).ok())
        .collect();
    assert!(out.len() > 20, "fixtures not found under {FIXTURES}");
    out.sort_by_key(Value::to_string);
    out
}

/// Every JSON pointer inside `v`.
fn pointers(v: &Value, base: &str, out: &mut Vec<String>) {
    out.push(base.to_owned());
    match v {
        Value::Object(m) => m
            .iter()
            .for_each(|(k, c)| pointers(c, &format!("{base}/{k}"), out)),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, c)| pointers(c, &format!("{base}/{i}"), out)),
        _ => {}
    }
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,24}".prop_map(Value::from),
        prop::sample::select(vec![
            "",
            "0",
            "1",
            "-1",
            "1e400",
            "NaN",
            "null",
            "true",
            "2026-02-30 25:61:61",
            "31 Dec 9999 23:59",
            "0000-00-00 00:00:00",
            "99999999999999999999",
        ])
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,12}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A response body: a mutated fixture, or raw bytes.
#[derive(Debug, Clone)]
enum Body {
    Mutated(prop::sample::Index, prop::sample::Index, Value),
    Raw(Vec<u8>),
}

fn body() -> impl Strategy<Value = Body> {
    prop_oneof![
        4 => (any::<prop::sample::Index>(), any::<prop::sample::Index>(), any_json())
            .prop_map(|(f, p, v)| Body::Mutated(f, p, v)),
        1 => prop::collection::vec(any::<u8>(), 0..512).prop_map(Body::Raw),
    ]
}

fn render(body: &Body, fixtures: &[Value]) -> Vec<u8> {
    match body {
        Body::Raw(bytes) => bytes.clone(),
        Body::Mutated(f, p, replacement) => {
            let mut v = f.get(fixtures).clone();
            let mut all = Vec::new();
            pointers(&v, "", &mut all);
            let target = p.get(&all).clone();
            if let Some(slot) = v.pointer_mut(&target) {
                *slot = replacement.clone();
            }
            serde_json::to_vec(&v).unwrap()
        }
    }
}

/// One typed call, by number.
async fn call(c: &Client, which: usize) {
    let awbs = vec!["788830567028".to_owned()];
    let _ = match which % 14 {
        0 => c.create_adhoc_order(&Default::default()).await.map(drop),
        1 => c.update_address(&Default::default()).await,
        2 => c.cancel_orders(&[12_312_312]).await,
        3 => c
            .serviceability(&ServiceabilityQuery {
                pickup_postcode: "110030".into(),
                delivery_postcode: "122002".into(),
                order_id: Some(1),
                ..Default::default()
            })
            .await
            .map(drop),
        4 => c.assign_awb(11_111_111, None).await.map(drop),
        5 => c.generate_pickup(&[121_121_212]).await.map(drop),
        6 => c.generate_label(&[16_161_616]).await.map(drop),
        7 => c.generate_manifest(&[16_090_109]).await.map(drop),
        8 => c.print_manifest(&[16_161_616]).await.map(drop),
        9 => c.print_invoice(&[0]).await.map(drop),
        10 => c.track_awb("788830567028").await.map(drop),
        11 => c.track_awbs(&awbs).await.map(drop),
        12 => c.pickup_locations().await.map(drop),
        _ => c.shipment(1).await.map(drop),
    };
}

#[test]
fn hostile_shiprocket_answers_never_panic_the_client_or_hold_it_past_its_budget() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let stub = rt.block_on(Stub::start());
    let fixtures = fixtures();
    let statuses = vec![
        200u16, 202, 204, 400, 401, 403, 404, 408, 422, 429, 500, 502, 503,
    ];
    let retry_after = prop::option::of(prop::sample::select(vec![
        "1",
        "0",
        "-1",
        "1.5",
        "1e20",
        "1e400",
        "inf",
        "NaN",
        "18446744073709551615",
        "99999999999999999999999",
        "Wed, 21 Oct 2015 07:28:00 GMT",
        "",
    ]));
    let strategy = (
        0usize..14,
        body(),
        prop::sample::select(statuses),
        retry_after,
    );
    let n = cases(300);
    let started = Instant::now();
    let result = runner(n).run(&strategy, |(which, body, status, retry_after)| {
        let mut canned = Canned::new(status, render(&body, &fixtures));
        if let Some(ra) = retry_after {
            canned = canned.header("retry-after", ra);
        }
        stub.always(canned);
        // A fresh client per case, so one case's breaker or rate-limit pause cannot hide the next.
        let mut cfg = stub.config();
        cfg.max_attempts = 2;
        cfg.retry_budget = Duration::from_secs(2);
        cfg.request_timeout = Duration::from_secs(2);
        let client = Client::new(cfg).unwrap();
        let t = Instant::now();
        rt.block_on(call(&client, which));
        prop_assert!(t.elapsed() < PER_CASE, "took {:?}", t.elapsed());
        Ok(())
    });
    if let Err(e) = result {
        panic!("shiprocket/responses: {e}");
    }
    report("shiprocket/responses", n, started);
}

#[test]
fn hostile_tracking_webhook_bodies_never_panic_the_parser() {
    let samples = vec![common::fixture_json("webhook-tracking-sample.json")];
    let n = cases(3_000);
    let started = Instant::now();
    let result = runner(n).run(&body(), |body| {
        let bytes = render(&body, &samples);
        let t = Instant::now();
        if let Ok(hook) = shiprocket::types::tracking::parse_webhook(&bytes) {
            prop_assert!(!hook.awb.is_empty());
            let _ = hook.shipment_status_id.map(|s| s.code());
        }
        prop_assert!(t.elapsed() < PER_CASE, "took {:?}", t.elapsed());
        Ok(())
    });
    if let Err(e) = result {
        panic!("shiprocket/webhook: {e}");
    }
    report("shiprocket/webhook", n, started);
}
