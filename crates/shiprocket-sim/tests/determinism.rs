//! Determinism: a seeded simulator replays a sequential script identically.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use std::time::Duration;

use common::{Api, config, order};
use serde_json::json;
use shiprocket_sim::{FaultConfig, SimConfig};

async fn scripted_run(seed: u64) -> Vec<String> {
    let cfg = SimConfig {
        seed,
        ndr_share: 0.3,
        rto_share: 0.3,
        ..config()
    };
    let api = Api::start(cfg).await;
    api.sim.control().set_faults(FaultConfig {
        server_error_rate: 0.3,
        rate_limit_rate: 0.2,
        ..FaultConfig::default()
    });
    let mut log = Vec::new();
    for i in 0..30 {
        let r = api
            .post("orders/create/adhoc", &order(&format!("D-{i}"), "400070"))
            .await;
        log.push(format!("{} {}", r.status, r.json["shipment_id"]));
        if r.status == 200 {
            let sid = r.json["shipment_id"].as_i64().unwrap();
            let a = api
                .post("courier/assign/awb", &json!({"shipment_id": sid}))
                .await;
            log.push(format!(
                "{} {}",
                a.status, a.json["response"]["data"]["awb_code"]
            ));
            let p = api.pickup(sid).await;
            log.push(p.status.to_string());
        }
    }
    api.sim.control().set_faults(FaultConfig::default());
    api.sim
        .control()
        .advance_clock(Duration::from_secs(9 * 86400))
        .await;
    let awbs: Vec<String> = log
        .iter()
        .filter_map(|l| l.split('"').nth(1).map(str::to_owned))
        .collect();
    for awb in awbs {
        log.push(format!("{awb} {}", api.track_status(&awb).await));
    }
    log
}

#[tokio::test]
async fn the_same_seed_gives_the_same_run_and_another_seed_a_different_one() {
    let a = scripted_run(7).await;
    let b = scripted_run(7).await;
    assert_eq!(a, b);
    assert!(a.iter().any(|l| l.starts_with("200")) && a.iter().any(|l| !l.starts_with("200")));
    let c = scripted_run(8).await;
    assert_ne!(a, c);
}
