//! Live updates: every change to an order is announced here after its transaction commits, and the
//! dashboard's Server-Sent Events streams listen. (Multi-instance fan-out over PostgreSQL
//! LISTEN/NOTIFY is added by the dashboard work.)

use serde::Serialize;
use tokio::sync::broadcast;

/// One change, as the dashboard needs to hear it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LiveEvent {
    /// The order that changed.
    pub order_number: String,
    /// `placed` for a new order, otherwise what changed (`status`, `shipment`, `note`, `address`, `flags`).
    pub kind: &'static str,
}

/// The in-process change bus.
#[derive(Debug, Clone)]
pub struct Live {
    tx: broadcast::Sender<LiveEvent>,
    outbox: std::sync::Arc<tokio::sync::watch::Sender<u64>>,
}

impl Default for Live {
    fn default() -> Self {
        Live::new()
    }
}

impl Live {
    /// A bus with room for bursts (slow listeners that fall behind are told to catch up).
    pub fn new() -> Live {
        let (tx, _) = broadcast::channel(4096);
        Live {
            tx,
            outbox: std::sync::Arc::new(tokio::sync::watch::channel(0).0),
        }
    }

    /// Wakes the outbox delivery workers (webhooks, NATS) at once; call after committing a
    /// transaction that appended outbox rows. Never blocks. (Workers also poll every 250 ms.)
    pub fn notify_outbox(&self) {
        self.outbox.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// A receiver that sees every [`Live::notify_outbox`] from now on (used by delivery workers).
    pub fn outbox_changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.outbox.subscribe()
    }

    /// Announces a committed change. Never blocks; nobody listening is fine.
    pub fn publish(&self, order_number: &str, kind: &'static str) {
        let _ = self.tx.send(LiveEvent {
            order_number: order_number.to_string(),
            kind,
        });
    }

    /// Listens for changes from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<LiveEvent> {
        self.tx.subscribe()
    }
}
