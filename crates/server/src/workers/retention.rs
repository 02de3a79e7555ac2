//! The retention job: every [`RetentionSettings::every`] it deletes used idempotency keys, login
//! attempts, expired sessions and webhook delivery logs older than their configured ages
//! (`orderly_store::retention`), so tables that anyone can make grow stay bounded.

use std::time::Duration;

use anyhow::Context;
use orderly_store::retention::{self, Cutoffs, Swept};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::app::AppState;

/// How long each kind of row is kept (`ORDERLY_RETENTION_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionSettings {
    /// Idempotency keys (`ORDERLY_RETENTION_IDEMPOTENCY_HOURS`, default 24): a repeat after this
    /// runs again.
    pub idempotency_keys: Duration,
    /// Login attempts (`ORDERLY_RETENTION_LOGIN_ATTEMPTS_HOURS`, default 24; at least the 15-minute
    /// sign-in window).
    pub login_attempts: Duration,
    /// Sessions, counted from their expiry (`ORDERLY_RETENTION_SESSIONS_HOURS`, default 24).
    pub sessions: Duration,
    /// Webhook delivery logs (`ORDERLY_RETENTION_WEBHOOK_DELIVERIES_DAYS`, default 30).
    pub webhook_deliveries: Duration,
    /// How often the job runs (`ORDERLY_RETENTION_EVERY_SECS`, default 3600).
    pub every: Duration,
}

const HOUR: u64 = 3600;

impl Default for RetentionSettings {
    fn default() -> Self {
        RetentionSettings {
            idempotency_keys: Duration::from_secs(24 * HOUR),
            login_attempts: Duration::from_secs(24 * HOUR),
            sessions: Duration::from_secs(24 * HOUR),
            webhook_deliveries: Duration::from_secs(30 * 24 * HOUR),
            every: Duration::from_secs(HOUR),
        }
    }
}

impl RetentionSettings {
    /// Reads `ORDERLY_RETENTION_*` through `get` over the defaults.
    pub fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let mut s = RetentionSettings::default();
        let read = |name: &str, unit: u64, into: &mut Duration| -> anyhow::Result<()> {
            if let Some(v) = get(name).filter(|v| !v.trim().is_empty()) {
                let n: u64 = v
                    .trim()
                    .parse()
                    .with_context(|| format!("{name}={v:?} must be a whole number"))?;
                *into = Duration::from_secs(n.saturating_mul(unit));
            }
            Ok(())
        };
        read(
            "ORDERLY_RETENTION_IDEMPOTENCY_HOURS",
            HOUR,
            &mut s.idempotency_keys,
        )?;
        read(
            "ORDERLY_RETENTION_LOGIN_ATTEMPTS_HOURS",
            HOUR,
            &mut s.login_attempts,
        )?;
        read("ORDERLY_RETENTION_SESSIONS_HOURS", HOUR, &mut s.sessions)?;
        read(
            "ORDERLY_RETENTION_WEBHOOK_DELIVERIES_DAYS",
            24 * HOUR,
            &mut s.webhook_deliveries,
        )?;
        read("ORDERLY_RETENTION_EVERY_SECS", 1, &mut s.every)?;
        if s.every.is_zero() {
            anyhow::bail!("ORDERLY_RETENTION_EVERY_SECS must be at least 1");
        }
        // Login attempts are the sign-in limits' memory: never keep less than their window.
        let window = Duration::try_from(crate::throttle::LOGIN_WINDOW).unwrap_or_default();
        s.login_attempts = s.login_attempts.max(window);
        Ok(s)
    }
}

/// Starts the job; it sweeps once at start-up, then every `every`, and stops on shutdown.
pub fn start(state: AppState, mut shutdown: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match sweep_once(&state).await {
                Ok(swept) if swept != Swept::default() => {
                    tracing::info!(
                        idempotency_keys = swept.idempotency_keys,
                        login_attempts = swept.login_attempts,
                        sessions = swept.sessions,
                        webhook_deliveries = swept.webhook_deliveries,
                        "retention: old rows deleted"
                    );
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "retention sweep failed; retrying later"),
            }
            tokio::select! {
                _ = tokio::time::sleep(state.settings.retention.every) => {}
                _ = shutdown.changed() => {}
            }
            if *shutdown.borrow() {
                break;
            }
        }
    })
}

/// Deletes everything past its age once, on `state.clock`.
pub async fn sweep_once(state: &AppState) -> anyhow::Result<Swept> {
    let now = state.clock.now();
    let r = state.settings.retention;
    // An age too large to subtract keeps everything.
    let ago = |d: Duration| {
        time::Duration::try_from(d)
            .ok()
            .and_then(|d| now.checked_sub(d))
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
    };
    let cutoffs = Cutoffs {
        idempotency_keys: ago(r.idempotency_keys),
        login_attempts: ago(r.login_attempts),
        sessions: ago(r.sessions),
        webhook_deliveries: ago(r.webhook_deliveries),
    };
    Ok(retention::sweep(&state.store, &cutoffs).await?)
}
