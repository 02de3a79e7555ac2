//! Background workers: the shipment saga, outbox delivery, tracking reconciliation, NATS intake.
//! [`start`] launches every worker this process runs; each stops when `shutdown` flips to true.

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::app::AppState;

/// Starts every background worker over `state`. Each worker owns one line here.
pub fn start(state: &AppState, shutdown: watch::Receiver<bool>) -> Vec<JoinHandle<()>> {
    let handles: Vec<JoinHandle<()>> = Vec::new();
    let _ = (state, shutdown);
    handles
}
