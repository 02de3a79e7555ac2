//! Shared helpers for the simulator's raw-HTTP integration tests.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers"
)]

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use shiprocket_sim::{SimConfig, Simulator};
use time::OffsetDateTime;
use time::macros::datetime;

/// Wednesday 2024-07-03 10:00 IST: a working day, before every cut-off.
pub const WEDNESDAY_MORNING: OffsetDateTime = datetime!(2024-07-03 10:00 +5:30);

/// A response: status, decoded JSON (Null if not JSON), headers, raw text.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub json: Value,
    pub headers: HeaderMap,
    pub text: String,
}

/// A simulator plus a logged-in raw HTTP client.
pub struct Api {
    pub sim: Simulator,
    pub http: reqwest::Client,
    pub token: String,
}

pub fn config() -> SimConfig {
    SimConfig {
        start_time: Some(WEDNESDAY_MORNING),
        ..SimConfig::default()
    }
}

pub fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

impl Api {
    pub async fn start(cfg: SimConfig) -> Api {
        let sim = Simulator::spawn(cfg).await.unwrap();
        let http = client();
        let mut api = Api {
            sim,
            http,
            token: String::new(),
        };
        api.token = api.login().await;
        api
    }

    pub async fn login(&self) -> String {
        let (email, password) = self.sim.credentials();
        let r = self
            .post_anon("auth/login", &json!({"email": email, "password": password}))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.json["token"].as_str().unwrap().to_owned()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}/{}", self.sim.base_url(), path)
    }

    async fn reply(resp: reqwest::Response) -> Reply {
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap_or_default();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            json,
            headers,
            text,
        }
    }

    pub async fn post_anon(&self, path: &str, body: &Value) -> Reply {
        Self::reply(
            self.http
                .post(self.url(path))
                .json(body)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        let req = self
            .http
            .post(self.url(path))
            .bearer_auth(&self.token)
            .json(body);
        Self::reply(req.send().await.unwrap()).await
    }

    pub async fn post_raw(&self, path: &str, body: &str) -> Reply {
        let req = self
            .http
            .post(self.url(path))
            .bearer_auth(&self.token)
            .header("content-type", "application/json");
        Self::reply(req.body(body.to_owned()).send().await.unwrap()).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        Self::reply(
            self.http
                .get(self.url(path))
                .bearer_auth(&self.token)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// Creates an order to `pin`; returns (Shiprocket order id, shipment id).
    pub async fn create_order(&self, order_id: &str, pin: &str) -> (i64, i64) {
        let r = self
            .post("orders/create/adhoc", &order(order_id, pin))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        (
            r.json["order_id"].as_i64().unwrap(),
            r.json["shipment_id"].as_i64().unwrap(),
        )
    }

    /// Assigns an AWB (auto courier); returns it.
    pub async fn assign(&self, shipment_id: i64) -> String {
        let r = self
            .post("courier/assign/awb", &json!({"shipment_id": shipment_id}))
            .await;
        assert_eq!(r.json["awb_assign_status"], 1, "{}", r.text);
        r.json["response"]["data"]["awb_code"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Requests the pickup; returns the reply.
    pub async fn pickup(&self, shipment_id: i64) -> Reply {
        self.post(
            "courier/generate/pickup",
            &json!({"shipment_id": [shipment_id]}),
        )
        .await
    }

    /// Order → AWB → pickup; returns (order id, shipment id, awb).
    pub async fn shipped(&self, order_id: &str, pin: &str) -> (i64, i64, String) {
        let (oid, sid) = self.create_order(order_id, pin).await;
        let awb = self.assign(sid).await;
        let r = self.pickup(sid).await;
        assert_eq!(r.json["pickup_status"], 1, "{}", r.text);
        (oid, sid, awb)
    }

    /// The shipment status in `courier/track/awb/{awb}` (0 when no activity).
    pub async fn track_status(&self, awb: &str) -> i64 {
        let r = self.get(&format!("courier/track/awb/{awb}")).await;
        r.json["tracking_data"]["shipment_status"]
            .as_i64()
            .unwrap_or(0)
    }
}

/// A valid create-order body, shaped like the documentation's example (loose types included).
pub fn order(order_id: &str, pin: &str) -> Value {
    json!({
        "order_id": order_id, "order_date": "2024-07-03 10:00", "pickup_location": "Primary",
        "billing_customer_name": "Naruto", "billing_last_name": "Uzumaki",
        "billing_address": "House 221B, Leaf Village", "billing_city": "Bengaluru",
        "billing_pincode": pin.parse::<i64>().unwrap_or(0), "billing_state": "Karnataka",
        "billing_country": "India", "billing_email": "naruto@example.com", "billing_phone": 9876543210_i64,
        "shipping_is_billing": true,
        "order_items": [{"name": "Kunai", "sku": "chakra123", "units": 2, "selling_price": "450",
            "discount": "", "tax": "", "hsn": 441122}],
        "payment_method": "Prepaid", "sub_total": 900, "length": 10, "breadth": 15, "height": 5, "weight": 0.5,
    })
}
