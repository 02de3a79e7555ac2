//! Live updates: every change to an order is announced here after its transaction commits, and the
//! dashboard's Server-Sent Events streams listen.
//!
//! Each announcement gets a sequence number (`<instance>-<seq>` is the SSE event id) and is kept in
//! a ring of recent events, so a stream that reconnects with `Last-Event-ID` catches up; one that
//! fell too far behind (or reconnected to another instance) is told to resync. With PostgreSQL,
//! [`Live::start_fanout`] shares announcements between `orderly serve` instances over
//! LISTEN/NOTIFY on a connection of its own. The tab counts are cached here too
//! ([`crate::web::orders::counts`] refreshes them, debounced, after changes).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde::Serialize;
use tokio::sync::{broadcast, watch};

/// The PostgreSQL NOTIFY channel shared by every instance.
pub const CHANNEL: &str = "orderly_live";
/// Recent events kept for catch-up.
const RING: usize = 4096;

/// One change, as the dashboard needs to hear it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LiveEvent {
    /// The order that changed.
    pub order_number: String,
    /// `placed` for a new order, otherwise what changed (`status`, `shipment`, `note`, `address`, `flags`).
    pub kind: &'static str,
}

/// An event with its place in this instance's sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamped {
    /// Sequence number on this instance (starts at 1).
    pub seq: u64,
    /// The change.
    pub event: LiveEvent,
    /// True when it happened in this process (and so is forwarded to other instances).
    pub local: bool,
}

/// What a reconnecting stream gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatchUp {
    /// The events it missed, oldest first (possibly none).
    Events(Vec<Stamped>),
    /// Too much was missed, or the id is from another instance: reload everything.
    Resync,
}

/// Cached tab counts, as sent to dashboards.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Every order.
    pub all: i64,
    /// Per status name.
    pub by_status: Vec<(String, i64)>,
    /// Orders whose last shipment attempt failed.
    pub failed_shipments: i64,
    /// Unshipped orders older than the SLA.
    pub sla_at_risk: i64,
}

impl Counts {
    /// The count of `status` (0 when absent).
    pub fn status(&self, status: &str) -> i64 {
        self.by_status
            .iter()
            .find(|(s, _)| s == status)
            .map(|(_, n)| *n)
            .unwrap_or(0)
    }
}

#[derive(Debug)]
struct Inner {
    instance: String,
    seq: AtomicU64,
    recent: Mutex<VecDeque<Stamped>>,
    stamped: broadcast::Sender<Stamped>,
    counts: watch::Sender<Option<Arc<Counts>>>,
    started: AtomicBool,
    /// Bumped after every commit that wrote outbox rows (wakes the delivery workers).
    outbox: watch::Sender<u64>,
}

/// The in-process change bus.
#[derive(Debug, Clone)]
pub struct Live {
    tx: broadcast::Sender<LiveEvent>,
    inner: Arc<Inner>,
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
        let (stamped, _) = broadcast::channel(4096);
        let (counts, _) = watch::channel(None);
        Live {
            tx,
            inner: Arc::new(Inner {
                instance: uuid::Uuid::new_v4().simple().to_string()[..8].to_string(),
                seq: AtomicU64::new(0),
                recent: Mutex::new(VecDeque::with_capacity(RING)),
                stamped,
                counts,
                started: AtomicBool::new(false),
                outbox: watch::channel(0).0,
            }),
        }
    }

    /// Wakes the outbox delivery workers (webhooks, NATS) at once; call after committing a
    /// transaction that appended outbox rows. Never blocks. (Workers also poll every 250 ms.)
    pub fn notify_outbox(&self) {
        self.inner.outbox.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// A receiver that sees every [`Live::notify_outbox`] from now on (used by delivery workers).
    pub fn outbox_changes(&self) -> watch::Receiver<u64> {
        self.inner.outbox.subscribe()
    }

    /// Announces a committed change. Never blocks; nobody listening is fine.
    pub fn publish(&self, order_number: &str, kind: &'static str) {
        self.announce(order_number, kind, true);
    }

    fn announce(&self, order_number: &str, kind: &'static str, local: bool) {
        let event = LiveEvent {
            order_number: order_number.to_string(),
            kind,
        };
        let stamped = {
            let mut recent = match self.inner.recent.lock() {
                Ok(r) => r,
                Err(poisoned) => poisoned.into_inner(),
            };
            // Numbered under the lock so the ring stays in order.
            let seq = self.inner.seq.fetch_add(1, Ordering::SeqCst) + 1;
            let stamped = Stamped {
                seq,
                event: event.clone(),
                local,
            };
            if recent.len() == RING {
                recent.pop_front();
            }
            recent.push_back(stamped.clone());
            stamped
        };
        let _ = self.tx.send(event);
        let _ = self.inner.stamped.send(stamped);
    }

    /// Listens for changes from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<LiveEvent> {
        self.tx.subscribe()
    }

    /// Listens for numbered changes from now on (the SSE streams).
    pub fn subscribe_stamped(&self) -> broadcast::Receiver<Stamped> {
        self.inner.stamped.subscribe()
    }

    /// This instance's short random name (part of every event id).
    pub fn instance(&self) -> &str {
        &self.inner.instance
    }

    /// The SSE id of an event: `<instance>-<seq>`.
    pub fn event_id(&self, seq: u64) -> String {
        format!("{}-{seq}", self.inner.instance)
    }

    /// What a stream that last saw `last_id` missed.
    pub fn catch_up(&self, last_id: &str) -> CatchUp {
        let Some((instance, seq)) = last_id.rsplit_once('-') else {
            return CatchUp::Resync;
        };
        let Ok(seq) = seq.parse::<u64>() else {
            return CatchUp::Resync;
        };
        if instance != self.inner.instance {
            return CatchUp::Resync;
        }
        let recent = match self.inner.recent.lock() {
            Ok(r) => r,
            Err(poisoned) => poisoned.into_inner(),
        };
        match recent.front() {
            Some(first) if first.seq > seq + 1 => CatchUp::Resync,
            _ => CatchUp::Events(recent.iter().filter(|s| s.seq > seq).cloned().collect()),
        }
    }

    /// The cached tab counts, if computed yet.
    pub fn counts(&self) -> Option<Arc<Counts>> {
        self.inner.counts.borrow().clone()
    }

    /// Replaces the cached counts and tells every stream.
    pub fn set_counts(&self, counts: Counts) {
        self.inner.counts.send_replace(Some(Arc::new(counts)));
    }

    /// Hears every replacement of the counts.
    pub fn watch_counts(&self) -> watch::Receiver<Option<Arc<Counts>>> {
        self.inner.counts.subscribe()
    }

    /// True the first time it is called on this bus (background tasks start once).
    pub fn claim_start(&self) -> bool {
        !self.inner.started.swap(true, Ordering::SeqCst)
    }

    /// Shares announcements with other instances over PostgreSQL LISTEN/NOTIFY: local events are
    /// sent with `pg_notify`, and notifications from other instances are announced here. Runs until
    /// `shutdown`, reconnecting after failures.
    pub fn start_fanout(
        &self,
        store: orderly_store::Store,
        database_url: String,
        shutdown: crate::shutdown::Shutdown,
    ) {
        if store.engine() != orderly_store::Engine::Postgres {
            return;
        }
        let live = self.clone();
        let mut rx = self.subscribe_stamped();
        let sender = store.clone();
        let stop = shutdown.clone();
        let notify = async move {
            loop {
                match rx.recv().await {
                    Ok(s) if s.local => {
                        let payload = format!(
                            "{}|{}|{}",
                            live.instance(),
                            s.event.kind,
                            s.event.order_number
                        );
                        let sent = sqlx::query("SELECT pg_notify($1, $2)")
                            .bind(CHANNEL)
                            .bind(payload)
                            .execute(sender.writer())
                            .await;
                        if let Err(e) = sent {
                            tracing::warn!(error = %e, "live fan-out: NOTIFY failed");
                        }
                    }
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => return,
                }
            }
        };
        tokio::spawn(async move {
            tokio::select! {
                () = notify => {},
                () = stop.wait() => {},
            }
        });
        let live = self.clone();
        let listen = async move {
            loop {
                if let Err(e) = live.listen(&database_url).await {
                    tracing::warn!(error = %e, "live fan-out: LISTEN connection lost; reconnecting");
                }
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        };
        tokio::spawn(async move {
            tokio::select! {
                () = listen => {},
                () = shutdown.wait() => {},
            }
        });
    }

    async fn listen(&self, database_url: &str) -> Result<(), sqlx::Error> {
        let mut listener = sqlx::postgres::PgListener::connect(database_url).await?;
        listener.listen(CHANNEL).await?;
        loop {
            let n = listener.recv().await?;
            let mut parts = n.payload().splitn(3, '|');
            if let (Some(instance), Some(kind), Some(order)) =
                (parts.next(), parts.next(), parts.next())
                && instance != self.instance()
            {
                self.announce(order, static_kind(kind), false);
            }
        }
    }
}

/// Maps a kind received from another instance back to its static name.
fn static_kind(kind: &str) -> &'static str {
    match kind {
        "placed" => "placed",
        "status" => "status",
        "shipment" => "shipment",
        "note" => "note",
        "address" => "address",
        "flags" => "flags",
        "seen" => "seen",
        "batch" => "batch",
        _ => "changed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reconnecting_stream_gets_what_it_missed() {
        let live = Live::new();
        live.publish("A", "placed");
        let id = live.event_id(1);
        live.publish("B", "placed");
        live.publish("A", "status");
        match live.catch_up(&id) {
            CatchUp::Events(v) => {
                let seen: Vec<_> = v.iter().map(|s| s.event.order_number.as_str()).collect();
                assert_eq!(seen, ["B", "A"]);
            }
            CatchUp::Resync => panic!("expected events"),
        }
    }

    #[test]
    fn an_id_from_another_instance_asks_for_a_resync() {
        let live = Live::new();
        live.publish("A", "placed");
        assert_eq!(live.catch_up("zzzzzzzz-1"), CatchUp::Resync);
        assert_eq!(live.catch_up("garbage"), CatchUp::Resync);
    }
}
