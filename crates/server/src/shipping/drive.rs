//! Who drives an attempt: whoever holds its lease (`lease_until`) — the interactive request, a
//! batch job, or the shipment worker. The lease is taken here, the saga runs, the lease is given
//! back. Leases (and any future heartbeat or "waiting for Shiprocket" parking) live in this file.

use orderly_store::fulfilment;

use super::saga::{self, StopAt};
use crate::app::AppState;

/// How long one driver holds an attempt before another may take it over.
pub const LEASE: time::Duration = time::Duration::minutes(2);

/// Drives attempt `id` if nobody else is: takes the lease, runs the saga, gives the lease back.
pub async fn drive(state: &AppState, id: i64) -> anyhow::Result<()> {
    drive_until(state, id, StopAt::Never).await
}

/// Like [`drive`], but stops at `stop` (tests use it to crash the saga at every boundary).
pub async fn drive_until(state: &AppState, id: i64, stop: StopAt) -> anyhow::Result<()> {
    let now = state.clock.now();
    if !fulfilment::claim(&state.store, id, now, now + LEASE).await? {
        return Ok(());
    }
    let result = saga::run(state, id, stop).await;
    fulfilment::release(&state.store, id).await?;
    result
}
