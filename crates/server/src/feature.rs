//! The `feature.orders.order_fulfillment` gate as the rest of the server uses it: [`check`] before
//! any fulfilment work, [`decide`] for the dashboard's "why no actions" line, [`set`] for admins
//! (settings page, API, CLI), [`banner`] after an automatic rollback, and [`RollbackSettings`].
//!
//! The value comes from the database once anyone has set it, otherwise from
//! `ORDERLY_FEATURE_ORDER_FULFILLMENT`, otherwise `off`. Reads go through a small per-database cache
//! that this process refreshes on every change it makes and that expires after [`CACHE_TTL`], so a
//! change made by another process (the CLI, a worker-only process) is seen within that time.

pub mod report;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use anyhow::Context;
use orderly_domain::feature::{self, Decision, FlagState, ORDER_FULFILLMENT, Thresholds};
use orderly_store::flags::{self, Change, StoredFlag};
use orderly_store::{Store, StoreError};
use serde::Serialize;

use crate::app::AppState;
use crate::config::Settings;

/// How long a cached flag value is trusted before it is read again.
pub const CACHE_TTL: Duration = Duration::from_secs(2);

/// Fulfilment is not open for this order and actor. The API answers 403 `feature_disabled` with
/// `reason` as the message; the dashboard shows `reason` instead of the actions.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct FeatureDisabled {
    /// A sentence for people.
    pub reason: String,
}

/// Where the flag's value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// Someone set it (settings page, API, CLI, the rollback guard).
    Database,
    /// Never set: `ORDERLY_FEATURE_ORDER_FULFILLMENT`.
    Config,
    /// Never set and not configured: off.
    Default,
}

/// The flag's value in force, with its stored row when there is one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Effective {
    /// The value.
    pub state: FlagState,
    /// Where it came from.
    pub source: Source,
    /// The stored row (version, who, why, rollback figures).
    pub stored: Option<StoredFlag>,
}

/// The rollback guard's configuration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RollbackSettings {
    /// Error-rate and success-rate limits and the minimum sample.
    pub thresholds: Thresholds,
    /// The rolling window (`ORDERLY_ROLLBACK_WINDOW_SECS`, default 3600).
    pub window: Duration,
    /// How often the guard looks (`ORDERLY_ROLLBACK_CHECK_SECS`, default 30).
    pub every: Duration,
}

impl Default for RollbackSettings {
    fn default() -> RollbackSettings {
        RollbackSettings {
            thresholds: Thresholds::default(),
            window: Duration::from_secs(3600),
            every: Duration::from_secs(30),
        }
    }
}

impl RollbackSettings {
    /// Reads `ORDERLY_ROLLBACK_{WINDOW_SECS, CHECK_SECS, MIN_SAMPLE, MIN_SAMPLE_ALPHA, MIN_SAMPLE_BETA,
    /// MAX_ERROR_PCT, MIN_SUCCESS_PCT}`
    /// through `get` over the defaults (spec: error rate over 1 %, success rate under 90 %).
    pub fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> anyhow::Result<RollbackSettings> {
        let mut r = RollbackSettings::default();
        let num = |k: &str| -> anyhow::Result<Option<f64>> {
            get(k)
                .map(|v| {
                    v.trim()
                        .parse::<f64>()
                        .ok()
                        .filter(|x| x.is_finite() && *x >= 0.0)
                        .with_context(|| format!("{k} must be a non-negative number"))
                })
                .transpose()
        };
        // Each value has a ceiling, so no setting can overflow a `Duration` or a clock.
        let at_most = |k: &str, v: f64, max: f64| -> anyhow::Result<f64> {
            anyhow::ensure!(v <= max, "{k} must be at most {max}");
            Ok(v)
        };
        if let Some(v) = num("ORDERLY_ROLLBACK_WINDOW_SECS")? {
            let v = at_most("ORDERLY_ROLLBACK_WINDOW_SECS", v, 30.0 * 86_400.0)?;
            r.window = Duration::from_secs_f64(v.max(1.0));
        }
        if let Some(v) = num("ORDERLY_ROLLBACK_CHECK_SECS")? {
            let v = at_most("ORDERLY_ROLLBACK_CHECK_SECS", v, 86_400.0)?;
            r.every = Duration::from_secs_f64(v.max(0.05));
        }
        if let Some(v) = num("ORDERLY_ROLLBACK_MIN_SAMPLE")? {
            r.thresholds.min_sample = at_most("ORDERLY_ROLLBACK_MIN_SAMPLE", v, 1e9)? as u64;
        }
        if let Some(v) = num("ORDERLY_ROLLBACK_MIN_SAMPLE_ALPHA")? {
            r.thresholds.min_sample_alpha = v as u64;
        }
        if let Some(v) = num("ORDERLY_ROLLBACK_MIN_SAMPLE_BETA")? {
            r.thresholds.min_sample_beta = v as u64;
        }
        if let Some(v) = num("ORDERLY_ROLLBACK_MAX_ERROR_PCT")? {
            r.thresholds.max_error_rate =
                at_most("ORDERLY_ROLLBACK_MAX_ERROR_PCT", v, 100.0)? / 100.0;
        }
        if let Some(v) = num("ORDERLY_ROLLBACK_MIN_SUCCESS_PCT")? {
            r.thresholds.min_success_rate =
                at_most("ORDERLY_ROLLBACK_MIN_SUCCESS_PCT", v, 100.0)? / 100.0;
        }
        Ok(r)
    }
}

/// Checks `ORDERLY_FEATURE_ORDER_FULFILLMENT` (`off`, `internal:<a@x,…>`, `percent:<n>`, `on`).
pub fn parse_config(v: &str) -> anyhow::Result<FlagState> {
    FlagState::parse_config(v)
        .map_err(|e| anyhow::anyhow!("ORDERLY_FEATURE_ORDER_FULFILLMENT={v:?}: {e}"))
}

#[derive(Debug, Default)]
struct Slot {
    value: Option<(Instant, Effective)>,
}

/// One cache slot per database URL (tests run many apps, each on its own database, in one process).
fn slot(database_url: &str) -> Arc<Mutex<Slot>> {
    static SLOTS: OnceLock<Mutex<HashMap<String, Arc<Mutex<Slot>>>>> = OnceLock::new();
    let slots = SLOTS.get_or_init(Default::default);
    let mut map = slots.lock().unwrap_or_else(|p| p.into_inner());
    map.entry(database_url.to_string()).or_default().clone()
}

fn remember(database_url: &str, value: &Effective) {
    let s = slot(database_url);
    let mut s = s.lock().unwrap_or_else(|p| p.into_inner());
    s.value = Some((Instant::now(), value.clone()));
}

/// Forgets the cached value for `settings`' database (the next read goes to the database).
pub fn invalidate(settings: &Settings) {
    let s = slot(&settings.database_url);
    s.lock().unwrap_or_else(|p| p.into_inner()).value = None;
}

/// Reads the flag from the database, falling back to config, then `off`.
pub async fn load(store: &Store, settings: &Settings) -> Result<Effective, StoreError> {
    let stored = flags::get(store, ORDER_FULFILLMENT).await?;
    Ok(match stored {
        Some(s) => Effective {
            state: s.state.clone(),
            source: Source::Database,
            stored: Some(s),
        },
        None => match settings
            .feature_order_fulfillment
            .as_deref()
            .map(FlagState::parse_config)
        {
            Some(Ok(state)) => Effective {
                state,
                source: Source::Config,
                stored: None,
            },
            Some(Err(_)) | None => Effective {
                state: FlagState::off(),
                source: Source::Default,
                stored: None,
            },
        },
    })
}

/// The flag in force, from the cache when fresh.
pub async fn current(state: &AppState) -> Result<Effective, StoreError> {
    let url = &state.settings.database_url;
    {
        let s = slot(url);
        let s = s.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((at, v)) = &s.value
            && at.elapsed() < CACHE_TTL
        {
            return Ok(v.clone());
        }
    }
    let v = load(&state.store, &state.settings).await?;
    remember(url, &v);
    Ok(v)
}

/// Whether fulfilment is open for `order_number` when `actor` acts. A database failure closes it.
pub async fn decide(state: &AppState, order_number: &str, actor: Option<&str>) -> Decision {
    match current(state).await {
        Ok(v) => feature::applies(&v.state, order_number, actor),
        Err(e) => {
            tracing::error!(error = %e, "cannot read the fulfilment feature flag");
            Decision {
                allowed: false,
                why: "Fulfilment availability could not be checked; please try again in a moment."
                    .into(),
            }
        }
    }
}

/// Refuses unless fulfilment is open for `order_number` and `actor` (`user:<email>`,
/// `apikey:<prefix>`, or for workers the shipment's requester). Call at the start of every
/// fulfilment action and before the saga starts new work for an order.
pub async fn check(
    state: &AppState,
    order_number: &str,
    actor: &str,
) -> Result<(), FeatureDisabled> {
    let d = decide(state, order_number, Some(actor)).await;
    if d.allowed {
        Ok(())
    } else {
        Err(FeatureDisabled { reason: d.why })
    }
}

/// Why a change was refused.
#[derive(Debug, thiserror::Error)]
pub enum SetError {
    /// The value or reason is invalid (a sentence for people).
    #[error("{0}")]
    Invalid(String),
    /// Someone else changed the flag since `expected_version`.
    #[error("the flag changed meanwhile; reload and try again")]
    Conflict,
    /// The database failed.
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for SetError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(_) => SetError::Conflict,
            other => SetError::Store(other),
        }
    }
}

/// Sets the flag (audited) on `store`. `expected_version`, when given, must match the stored one
/// (`Some(0)`: never set). Used by the CLI directly and by [`set`].
pub async fn set_on(
    store: &Store,
    new: &FlagState,
    actor: &str,
    reason: &str,
    expected_version: Option<i64>,
    at: time::OffsetDateTime,
) -> Result<StoredFlag, SetError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(SetError::Invalid(
            "Say why you are changing the flag.".into(),
        ));
    }
    if reason.chars().count() > 500 {
        return Err(SetError::Invalid(
            "Keep the reason under 500 characters.".into(),
        ));
    }
    let change = Change {
        state: new,
        actor,
        reason,
        at,
        rollback_figures: None,
    };
    let stored = match expected_version {
        None => flags::set(store, ORDER_FULFILLMENT, &change).await?,
        Some(v) => {
            let mut tx = store.begin().await?;
            let expected = (v > 0).then_some(v);
            let s = flags::set_in(&mut tx, ORDER_FULFILLMENT, expected, &change).await?;
            tx.commit().await.map_err(StoreError::from)?;
            s
        }
    };
    Ok(stored)
}

/// Sets the flag and refreshes this process's cache at once.
pub async fn set(
    state: &AppState,
    new: &FlagState,
    actor: &str,
    reason: &str,
    expected_version: Option<i64>,
) -> Result<StoredFlag, SetError> {
    let stored = set_on(
        &state.store,
        new,
        actor,
        reason,
        expected_version,
        state.clock.now(),
    )
    .await;
    invalidate(&state.settings);
    let stored = stored?;
    tracing::info!(stage = %stored.state.stage, percent = stored.state.percent, actor, "fulfilment feature flag changed");
    Ok(stored)
}

/// The banner every dashboard page shows while fulfilment is off after an automatic rollback:
/// when it happened and the figures that triggered it. `None` otherwise.
pub async fn banner(state: &AppState) -> Option<String> {
    let v = current(state).await.ok()?;
    let rb = v.stored?.rolled_back?;
    let at = rb
        .at
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    Some(format!(
        "Fulfilment automation was switched off automatically at {at}: {} An admin can re-enable it under Settings → Fulfilment rollout.",
        rb.reason
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn rollback_settings_default_to_the_spec_and_read_the_environment() {
        let d = RollbackSettings::from_lookup(&lookup(&[])).unwrap();
        assert_eq!(d, RollbackSettings::default());
        assert_eq!(d.thresholds.max_error_rate, 0.01);
        assert_eq!(d.thresholds.min_success_rate, 0.90);
        let r = RollbackSettings::from_lookup(&lookup(&[
            ("ORDERLY_ROLLBACK_WINDOW_SECS", "600"),
            ("ORDERLY_ROLLBACK_CHECK_SECS", "5"),
            ("ORDERLY_ROLLBACK_MIN_SAMPLE", "50"),
            ("ORDERLY_ROLLBACK_MIN_SAMPLE_ALPHA", "4"),
            ("ORDERLY_ROLLBACK_MIN_SAMPLE_BETA", "12"),
            ("ORDERLY_ROLLBACK_MAX_ERROR_PCT", "0.5"),
            ("ORDERLY_ROLLBACK_MIN_SUCCESS_PCT", "95"),
        ]))
        .unwrap();
        assert_eq!(r.window, Duration::from_secs(600));
        assert_eq!(r.every, Duration::from_secs(5));
        assert_eq!(r.thresholds.min_sample, 50);
        assert_eq!(r.thresholds.min_sample_alpha, 4);
        assert_eq!(r.thresholds.min_sample_beta, 12);
        assert_eq!(r.thresholds.max_error_rate, 0.005);
        assert_eq!(r.thresholds.min_success_rate, 0.95);
        for (k, v) in [
            ("ORDERLY_ROLLBACK_MAX_ERROR_PCT", "lots"),
            ("ORDERLY_ROLLBACK_MAX_ERROR_PCT", "101"),
            ("ORDERLY_ROLLBACK_WINDOW_SECS", "inf"),
            ("ORDERLY_ROLLBACK_WINDOW_SECS", "NaN"),
            ("ORDERLY_ROLLBACK_WINDOW_SECS", "1e300"),
            ("ORDERLY_ROLLBACK_CHECK_SECS", "-1"),
            ("ORDERLY_ROLLBACK_CHECK_SECS", "1e20"),
        ] {
            let get = |key: &str| (key == k).then(|| v.to_string());
            let e = RollbackSettings::from_lookup(&get).unwrap_err();
            assert!(e.to_string().contains(k), "{k}={v}: {e}");
        }
    }

    #[test]
    fn a_bad_flag_value_in_the_environment_stops_start_up() {
        let bad = Settings::from_lookup(lookup(&[(
            "ORDERLY_FEATURE_ORDER_FULFILLMENT",
            "percent:150",
        )]));
        assert!(
            bad.unwrap_err()
                .to_string()
                .contains("ORDERLY_FEATURE_ORDER_FULFILLMENT")
        );
        let good = Settings::from_lookup(lookup(&[(
            "ORDERLY_FEATURE_ORDER_FULFILLMENT",
            "internal:a@b.in",
        )]))
        .unwrap();
        assert_eq!(
            good.feature_order_fulfillment.as_deref(),
            Some("internal:a@b.in")
        );
    }
}
