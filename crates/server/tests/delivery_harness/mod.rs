//! Helpers for the delivery tests (on the common `TestApp`, spawned with a manual clock): a webhook
//! receiver on loopback that can be switched down, and helpers that write outbox rows.
#![allow(dead_code, reason = "each delivery test binary uses a different part")]

use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use http::{HeaderMap, StatusCode};
use orderly::app::Clock;
use orderly::egress::EgressPolicy;
use orderly_store::orders::{self, IntakeOutcome, PlacedMeta};
use orderly_store::{Engine, outbox};
use time::OffsetDateTime;

use crate::common::{TestApp, TestAppBuilder};

/// The delivery tests' app: a manual clock, background workers only when `workers`, and the
/// loopback test receivers allowed as webhook destinations (production refuses them,
/// `tests/webhook_egress.rs`). Add `.settings(..)` and `.spawn().await`.
pub fn builder(engine: Engine, workers: bool) -> TestAppBuilder {
    let b = TestApp::builder(engine)
        .manual_clock()
        .settings(|s| s.webhook_egress = loopback_receivers());
    if workers { b } else { b.web_only() }
}

/// The egress override the loopback test receivers need: `http://` and 127.0.0.1 allowed.
pub fn loopback_receivers() -> EgressPolicy {
    EgressPolicy {
        allow_insecure: true,
        allowed_networks: vec!["127.0.0.1/32".parse().unwrap()],
    }
}

/// Delivery helpers on the common [`TestApp`] (spawn it with `.manual_clock()`).
impl TestApp {
    /// Adds a webhook endpoint through the API; returns (id, secret).
    pub async fn add_endpoint(&self, url: &str) -> (i64, String) {
        let admin = self.api_key(&["admin"]).await;
        let r = self
            .client
            .post(self.url("/api/v1/webhook-endpoints"))
            .bearer_auth(admin)
            .json(&serde_json::json!({ "url": url, "description": "test receiver" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let v: serde_json::Value = r.json().await.unwrap();
        (
            v["id"].as_i64().unwrap(),
            v["secret"].as_str().unwrap().to_string(),
        )
    }

    /// Places order `seq` (synthetic) directly in the store; returns (id, order number).
    pub async fn order(&self, seq: u64) -> (i64, String) {
        let mut synth = orderly_synth::Synth::new(seq);
        let order = synth.order(seq, OffsetDateTime::now_utc());
        let event_id = format!("evt-{seq}");
        let meta = PlacedMeta {
            event_id: &event_id,
            source: "test",
            actor: "test",
            received_at: OffsetDateTime::now_utc(),
            address_suspect: None,
        };
        match orders::place(&self.store, &order, &meta).await.unwrap() {
            IntakeOutcome::Created(s) => (s.id, s.order_number),
            other => panic!("expected a new order, got {other:?}"),
        }
    }

    /// Commits one `OrderStatusChanged` for `order` (or a non-order event); returns its id.
    pub async fn event(&self, order: Option<&(i64, String)>, n: usize) -> String {
        let mut tx = self.store.begin().await.unwrap();
        let data = serde_json::json!({
            "order_number": order.map(|o| o.1.clone()),
            "from": "placed", "to": "processing", "actor": "test", "reason": null,
            "at": "2026-11-25T10:00:00Z", "n": n,
        });
        let e = outbox::append(
            &mut tx,
            outbox::types::ORDER_STATUS_CHANGED,
            1,
            order.map(|(id, num)| (*id, num.as_str())),
            self.clock().now(),
            data,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        self.state.live.notify_outbox();
        e.id
    }
}

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Bytes,
    pub at: std::time::Instant,
}

impl Received {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// A webhook receiver on 127.0.0.1:0 that answers 200 when up and `status` when down.
#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    up: Arc<AtomicBool>,
    status: Arc<AtomicU16>,
    accepted: Arc<Mutex<Vec<Received>>>,
    refused: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    pub async fn start() -> Receiver {
        let r = Receiver {
            url: String::new(),
            up: Arc::new(AtomicBool::new(true)),
            status: Arc::new(AtomicU16::new(503)),
            accepted: Arc::default(),
            refused: Arc::default(),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let router = Router::new()
            .route("/hook", post(receive))
            .with_state(r.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Receiver { url, ..r }
    }

    pub fn set_up(&self, up: bool) {
        self.up.store(up, Ordering::SeqCst);
    }

    pub fn accepted(&self) -> Vec<Received> {
        self.accepted.lock().unwrap().clone()
    }

    pub fn refused(&self) -> Vec<Received> {
        self.refused.lock().unwrap().clone()
    }

    /// Event ids accepted, in arrival order.
    pub fn ids(&self) -> Vec<String> {
        self.accepted()
            .iter()
            .map(|r| r.json()["id"].as_str().unwrap().to_string())
            .collect()
    }
}

async fn receive(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let got = Received {
        headers,
        body,
        at: std::time::Instant::now(),
    };
    if r.up.load(Ordering::SeqCst) {
        r.accepted.lock().unwrap().push(got);
        StatusCode::OK
    } else {
        r.refused.lock().unwrap().push(got);
        StatusCode::from_u16(r.status.load(Ordering::SeqCst)).unwrap()
    }
}
