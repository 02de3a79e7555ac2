//! Who drives an attempt: whoever holds its lease — the interactive request, a batch job, or the
//! shipment worker of any instance — and what happens when Shiprocket is down for everyone.
//!
//! The driver claims the attempt for [`LEASE`] with a token of its own (`lease_until`,
//! `lease_holder`) and, while the saga runs, a heartbeat renews the lease every [`HEARTBEAT`]. A
//! process that dies (`kill -9`) stops renewing, so any instance's shipment worker takes the attempt
//! over within [`LEASE`]. A driver whose renewal finds the lease someone else's (it stalled longer
//! than the lease) stops at once; the saga is safe to stop anywhere and resumes from its persisted
//! step. An attempt whose Shiprocket call failed because Shiprocket is unavailable is parked
//! ([`wait_for_shiprocket`]) until the worker's probe ([`crate::outage::Prober`]) sees it answer.

use std::time::Duration;

use orderly_store::fulfilment::{self, Shipment};
use tokio::sync::oneshot;

use super::saga::{self, StopAt};
use crate::app::AppState;

/// How long a claim or a renewal holds an attempt: a dead driver's attempt is taken over at most
/// this long after its last heartbeat.
pub const LEASE: time::Duration = time::Duration::seconds(15);

/// How often the holder renews its lease while the saga runs (three renewals per lease).
pub const HEARTBEAT: Duration = Duration::from_secs(5);

/// Drives attempt `id` if nobody else is: takes the lease, runs the saga, gives the lease back.
pub async fn drive(state: &AppState, id: i64) -> anyhow::Result<()> {
    drive_until(state, id, StopAt::Never).await
}

/// Like [`drive`], but stops at `stop` (tests use it to crash the saga at every boundary).
pub async fn drive_until(state: &AppState, id: i64, stop: StopAt) -> anyhow::Result<()> {
    let holder = uuid::Uuid::now_v7().to_string();
    let now = state.clock.now();
    if !fulfilment::claim_lease(&state.store, id, &holder, now, now + LEASE).await? {
        return Ok(());
    }
    let (lost_tx, lost_rx) = oneshot::channel();
    let beat = tokio::spawn(heartbeat(state.clone(), id, holder.clone(), lost_tx));
    let result = tokio::select! {
        r = saga::run(state, id, stop) => r,
        Ok(()) = lost_rx => Err(anyhow::anyhow!(
            "lost the lease on shipment {id} to another driver; stopped"
        )),
    };
    beat.abort();
    fulfilment::release_lease(&state.store, id, &holder).await?;
    result
}

/// Renews `holder`'s lease every [`HEARTBEAT`]; tells the driver when the lease is gone.
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

/// Shiprocket is down for everyone (`e` is an outage error, [`crate::outage::is_outage`]): parks the
/// attempt as waiting for Shiprocket — not failed, not due, not judged by the rollback guard — at
/// the step it reached. It resumes from there when the worker's probe sees Shiprocket answer.
pub(crate) async fn wait_for_shiprocket(
    state: &AppState,
    sh: &Shipment,
    e: &shiprocket::Error,
) -> anyhow::Result<()> {
    let mut conn = state.store.writer().acquire().await?;
    let reason = crate::outage::reason(e);
    if fulfilment::park(
        &mut conn,
        sh.id,
        sh.step.as_str(),
        &reason,
        state.clock.now(),
    )
    .await?
    {
        tracing::warn!(
            shipment = sh.id,
            kind = e.kind().as_str(),
            "Shiprocket is unavailable; the shipment waits for it"
        );
        state.metrics.inc(
            "orderly_shipments_parked_total",
            &[("kind", e.kind().as_str())],
            1.0,
        );
    }
    Ok(())
}
