//! Simulator configuration: credentials, initial state, fault and latency knobs.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Everything the simulator needs to start. Every field has a default, so a JSON config may be partial.
#[derive(Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct SimConfig {
    /// Seed of the simulator's RNG: fault draws, jitter, NDR/RTO outcomes, id and AWB bases.
    pub seed: u64,
    /// The API user's email (`auth/login`).
    pub email: String,
    /// The API user's password (`auth/login`).
    pub password: String,
    /// Where tracking webhooks are POSTed (Shiprocket's panel setting). `None` = no webhooks.
    pub webhook_url: Option<String>,
    /// Sent as `x-api-key` with every webhook.
    pub webhook_token: Option<String>,
    /// Initial wallet balance in paise; each AWB debits the courier rate.
    pub wallet_balance_paise: i64,
    /// PINs that no courier serves, on top of the built-in deterministic ~2 % of real PINs.
    pub unserviceable: Vec<String>,
    /// Share (0..=1) of picked-up shipments with a failed delivery attempt (NDR) before delivery.
    pub ndr_share: f64,
    /// Share (0..=1) of picked-up shipments that fail delivery and return to origin (RTO).
    pub rto_share: f64,
    /// Answer 429 after `rate_limit_per_minute` calls per token per minute (Shiprocket: 180).
    pub enforce_rate_limit: bool,
    /// The per-token limit used when `enforce_rate_limit` is true.
    pub rate_limit_per_minute: u32,
    /// Serve the test-only `/__sim/...` JSON control endpoints.
    pub control_endpoint: bool,
    /// Fault injection rates.
    pub faults: FaultConfig,
    /// Artificial latency.
    pub latency: LatencyConfig,
    /// `Some(speed)`: the simulated clock also runs with wall-clock time, `speed` times faster (demo).
    /// `None`: the clock only moves with `advance_clock` (tests).
    pub real_time: Option<f64>,
    /// The simulated "now" at start; `None` = wall-clock time at spawn.
    #[serde(with = "time::serde::rfc3339::option")]
    pub start_time: Option<OffsetDateTime>,
    /// Pickup locations besides the default "Primary" one.
    pub pickup_locations: Vec<PickupLocationConfig>,
    /// The account's custom channel id (orders may name it in `channel_id`).
    pub channel_id: i64,
    /// The company name shown in pickup and AWB responses.
    pub company_name: String,
}

impl std::fmt::Debug for SimConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimConfig")
            .field("seed", &self.seed)
            .field("email", &self.email)
            .field("password", &"***")
            .field("webhook_url", &self.webhook_url)
            .field("webhook_token", &self.webhook_token.as_ref().map(|_| "***"))
            .field("wallet_balance_paise", &self.wallet_balance_paise)
            .field("unserviceable", &self.unserviceable)
            .field("ndr_share", &self.ndr_share)
            .field("rto_share", &self.rto_share)
            .field("enforce_rate_limit", &self.enforce_rate_limit)
            .field("rate_limit_per_minute", &self.rate_limit_per_minute)
            .field("control_endpoint", &self.control_endpoint)
            .field("faults", &self.faults)
            .field("latency", &self.latency)
            .field("real_time", &self.real_time)
            .field("start_time", &self.start_time)
            .field("pickup_locations", &self.pickup_locations)
            .field("channel_id", &self.channel_id)
            .field("company_name", &self.company_name)
            .finish()
    }
}

/// The remote PINs that are unserviceable by default (Car Nicobar, Lakshadweep islands, remote Ladakh).
pub const DEFAULT_UNSERVICEABLE: [&str; 5] = ["744301", "744302", "682555", "682559", "194401"];

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            seed: 42,
            email: "api@orderly.test".to_owned(),
            password: "sim-password".to_owned(),
            webhook_url: None,
            webhook_token: None,
            wallet_balance_paise: 10_000_000, // ₹1,00,000
            unserviceable: DEFAULT_UNSERVICEABLE
                .iter()
                .map(|p| (*p).to_owned())
                .collect(),
            ndr_share: 0.0,
            rto_share: 0.0,
            enforce_rate_limit: false,
            rate_limit_per_minute: 180,
            control_endpoint: true,
            faults: FaultConfig::default(),
            latency: LatencyConfig::default(),
            real_time: None,
            start_time: None,
            pickup_locations: Vec::new(),
            channel_id: 4_512_367,
            company_name: "Orderly Test Brands".to_owned(),
        }
    }
}

/// Rates (0..=1) of each fault class, drawn per request from the seeded RNG in arrival order.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub struct FaultConfig {
    /// Hold the response for `timeout_hold_ms` (longer than a client's timeout), then answer 504.
    /// The request IS processed first: the effect happens, the answer is lost.
    pub timeout_rate: f64,
    /// Answer a 500 JSON / 502 / 503 / 504 nginx page without processing the request.
    pub server_error_rate: f64,
    /// Answer 429 "You have exceeded the API call rate limit" with `Retry-After`, without processing.
    pub rate_limit_rate: f64,
    /// Process the request, then answer HTTP 200 with a truncated (undecodable) body.
    pub malformed_rate: f64,
    /// `courier/assign/awb` only: answer the HTTP-200 refusal "Courier is facing some issues".
    pub refusal_rate: f64,
    /// How long a timeout fault holds the response (default 30 s when 0).
    pub timeout_hold_ms: u64,
    /// `Retry-After` seconds sent with injected 429s (default 1 when 0).
    pub retry_after_secs: u64,
    /// Endpoint keys the faults apply to (e.g. "courier/assign/awb"); empty = every endpoint.
    pub endpoints: Vec<String>,
}

/// Fixed latency plus uniform jitter, in milliseconds.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub struct LatencySpec {
    /// Always added.
    pub fixed_ms: u64,
    /// Plus a uniform draw in `0..=jitter_ms`.
    pub jitter_ms: u64,
}

/// Latency per endpoint key (e.g. "courier/serviceability"), with a default for the rest.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub struct LatencyConfig {
    /// Used for endpoints not listed in `per_endpoint`.
    pub default: LatencySpec,
    /// Overrides by endpoint key.
    pub per_endpoint: BTreeMap<String, LatencySpec>,
}

impl LatencyConfig {
    /// The latency spec for an endpoint key.
    pub fn for_endpoint(&self, key: &str) -> LatencySpec {
        self.per_endpoint.get(key).copied().unwrap_or(self.default)
    }
}

/// A pickup location registered in the account at start.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub struct PickupLocationConfig {
    /// The nickname orders must name exactly (case- and whitespace-sensitive).
    pub pickup_location: String,
    /// Contact name.
    pub name: String,
    /// Address line 1.
    pub address: String,
    /// City.
    pub city: String,
    /// State.
    pub state: String,
    /// 6-digit PIN.
    pub pin_code: String,
    /// 10-digit phone.
    pub phone: String,
    /// Contact email.
    pub email: String,
}

impl Default for PickupLocationConfig {
    fn default() -> Self {
        Self {
            pickup_location: "Primary".to_owned(),
            name: "Warehouse Manager".to_owned(),
            address: "Plot 14, Okhla Industrial Estate Phase 3".to_owned(),
            city: "New Delhi".to_owned(),
            state: "Delhi".to_owned(),
            pin_code: "110020".to_owned(),
            phone: "9810000000".to_owned(),
            email: "warehouse@orderly.test".to_owned(),
        }
    }
}
