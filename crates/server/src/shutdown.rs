//! The shutdown signal every long-lived piece of the server listens to: Server-Sent Events streams,
//! background workers, the dashboard's count refresher and the PostgreSQL fan-out. It flips once
//! (SIGTERM, Ctrl-C or the end of a test); [`crate::Application::run_until`] then drains for at most
//! [`DRAIN_LIMIT`] and returns.

use std::time::Duration;

use tokio::sync::watch;

/// How long a shutting-down server waits for open requests and workers before it exits anyway.
pub const DRAIN_LIMIT: Duration = Duration::from_secs(10);

/// A one-way switch: off until [`Shutdown::trigger`], then on for good. Clones share the switch.
#[derive(Debug, Clone)]
pub struct Shutdown {
    tx: watch::Sender<bool>,
}

impl Default for Shutdown {
    fn default() -> Self {
        Shutdown::new()
    }
}

impl Shutdown {
    /// A switch that is off.
    pub fn new() -> Shutdown {
        Shutdown {
            tx: watch::channel(false).0,
        }
    }

    /// Turns the switch on (idempotent); everything waiting in [`Shutdown::wait`] wakes.
    pub fn trigger(&self) {
        self.tx.send_replace(true);
    }

    /// True once shutdown has begun.
    pub fn is_triggered(&self) -> bool {
        *self.tx.borrow()
    }

    /// A receiver that sees `true` once shutdown begins (what the workers take).
    pub fn subscribe(&self) -> watch::Receiver<bool> {
        self.tx.subscribe()
    }

    /// Resolves once shutdown has begun (at once if it already has).
    pub async fn wait(&self) {
        let mut rx = self.tx.subscribe();
        // The sender lives in `self`, so `wait_for` only ends when the value turns true.
        let _ = rx.wait_for(|on| *on).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn waiting_ends_when_the_switch_is_triggered_even_if_it_was_earlier() {
        let s = Shutdown::new();
        assert!(!s.is_triggered());
        let waiter = tokio::spawn({
            let s = s.clone();
            async move { s.wait().await }
        });
        s.trigger();
        tokio::time::timeout(Duration::from_secs(1), waiter)
            .await
            .unwrap()
            .unwrap();
        // A late waiter returns at once.
        tokio::time::timeout(Duration::from_millis(100), s.wait())
            .await
            .unwrap();
    }
}
