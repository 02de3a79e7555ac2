//! Tracking progression on the controlled clock, NDR/RTO paths, and webhook delivery.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::HeaderMap;
use axum::routing::post;
use common::{Api, config};
use serde_json::{Value, json};
use shiprocket_sim::SimConfig;

type Inbox = Arc<Mutex<Vec<(Option<String>, Value)>>>;

/// A local webhook receiver; returns its URL and what it received.
async fn receiver() -> (String, Inbox) {
    let inbox: Inbox = Arc::default();
    let sink = inbox.clone();
    let app = Router::new().route(
        "/webhooks/tracking",
        post(move |headers: HeaderMap, body: axum::Json<Value>| {
            let sink = sink.clone();
            async move {
                let key = headers
                    .get("x-api-key")
                    .map(|v| v.to_str().unwrap().to_owned());
                sink.lock().unwrap().push((key, body.0));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/webhooks/tracking"), inbox)
}

async fn walk(api: &Api, awb: &str, hours: u64, steps: usize) -> Vec<i64> {
    let mut seen = vec![api.track_status(awb).await];
    for _ in 0..steps {
        api.sim
            .control()
            .advance_clock(Duration::from_secs(hours * 3600))
            .await;
        let s = api.track_status(awb).await;
        if seen.last() != Some(&s) {
            seen.push(s);
        }
    }
    seen
}

#[tokio::test]
async fn tracking_moves_only_with_the_controlled_clock_along_the_forward_path() {
    let api = Api::start(config()).await;
    let (_, sid) = api.create_order("T-1", "400070").await;
    let awb = api.assign(sid).await;
    let before = api.get(&format!("courier/track/awb/{awb}")).await;
    assert_eq!(
        before.json["tracking_data"]["track_status"], 0,
        "no scans before pickup"
    );
    api.pickup(sid).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        api.track_status(&awb).await,
        3,
        "wall-clock time does not move the simulation"
    );
    let seen = walk(&api, &awb, 1, 24 * 6).await;
    assert_eq!(seen, vec![3, 19, 42, 6, 18, 38, 17, 7]);
    let t = api.get(&format!("courier/track/shipment/{sid}")).await;
    let data = &t.json["tracking_data"];
    assert_eq!(data["shipment_status"], 7);
    let acts = data["shipment_track_activities"].as_array().unwrap();
    assert_eq!(acts[0]["sr-status"], "7", "newest first");
    assert_eq!(acts[0]["sr-status-label"], "DELIVERED");
    assert_eq!(acts.last().unwrap()["sr-status"], "NA");
    assert_eq!(
        data["track_url"],
        format!("https://shiprocket.co//tracking/{awb}")
    );
    assert!(data["shipment_track"][0]["delivered_date"].is_string());
    let many = api
        .post(
            "courier/track/awbs",
            &json!({"awbs": [awb, "123456712345"]}),
        )
        .await;
    assert_eq!(many.json.as_object().unwrap().len(), 1);
    assert_eq!(many.json[&awb]["tracking_data"]["shipment_status"], 7);
    let by_order = api.get("courier/track?order_id=T-1").await;
    assert_eq!(by_order.json[0]["tracking_data"]["shipment_status"], 7);
}

#[tokio::test]
async fn a_full_ndr_share_fails_one_delivery_then_delivers_and_a_full_rto_share_returns_to_origin()
{
    let api = Api::start(SimConfig {
        ndr_share: 1.0,
        ..config()
    })
    .await;
    let (_, _, awb) = api.shipped("N-1", "400070").await;
    let seen = walk(&api, &awb, 2, 12 * 8).await;
    assert_eq!(seen, vec![3, 19, 42, 6, 18, 38, 17, 21, 17, 7]);

    let api = Api::start(SimConfig {
        rto_share: 1.0,
        ..config()
    })
    .await;
    let (_, _, awb) = api.shipped("R-1", "400070").await;
    let seen = walk(&api, &awb, 2, 12 * 9).await; // 9 days: the token lives 10
    assert_eq!(seen, vec![3, 19, 42, 6, 18, 38, 17, 21, 9, 46, 41, 10]);
}

#[tokio::test]
async fn each_scan_is_posted_as_a_webhook_with_the_api_key_in_order() {
    let (url, inbox) = receiver().await;
    let cfg = SimConfig {
        webhook_url: Some(url),
        webhook_token: Some("hook-secret".into()),
        ..config()
    };
    let api = Api::start(cfg).await;
    let (oid, _, awb) = api.shipped("WH-1", "400070").await;
    api.sim
        .control()
        .advance_clock(Duration::from_secs(6 * 86400))
        .await;
    let got = inbox.lock().unwrap().clone();
    assert!(got.len() >= 8, "{}", got.len());
    assert!(got.iter().all(|(k, _)| k.as_deref() == Some("hook-secret")));
    let ids: Vec<i64> = got
        .iter()
        .map(|(_, b)| b["shipment_status_id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.last(), Some(&7));
    let last = &got.last().unwrap().1;
    assert_eq!(last["awb"], awb.as_str());
    assert_eq!(last["sr_order_id"], oid);
    assert_eq!(last["order_id"], "WH-1");
    assert_eq!(last["current_status"], "DELIVERED");
    assert_eq!(last["current_status_id"], 7);
    let transit = got
        .iter()
        .find(|(_, b)| b["shipment_status_id"] == 18)
        .unwrap();
    assert_eq!(
        transit.1["current_status_id"], 20,
        "current_status_id is in the order code space"
    );
    let ts = last["current_timestamp"].as_str().unwrap();
    assert_eq!(ts.len(), 19);
    assert_eq!(&ts[2..3], " ");
    assert!(last["scans"].as_array().unwrap().len() >= 8);
    assert_eq!(api.sim.control().webhooks_delivered(), got.len());
    // Nothing new happens without the clock moving.
    api.sim.control().flush_webhooks().await;
    assert_eq!(inbox.lock().unwrap().len(), got.len());
}

#[tokio::test]
async fn webhook_urls_containing_shiprocket_keywords_are_refused() {
    let api = Api::start(config()).await;
    assert!(
        api.sim
            .control()
            .set_webhook("http://127.0.0.1:1/hooks/shiprocket", None)
            .is_err()
    );
    assert!(
        api.sim
            .control()
            .set_webhook("http://127.0.0.1:1/hooks/tracking", Some("k"))
            .is_ok()
    );
    let bad = SimConfig {
        webhook_url: Some("http://127.0.0.1:1/sr".into()),
        ..config()
    };
    assert!(shiprocket_sim::Simulator::spawn(bad).await.is_err());
}

#[tokio::test]
async fn in_real_time_mode_the_clock_runs_faster_and_webhooks_flow_without_being_asked() {
    let (url, inbox) = receiver().await;
    // One wall-clock second = ten simulated hours.
    let cfg = SimConfig {
        real_time: Some(36_000.0),
        webhook_url: Some(url),
        ..config()
    };
    let api = Api::start(cfg).await;
    let (_, _, awb) = api.shipped("RT-1", "400070").await;
    let t0 = api.sim.control().now();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert!(api.sim.control().now() - t0 >= time::Duration::hours(10));
    assert!(api.track_status(&awb).await >= 6);
    assert!(
        !inbox.lock().unwrap().is_empty(),
        "the ticker posted webhooks"
    );
}
