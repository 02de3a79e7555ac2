//! Driving a shipment attempt under a short lease renewed by a heartbeat.
//!
//! The driver claims the attempt for [`LEASE`] with a token of its own, and while its work runs a
//! heartbeat renews the lease every [`HEARTBEAT`]. A process that dies (`kill -9`) stops renewing,
//! so any instance's shipment worker takes the attempt over within [`LEASE`]. A driver whose renewal
//! fails because the lease is someone else's now (it stalled longer than the lease) stops at once;
//! the saga is safe to stop anywhere and to resume from its persisted step.

use std::future::Future;
use std::time::Duration;

use orderly_store::fulfilment;
use tokio::sync::oneshot;

use crate::app::AppState;

/// How long a claim or a renewal holds an attempt: a dead driver's attempt is taken over this long
/// after its last heartbeat, at most.
pub const LEASE: time::Duration = time::Duration::seconds(15);

/// How often the holder renews its lease while it works (three renewals per lease).
pub const HEARTBEAT: Duration = Duration::from_secs(5);

/// Runs `work` while holding the lease on attempt `id`; `Ok(None)` when another driver holds it.
pub async fn hold<F, T>(state: &AppState, id: i64, work: F) -> anyhow::Result<Option<T>>
where
    F: Future<Output = T>,
{
    let holder = uuid::Uuid::now_v7().to_string();
    let now = state.clock.now();
    if !fulfilment::claim_lease(&state.store, id, &holder, now, now + LEASE).await? {
        return Ok(None);
    }
    let (lost_tx, lost_rx) = oneshot::channel();
    let beat = tokio::spawn(heartbeat(state.clone(), id, holder.clone(), lost_tx));
    let outcome = tokio::select! {
        out = work => Some(out),
        Ok(()) = lost_rx => None,
    };
    beat.abort();
    fulfilment::release_lease(&state.store, id, &holder).await?;
    match outcome {
        Some(out) => Ok(Some(out)),
        None => anyhow::bail!("lost the lease on shipment {id} to another driver; stopped"),
    }
}

async fn heartbeat(state: AppState, id: i64, holder: String, lost: oneshot::Sender<()>) {
    let mut every = tokio::time::interval(HEARTBEAT);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    every.tick().await;
    loop {
        every.tick().await;
        let until = state.clock.now() + LEASE;
        match fulfilment::renew_lease(&state.store, id, &holder, until).await {
            Ok(true) => {}
            Ok(false) => {
                let _ = lost.send(());
                return;
            }
            // The database hiccuped: try again next beat (the lease lasts three beats).
            Err(e) => tracing::warn!(shipment = id, error = %e, "could not renew a shipment lease"),
        }
    }
}
