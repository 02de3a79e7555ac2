//! The tracking poller: Shiprocket's webhooks are hints, so shipped orders with no news for a while
//! are reconciled through `courier/track/awbs` (in chunks, within the shared rate limit).

use std::time::Duration;

use orderly_store::fulfilment;
use tokio::sync::watch;

use crate::actions::{self, TrackingUpdate};
use crate::app::AppState;

/// Orders with no tracking news for this long are polled.
const QUIET_FOR: time::Duration = time::Duration::minutes(30);
/// AWBs asked about per round.
const PER_ROUND: i64 = 50;

/// One reconciliation round; returns how many AWBs were asked about.
pub async fn poll_once(state: &AppState) -> anyhow::Result<usize> {
    let Some(sr) = state.shiprocket.clone() else {
        return Ok(0);
    };
    let now = state.clock.now();
    let awbs = fulfilment::stale_shipped(&state.store, now - QUIET_FOR, PER_ROUND).await?;
    if awbs.is_empty() {
        return Ok(0);
    }
    let results = sr
        .client
        .track_awbs(&awbs)
        .await
        .map_err(|e| anyhow::anyhow!(e.ops_message()))?;
    for awb in &awbs {
        let update = match results.get(awb) {
            Some(Ok(t)) => t.shipment_status.map(|status| TrackingUpdate {
                awb: awb.clone(),
                status_code: status.code(),
                scan_at: t.activities.iter().filter_map(|a| a.date).max(),
                location: t.activities.first().and_then(|a| a.location.clone()),
                source: "poll",
            }),
            _ => None,
        };
        match update {
            Some(u) => {
                if let Err(e) = actions::apply_tracking(state, &u).await {
                    tracing::warn!(error = %e, "could not apply polled tracking");
                }
            }
            None => {
                // No scans yet: remember we asked, so the next round moves on to other AWBs.
                let mut tx = state.store.begin().await?;
                if let Some(t) = fulfilment::shipment_by_awb(&mut tx, awb).await? {
                    fulfilment::set_tracking_status(&mut tx, t.order_id, None, now).await?;
                }
                tx.commit().await?;
            }
        }
    }
    Ok(awbs.len())
}

/// Polls every minute until shutdown.
pub async fn run(state: AppState, mut shutdown: watch::Receiver<bool>) {
    loop {
        if let Err(e) = poll_once(&state).await {
            tracing::warn!(error = %e, "tracking poll failed");
        }
        tokio::select! {
            _ = shutdown.changed() => return,
            () = tokio::time::sleep(Duration::from_secs(60)) => {}
        }
    }
}
