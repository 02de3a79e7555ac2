//! Every fault and latency knob, auth expiry, rate limiting, the control endpoint and determinism.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use std::time::{Duration, Instant};

use common::{Api, client, config, order};
use serde_json::json;
use shiprocket_sim::{FaultConfig, LatencyConfig, LatencySpec, SimConfig, Simulator};

fn only(endpoint: &str, f: FaultConfig) -> FaultConfig {
    FaultConfig {
        endpoints: vec![endpoint.to_owned()],
        ..f
    }
}

#[tokio::test]
async fn a_timeout_fault_processes_the_request_then_holds_the_answer_past_the_client_timeout() {
    let api = Api::start(config()).await;
    let ctl = api.sim.control();
    ctl.set_faults(only(
        "orders/create/adhoc",
        FaultConfig {
            timeout_rate: 1.0,
            timeout_hold_ms: 400,
            ..FaultConfig::default()
        },
    ));
    let req = api
        .http
        .post(api.url("orders/create/adhoc"))
        .bearer_auth(&api.token)
        .json(&order("TO-1", "560034"));
    let err = req
        .timeout(Duration::from_millis(150))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout());
    assert_eq!(
        ctl.shipment_count(),
        1,
        "the order was created although the answer was lost"
    );
    ctl.set_faults(FaultConfig::default());
    let retry = api
        .post("orders/create/adhoc", &order("TO-1", "560034"))
        .await;
    assert_eq!(retry.status, 200);
    assert_eq!(ctl.shipment_count(), 1, "the retry found the same order");
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(ctl.calls().iter().any(|c| c.status == 504));
}

#[tokio::test]
async fn server_errors_rate_limits_and_refusals_are_injected_without_processing() {
    let api = Api::start(config()).await;
    let ctl = api.sim.control();
    ctl.set_faults(only(
        "orders/create/adhoc",
        FaultConfig {
            server_error_rate: 1.0,
            ..FaultConfig::default()
        },
    ));
    for i in 0..6 {
        let r = api
            .post("orders/create/adhoc", &order(&format!("SE-{i}"), "560034"))
            .await;
        assert!(
            [500, 502, 503, 504].contains(&r.status.as_u16()),
            "{}",
            r.status
        );
    }
    assert_eq!(ctl.shipment_count(), 0);

    ctl.set_faults(FaultConfig {
        rate_limit_rate: 1.0,
        retry_after_secs: 7,
        ..FaultConfig::default()
    });
    let r = api.get("settings/company/pickup").await;
    assert_eq!(r.status, 429);
    assert_eq!(r.headers["retry-after"], "7");
    assert_eq!(
        r.json["message"],
        "You have exceeded the API call rate limit"
    );

    ctl.set_faults(FaultConfig::default());
    let (_, sid) = api.create_order("RF-1", "560034").await;
    ctl.set_faults(FaultConfig {
        refusal_rate: 1.0,
        ..FaultConfig::default()
    });
    let r = api
        .post("courier/assign/awb", &json!({"shipment_id": sid}))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["awb_assign_status"], 0);
    assert!(
        r.json["response"]["data"]["awb_assign_error"]
            .as_str()
            .unwrap()
            .contains("Courier")
    );
    assert_eq!(ctl.awb_count(), 0);
    assert_eq!(
        api.get("settings/company/pickup").await.status,
        200,
        "refusals only hit assign"
    );
}

#[tokio::test]
async fn a_malformed_body_fault_answers_200_with_undecodable_json_after_processing() {
    let api = Api::start(config()).await;
    api.sim.control().set_faults(FaultConfig {
        malformed_rate: 1.0,
        ..FaultConfig::default()
    });
    let r = api
        .post("orders/create/adhoc", &order("MF-1", "560034"))
        .await;
    assert_eq!(r.status, 200);
    assert!(
        serde_json::from_str::<serde_json::Value>(&r.text).is_err(),
        "{}",
        r.text
    );
    assert_eq!(api.sim.control().shipment_count(), 1);
}

#[tokio::test]
async fn expired_revoked_and_missing_tokens_get_401() {
    let api = Api::start(config()).await;
    assert_eq!(api.get("settings/company/pickup").await.status, 200);
    api.sim.control().expire_all_tokens();
    let r = api.get("settings/company/pickup").await;
    assert_eq!(
        (r.status.as_u16(), r.json.clone()),
        (401, json!({"message": "Unauthenticated."}))
    );

    let fresh = Api::start(config()).await;
    fresh
        .sim
        .control()
        .advance_clock(Duration::from_secs(864_000 - 60))
        .await;
    assert_eq!(fresh.get("settings/company/pickup").await.status, 200);
    fresh
        .sim
        .control()
        .advance_clock(Duration::from_secs(61))
        .await;
    let r = fresh.get("settings/company/pickup").await;
    assert_eq!(r.status, 401);
    let relogged = Api {
        token: fresh.login().await,
        ..fresh
    };
    assert_eq!(relogged.get("settings/company/pickup").await.status, 200);
    assert_eq!(relogged.post("auth/logout", &json!({})).await.status, 200);
    assert_eq!(
        relogged.get("settings/company/pickup").await.status,
        401,
        "logout revokes"
    );
    let anon = relogged
        .http
        .get(relogged.url("settings/company/pickup"))
        .send()
        .await
        .unwrap();
    assert_eq!(anon.status(), 401);
    let bad = relogged
        .post_anon(
            "auth/login",
            &json!({"email": "api@orderly.test", "password": "nope"}),
        )
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json, json!("Invalid email and password combination"));
}

#[tokio::test]
async fn an_outage_answers_503_until_cleared_or_until_its_end() {
    let api = Api::start(config()).await;
    let ctl = api.sim.control();
    ctl.set_outage(None);
    let r = api.get("settings/company/pickup").await;
    assert_eq!(r.status, 503);
    assert!(r.text.contains("nginx"));
    ctl.clear_outage();
    assert_eq!(api.get("settings/company/pickup").await.status, 200);
    ctl.set_outage(Some(Duration::from_millis(200)));
    assert_eq!(api.get("settings/company/pickup").await.status, 503);
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(api.get("settings/company/pickup").await.status, 200);
}

#[tokio::test]
async fn latency_is_added_per_endpoint() {
    let api = Api::start(config()).await;
    let mut per = std::collections::BTreeMap::new();
    per.insert(
        "courier/serviceability".to_owned(),
        LatencySpec {
            fixed_ms: 150,
            jitter_ms: 20,
        },
    );
    api.sim.control().set_latency(LatencyConfig {
        default: LatencySpec::default(),
        per_endpoint: per,
    });
    let t = Instant::now();
    api.get(
        "courier/serviceability/?pickup_postcode=110020&delivery_postcode=110030&weight=1&cod=0",
    )
    .await;
    assert!(t.elapsed() >= Duration::from_millis(150));
    let t = Instant::now();
    api.get("settings/company/pickup").await;
    assert!(t.elapsed() < Duration::from_millis(150));
}

#[tokio::test]
async fn the_rate_limit_is_per_token_with_shiprocket_headers_when_enforced() {
    let api = Api::start(SimConfig {
        enforce_rate_limit: true,
        rate_limit_per_minute: 5,
        ..config()
    })
    .await;
    for left in (0..5).rev() {
        let r = api.get("settings/company/pickup").await;
        assert_eq!(r.status, 200);
        assert_eq!(r.headers["x-ratelimit-limit"], "5");
        assert_eq!(
            r.headers["x-ratelimit-remaining"],
            left.to_string().as_str()
        );
    }
    let r = api.get("settings/company/pickup").await;
    assert_eq!(r.status, 429);
    assert_eq!(
        r.json["message"],
        "You have exceeded the API call rate limit"
    );
    assert!(r.headers.contains_key("retry-after"));
    let other = Api {
        token: api.login().await,
        ..api
    };
    assert_eq!(
        other.get("settings/company/pickup").await.status,
        200,
        "another token has its own budget"
    );
}

#[tokio::test]
async fn the_control_endpoint_turns_knobs_over_http_and_can_be_disabled() {
    let api = Api::start(config()).await;
    let base = format!("http://{}", api.sim.addr());
    let post = |path: &str, body: serde_json::Value| {
        api.http
            .post(format!("{base}/__sim/{path}"))
            .json(&body)
            .send()
    };
    assert_eq!(
        post("outage", json!({"seconds": null}))
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(api.get("settings/company/pickup").await.status, 503);
    api.http
        .delete(format!("{base}/__sim/outage"))
        .send()
        .await
        .unwrap();
    post("wallet", json!({"balance_paise": 42})).await.unwrap();
    assert_eq!(api.sim.control().wallet_balance(), 42);
    post("unserviceable", json!({"pin": "560034"}))
        .await
        .unwrap();
    assert!(!api.sim.control().is_serviceable("560034"));
    post("faults", json!({"rate_limit_rate": 1.0}))
        .await
        .unwrap();
    assert_eq!(api.get("settings/company/pickup").await.status, 429);
    post("faults", json!({})).await.unwrap();
    let before = api.sim.control().now();
    post("advance", json!({"seconds": 3600})).await.unwrap();
    assert_eq!(api.sim.control().now() - before, time::Duration::hours(1));
    let state = api
        .http
        .get(format!("{base}/__sim/state"))
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(state["wallet_balance_paise"], 42);
    assert_eq!(api.sim.control().count("settings/company/pickup"), 2);
    assert_eq!(api.sim.control().counts()["auth/login"], 1);

    let closed = Simulator::spawn(SimConfig {
        control_endpoint: false,
        ..config()
    })
    .await
    .unwrap();
    let r = client()
        .get(format!("http://{}/__sim/state", closed.addr()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    closed.shutdown().await;
}

#[tokio::test]
async fn malformed_arrays_get_the_leaked_foreach_500() {
    let api = Api::start(config()).await;
    let r = api
        .post_raw("courier/track/awbs", r#"{"awbs": "788830567028"}"#)
        .await;
    assert_eq!(
        r.json,
        json!({"message": "Invalid argument supplied for foreach()", "status_code": 500})
    );
    let r = api.get("courier/track/awb/").await;
    assert_eq!(
        r.json,
        json!({"message": "404 Not Found", "status_code": 404})
    );
}
