//! The shipment worker: drives unfinished shipment attempts through the saga (see [`super::saga`]),
//! resumes them after a restart, and retries transient Shiprocket failures in the background.

use std::sync::Arc;
use std::time::Duration;

use orderly_store::fulfilment;
use tokio::sync::{OnceCell, Semaphore, watch};

use crate::app::AppState;
use crate::config::Settings;
use crate::metrics::Metrics;

/// How long one driver holds an attempt before another may take it over.
pub const LEASE: time::Duration = time::Duration::minutes(2);

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

/// Drives attempt `id` if nobody else is: takes the lease, runs the saga, gives the lease back.
pub async fn drive(state: &AppState, id: i64) -> anyhow::Result<()> {
    drive_until(state, id, super::saga::StopAt::Never).await
}

/// Like [`drive`], but stops at `stop` (tests use it to crash the saga at every boundary).
pub async fn drive_until(
    state: &AppState,
    id: i64,
    stop: super::saga::StopAt,
) -> anyhow::Result<()> {
    let now = state.clock.now();
    if !fulfilment::claim(&state.store, id, now, now + LEASE).await? {
        return Ok(());
    }
    let result = super::saga::run(state, id, stop).await;
    fulfilment::release(&state.store, id).await?;
    result
}

/// Runs due attempts until shutdown: at start-up (resuming whatever a crash left), then every
/// second, a few at a time.
pub async fn run(state: AppState, mut shutdown: watch::Receiver<bool>) {
    let permits = Arc::new(Semaphore::new(4));
    loop {
        if state.shiprocket.is_some() {
            match fulfilment::runnable(&state.store, state.clock.now(), 50).await {
                Ok(ids) => {
                    for id in ids {
                        let Ok(permit) = permits.clone().acquire_owned().await else {
                            break;
                        };
                        let state = state.clone();
                        tokio::spawn(async move {
                            if let Err(e) = drive(&state, id).await {
                                tracing::warn!(shipment = id, error = %e, "shipment saga stopped with an error");
                            }
                            drop(permit);
                        });
                    }
                }
                Err(e) => tracing::warn!(error = %e, "could not list due shipments"),
            }
        }
        tokio::select! {
            _ = shutdown.changed() => return,
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}
