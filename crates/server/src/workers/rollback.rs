//! The rollback guard: every few seconds it judges the rolling shipment figures and, when the error
//! rate is over the threshold or the success rate under it (on at least the stage's minimum sample),
//! or at once on critical data loss (an order's shipment duplicated or lost), switches
//! `feature.orders.order_fulfillment` off, records the figures for the dashboard banner and emits
//! `FeatureRolledBack` through the outbox — flag change, history, audit and event in one transaction.

use orderly_domain::feature::{
    FlagState, ORDER_FULFILLMENT, Stage, critical_loss_due, rollback_due,
};
use orderly_store::flags::{self, Change};
use orderly_store::outbox::{self, types};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::app::AppState;
use crate::feature::{self, Source};

/// The actor the guard's changes are recorded under.
pub const ACTOR: &str = "rollback-guard";

/// Starts the guard; it stops when `shutdown` flips to true.
pub fn start(state: AppState, mut shutdown: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let every = state.settings.feature_rollback.every;
        loop {
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = shutdown.changed() => {}
            }
            if *shutdown.borrow() {
                break;
            }
            if let Err(e) = evaluate_once(&state).await {
                tracing::warn!(error = %e, "rollback guard could not evaluate");
            }
        }
    })
}

/// Judges the window once. Returns the reason when it switched fulfilment off, `None` otherwise.
/// The window starts at the later of `now - window` and the flag's last change, so re-enabling
/// starts a fresh judgement instead of rolling straight back on the old failures.
pub async fn evaluate_once(state: &AppState) -> anyhow::Result<Option<String>> {
    let settings = state.settings.feature_rollback;
    let flag = feature::load(&state.store, &state.settings).await?;
    if flag.state.stage == Stage::Off {
        return Ok(None);
    }
    let now = state.clock.now();
    let window = time::Duration::try_from(settings.window)?;
    let mut since = now - window;
    if let Some(s) = &flag.stored
        && s.updated_at > since
    {
        since = s.updated_at;
    }
    let until = now + time::Duration::microseconds(1);
    let stats = flags::window_stats(&state.store, since, until).await?;
    let integrity = flags::integrity(&state.store, since, until).await?;
    // The minimum sample fits the stage (alpha has only 5–10 orders); critical data loss needs none.
    let thresholds = settings.thresholds.for_stage(flag.state.stage);
    let Some(reason) = critical_loss_due(&integrity).or_else(|| rollback_due(&stats, &thresholds))
    else {
        return Ok(None);
    };
    let figures = serde_json::json!({
        "window_seconds": (now - since).whole_seconds(),
        "settled": stats.settled,
        "succeeded": stats.succeeded,
        "failed": stats.failed,
        "errors": stats.errors,
        "success_rate": stats.success_rate(),
        "error_rate": stats.error_rate(),
        "max_error_rate": thresholds.max_error_rate,
        "min_success_rate": thresholds.min_success_rate,
        "min_sample": thresholds.min_sample,
        "duplicated_orders": integrity.duplicated,
        "lost_orders": integrity.lost,
    });
    let expected = flag.stored.as_ref().map(|s| s.version);
    let off = FlagState::off();
    let mut tx = state.store.begin().await?;
    let change = Change {
        state: &off,
        actor: ACTOR,
        reason: &reason,
        at: now,
        rollback_figures: Some(figures.clone()),
    };
    match flags::set_in(&mut tx, ORDER_FULFILLMENT, expected, &change).await {
        Ok(_) => {}
        // Someone changed the flag meanwhile: judge again next time, against their change.
        Err(orderly_store::StoreError::Conflict(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    }
    let data = serde_json::json!({
        "flag": ORDER_FULFILLMENT,
        "from": {"stage": flag.state.stage, "percent": flag.state.percent},
        "from_source": match flag.source { Source::Database => "database", Source::Config => "config", Source::Default => "default" },
        "to": {"stage": Stage::Off},
        "reason": reason,
        "figures": figures,
    });
    outbox::append(&mut tx, types::FEATURE_ROLLED_BACK, 1, None, now, data).await?;
    tx.commit().await?;
    feature::invalidate(&state.settings);
    state.live.notify_outbox();
    tracing::warn!(
        settled = stats.settled,
        errors = stats.errors,
        succeeded = stats.succeeded,
        "fulfilment switched off by the rollback guard"
    );
    Ok(Some(reason))
}
