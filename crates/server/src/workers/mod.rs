//! Background workers (polling loops): due shipment attempts, batches, outbox delivery, tracking reconciliation, NATS intake.
//! [`start`] launches every worker this process runs; each stops when `shutdown` flips to true.

pub mod dispatch;
pub mod nats;
pub mod nats_auth;
pub mod retention;
pub mod rollback;
pub mod shipments;
pub mod tracking;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::app::AppState;

/// Starts every background worker over `state`. Each worker owns one line here.
pub fn start(state: &AppState, shutdown: watch::Receiver<bool>) -> Vec<JoinHandle<()>> {
    vec![
        tokio::spawn(shipments::run(state.clone(), shutdown.clone())),
        tokio::spawn(crate::actions::resume_batches(state.clone())),
        tokio::spawn(tracking::run(state.clone(), shutdown.clone())),
        dispatch::start(state.clone(), shutdown.clone()),
        nats::start(state.clone(), shutdown.clone()),
        rollback::start(state.clone(), shutdown.clone()),
        retention::start(state.clone(), shutdown.clone()),
    ]
}
