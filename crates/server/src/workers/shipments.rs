//! The shipment worker: every second, drives due shipment attempts through the saga
//! ([`crate::shipping::drive`]) — resuming what a restart left behind and retrying transient
//! Shiprocket failures in the background.

use std::sync::Arc;
use std::time::Duration;

use orderly_store::fulfilment;
use tokio::sync::{Semaphore, watch};

use crate::app::AppState;
use crate::shipping::drive;

/// Runs due attempts until shutdown: at start-up (resuming whatever a crash left), then every
/// second, a few at a time; attempts waiting for Shiprocket resume when the probe sees it answer.
pub async fn run(state: AppState, mut shutdown: watch::Receiver<bool>) {
    let permits = Arc::new(Semaphore::new(4));
    let mut prober = crate::outage::Prober::default();
    loop {
        if state.shiprocket.is_some() {
            // While shipments wait for Shiprocket, one probe call decides whether they resume.
            prober.tick(&state).await;
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
            // Cancellations whose final commit failed (or whose process died) are finished here.
            crate::actions::finish_pending_cancels(&state).await;
        }
        tokio::select! {
            _ = shutdown.changed() => return,
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}
