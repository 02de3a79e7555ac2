//! The Shiprocket client as Orderly holds it: one shared client (rate limiter, token, breaker) and
//! what Orderly caches about the account (the pickup location and its PIN code).

use std::sync::Arc;

use tokio::sync::OnceCell;

use crate::config::Settings;
use crate::metrics::Metrics;

/// The Shiprocket client and what Orderly caches about the account.
#[derive(Debug)]
pub struct Shiprocket {
    /// The shared client (one rate limiter, token and breaker for the process).
    pub client: shiprocket::Client,
    /// The pickup location's nickname.
    pub pickup_location: String,
    pickup_pincode: OnceCell<String>,
}

impl Shiprocket {
    /// Builds the client from settings; `None` when no credentials are configured.
    pub fn from_settings(
        settings: &Settings,
        metrics: &Metrics,
    ) -> anyhow::Result<Option<Shiprocket>> {
        let (Some(email), Some(password)) =
            (&settings.shiprocket_email, &settings.shiprocket_password)
        else {
            return Ok(None);
        };
        crate::install_crypto_provider();
        let mut cfg = shiprocket::ClientConfig::new(
            settings.shiprocket_url.clone(),
            email.clone(),
            password.expose(),
        );
        cfg.requests_per_minute = settings.shiprocket_rpm;
        cfg.request_timeout = settings.shiprocket_timeout;
        cfg.breaker_cooldown = settings.shiprocket_breaker_cooldown;
        cfg.retry_budget = cfg.retry_budget.min(settings.shiprocket_timeout * 3);
        let m = metrics.clone();
        m.describe(
            "orderly_shiprocket_call_seconds",
            "histogram",
            "Shiprocket call latency by endpoint.",
        );
        cfg.observer = Some(Arc::new(move |r: &shiprocket::CallRecord| {
            let outcome = match r.outcome {
                Ok(()) => "ok",
                Err(kind) => kind.as_str(),
            };
            m.observe(
                "orderly_shiprocket_call_seconds",
                &[("endpoint", r.endpoint), ("outcome", outcome)],
                r.elapsed.as_secs_f64(),
            );
        }));
        let client = shiprocket::Client::new(cfg)
            .map_err(|e| anyhow::anyhow!("Shiprocket client: {}", e.ops_message()))?;
        Ok(Some(Shiprocket {
            client,
            pickup_location: settings.pickup_location.clone(),
            pickup_pincode: OnceCell::new(),
        }))
    }

    /// The PIN code of the configured pickup location (asked once, then cached).
    pub async fn pickup_pincode(&self) -> Result<String, shiprocket::Error> {
        self.pickup_pincode
            .get_or_try_init(|| async {
                let locations = self.client.pickup_locations().await?;
                let found = locations
                    .iter()
                    .find(|l| l.pickup_location == self.pickup_location)
                    .or_else(|| locations.iter().find(|l| l.is_primary_location))
                    .or(locations.first());
                Ok(found.and_then(|l| l.pin_code.clone()).unwrap_or_default())
            })
            .await
            .cloned()
    }
}
