//! `SimControl`: the Rust handle tests use to turn knobs, move the clock and read counters.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use time::OffsetDateTime;

use crate::config::{FaultConfig, LatencyConfig};
use crate::state::CallLogEntry;
use crate::{App, gate, tracking};

/// A cheap, clonable handle on a running simulator.
#[derive(Debug, Clone)]
pub struct SimControl {
    app: App,
}

impl SimControl {
    pub(crate) fn new(app: App) -> Self {
        Self { app }
    }

    /// The API user's (email, password).
    pub fn credentials(&self) -> (String, String) {
        let st = self.app.lock();
        (st.cfg.email.clone(), st.cfg.password.clone())
    }

    /// Replaces the fault rates.
    pub fn set_faults(&self, faults: FaultConfig) {
        self.app.lock().cfg.faults = faults;
    }

    /// Replaces the latency settings.
    pub fn set_latency(&self, latency: LatencyConfig) {
        self.app.lock().cfg.latency = latency;
    }

    /// Invalidates every issued token now (the next call with one gets 401).
    pub fn expire_all_tokens(&self) {
        self.app.lock().tokens.clear();
    }

    /// Every call answers 503 for `duration` of wall-clock time (`None`: until `clear_outage`).
    pub fn set_outage(&self, duration: Option<Duration>) {
        self.app.lock().outage = Some(duration.map(|d| Instant::now() + d));
    }

    /// Ends an outage.
    pub fn clear_outage(&self) {
        self.app.lock().outage = None;
    }

    /// Moves the simulated clock forward and POSTs the webhooks of every scan that became due.
    pub async fn advance_clock(&self, by: Duration) {
        self.app.lock().clock.advance(by);
        tracking::flush(&self.app).await;
    }

    /// Sends any pending webhooks now (scans already due).
    pub async fn flush_webhooks(&self) {
        tracking::flush(&self.app).await;
    }

    /// The simulated now (IST).
    pub fn now(&self) -> OffsetDateTime {
        self.app.lock().now()
    }

    /// Sets the wallet balance (paise).
    pub fn set_wallet_balance(&self, paise: i64) {
        self.app.lock().wallet_paise = paise;
    }

    /// The wallet balance (paise).
    pub fn wallet_balance(&self) -> i64 {
        self.app.lock().wallet_paise
    }

    /// Makes a PIN unserviceable for every courier.
    pub fn add_unserviceable(&self, pin: &str) {
        self.app.lock().unserviceable.insert(pin.trim().to_owned());
    }

    /// Whether a PIN is serviceable (a real PIN not in the built-in ~2 % nor the configured set).
    pub fn is_serviceable(&self, pin: &str) -> bool {
        self.app.lock().is_serviceable(pin)
    }

    /// Sets the NDR and RTO shares for shipments picked up from now on.
    pub fn set_shares(&self, ndr_share: f64, rto_share: f64) {
        let mut st = self.app.lock();
        st.cfg.ndr_share = ndr_share.clamp(0.0, 1.0);
        st.cfg.rto_share = rto_share.clamp(0.0, 1.0);
    }

    /// Turns rate limiting on or off, with a per-token per-minute limit.
    pub fn set_rate_limit(&self, enforce: bool, per_minute: u32) {
        let mut st = self.app.lock();
        st.cfg.enforce_rate_limit = enforce;
        st.cfg.rate_limit_per_minute = per_minute.max(1);
        st.rate.clear();
    }

    /// Sets the tracking webhook URL and `x-api-key` token. Refuses URLs Shiprocket's panel refuses
    /// (containing "shiprocket", "kartrocket", "sr" or "kr").
    pub fn set_webhook(&self, url: &str, token: Option<&str>) -> anyhow::Result<()> {
        tracking::check_webhook_url(url)?;
        let mut st = self.app.lock();
        st.cfg.webhook_url = Some(url.to_owned());
        st.cfg.webhook_token = token.map(str::to_owned);
        Ok(())
    }

    /// Stops sending webhooks.
    pub fn clear_webhook(&self) {
        self.app.lock().cfg.webhook_url = None;
    }

    /// Webhooks answered with a 2xx.
    pub fn webhooks_delivered(&self) -> usize {
        self.app.webhooks_delivered.load(Ordering::Relaxed)
    }

    /// Webhooks that failed (transport error or non-2xx); they are not retried.
    pub fn webhooks_failed(&self) -> usize {
        self.app.webhooks_failed.load(Ordering::Relaxed)
    }

    /// The calls answered so far, in order (the last 100 000; `count`/`counts` are exact).
    pub fn calls(&self) -> Vec<CallLogEntry> {
        self.app.log().entries()
    }

    /// Forgets the call log and the counts.
    pub fn clear_calls(&self) {
        self.app.log().clear();
    }

    /// Calls whose path ends with `path_suffix` (e.g. "orders/create/adhoc"), any status.
    pub fn count(&self, path_suffix: &str) -> usize {
        let suffix = path_suffix.trim_end_matches('/');
        let log = self.app.log();
        log.by_path()
            .filter(|(p, _)| p.trim_end_matches('/').ends_with(suffix))
            .map(|(_, n)| n)
            .sum()
    }

    /// Calls per endpoint key (e.g. "courier/track/awb").
    pub fn counts(&self) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for (path, n) in self.app.log().by_path() {
            *out.entry(gate::endpoint_key(path).to_owned()).or_insert(0) += n;
        }
        out
    }

    /// Shipments (= orders) created.
    pub fn shipment_count(&self) -> usize {
        self.app.lock().orders.len()
    }

    /// AWBs ever assigned (cancelled and reassigned ones included).
    pub fn awb_count(&self) -> usize {
        self.app.lock().consignments.len()
    }

    /// The live AWB of a shipment, if any.
    pub fn awb_of(&self, shipment_id: i64) -> Option<String> {
        let st = self.app.lock();
        let i = st.order_by_shipment(shipment_id)?;
        st.orders.get(i)?.awb.clone()
    }

    /// The shipment status code (shipment code space) of an AWB at the simulated now.
    pub fn shipment_status(&self, awb: &str) -> Option<u32> {
        let st = self.app.lock();
        let now = st.now();
        st.consignments.get(awb).map(|c| c.status(now))
    }
}
