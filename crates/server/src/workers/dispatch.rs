//! The webhook dispatcher: delivers outbox events to every enabled endpoint, per endpoint in seq
//! order, signed like intake (`Orderly-Signature`), retried with backoff, every attempt logged.
//!
//! A pass ([`Dispatcher::run_once`]) takes each due endpoint's lease, sends its pending events one
//! by one until the first failure, and records the batch in one transaction (the store decides the
//! retry time, gives an event up after the last attempt, and disables the endpoint after 20
//! consecutive failures). Then queued replays are sent. The worker ([`start`]) runs each endpoint
//! in its own task, woken by [`crate::live::Live::notify_outbox`] after a commit, by any live order
//! change, and every 250 ms regardless.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use orderly_store::delivery::{self, Attempt, DueReplay, Endpoint, OutboxEvent};
use tokio::sync::{Notify, watch};
use tokio::task::{JoinHandle, JoinSet};

use crate::app::AppState;
use crate::egress::{self, EgressPolicy};
use crate::signature;

/// How long a pass may hold an endpoint before another worker may take it over.
const LEASE: time::Duration = time::Duration::seconds(60);
/// Events read per batch, and batches per endpoint per pass.
const BATCH: i64 = 100;
const BATCHES_PER_PASS: usize = 20;
/// The fallback poll interval.
const POLL: Duration = Duration::from_millis(250);
/// How long a receiver may take to answer.
const TIMEOUT: Duration = Duration::from_secs(10);
/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Sends webhooks; one per worker process (it owns an HTTP client and a lease-owner id).
#[derive(Debug, Clone)]
pub struct Dispatcher {
    client: reqwest::Client,
    egress: EgressPolicy,
    owner: String,
}

/// One delivery pass with a fresh dispatcher (tests and tools drive delivery with this).
/// Returns how many events were delivered (replays included).
pub async fn run_once(state: &AppState) -> anyhow::Result<usize> {
    Dispatcher::new(&state.settings.webhook_egress)?
        .run_once(state)
        .await
}

/// Starts the dispatcher worker. Each endpoint is delivered by its own task, so a slow or hanging
/// receiver never delays the others; the worker looks for due endpoints on every outbox
/// notification, every live order change, whenever an endpoint task finishes, and every 250 ms.
pub fn start(state: AppState, mut shutdown: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let dispatcher = match Dispatcher::new(&state.settings.webhook_egress) {
            Ok(d) => d,
            Err(e) => {
                tracing::error!(error = %e, "webhook dispatcher cannot start");
                return;
            }
        };
        let mut changes = state.live.outbox_changes();
        let mut orders = state.live.subscribe();
        let finished = Arc::new(Notify::new());
        let mut running: HashMap<i64, JoinHandle<()>> = HashMap::new();
        let mut replays: Option<JoinHandle<()>> = None;
        loop {
            running.retain(|_, task| !task.is_finished());
            match delivery::due_endpoints(&state.store, state.clock.now()).await {
                Ok(due) => {
                    for ep in due {
                        if running.contains_key(&ep.id) {
                            continue;
                        }
                        let (d, st, done, id) =
                            (dispatcher.clone(), state.clone(), finished.clone(), ep.id);
                        running.insert(id, tokio::spawn(async move {
                            if let Err(e) = d.deliver_endpoint(&st, &ep).await {
                                tracing::warn!(endpoint = ep.id, error = %e, "endpoint delivery failed");
                            }
                            done.notify_one();
                        }));
                    }
                }
                Err(e) => tracing::warn!(error = %e, "cannot read due webhook endpoints"),
            }
            if replays.as_ref().is_none_or(|task| task.is_finished()) {
                let (d, st) = (dispatcher.clone(), state.clone());
                replays = Some(tokio::spawn(async move {
                    if let Err(e) = d.run_replays(&st).await {
                        tracing::warn!(error = %e, "webhook replays failed");
                    }
                }));
            }
            tokio::select! {
                _ = changes.changed() => {}
                _ = orders.recv() => {}
                () = finished.notified() => {}
                () = tokio::time::sleep(POLL) => {}
                _ = shutdown.changed() => {}
            }
            if *shutdown.borrow() {
                break;
            }
        }
        for task in running.into_values().chain(replays) {
            let _ = task.await;
        }
    })
}

impl Dispatcher {
    /// A dispatcher with its own HTTP client and lease-owner id. The client connects only where
    /// `egress` allows: its DNS resolver refuses internal addresses, it follows no redirect, ignores
    /// `HTTP_PROXY` and friends (a proxy would connect on its behalf, unchecked), and gives up after
    /// 10 s.
    pub fn new(egress: &EgressPolicy) -> anyhow::Result<Dispatcher> {
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .https_only(!egress.allow_insecure)
            .dns_resolver(egress.resolver())
            .user_agent(concat!("Orderly-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Dispatcher {
            client,
            egress: egress.clone(),
            owner: format!("dispatch-{}", uuid::Uuid::new_v4().simple()),
        })
    }

    /// One pass over every due endpoint (concurrently) and then the due replays.
    pub async fn run_once(&self, state: &AppState) -> anyhow::Result<usize> {
        let due = delivery::due_endpoints(&state.store, state.clock.now()).await?;
        let mut tasks = JoinSet::new();
        for endpoint in due {
            let (this, state) = (self.clone(), state.clone());
            tasks.spawn(async move { this.deliver_endpoint(&state, &endpoint).await });
        }
        let mut delivered = 0;
        while let Some(done) = tasks.join_next().await {
            match done {
                Ok(Ok(n)) => delivered += n,
                Ok(Err(e)) => tracing::warn!(error = %e, "endpoint delivery failed"),
                Err(e) => tracing::error!(error = %e, "endpoint delivery task panicked"),
            }
        }
        delivered += self.run_replays(state).await?;
        Ok(delivered)
    }

    /// Delivers one endpoint's pending events in order, under its lease.
    async fn deliver_endpoint(&self, state: &AppState, ep: &Endpoint) -> anyhow::Result<usize> {
        let store = &state.store;
        let now = state.clock.now();
        if !delivery::claim_endpoint(store, ep.id, &self.owner, now, now + LEASE).await? {
            return Ok(0);
        }
        // Re-read under the lease: another worker may have moved the cursor since `ep` was read.
        let result = match delivery::get_endpoint(store, ep.id).await {
            Ok(Some(fresh)) if fresh.enabled && fresh.next_attempt_at <= now => {
                self.deliver_batches(state, &fresh).await
            }
            Ok(_) => Ok(0),
            Err(e) => Err(e.into()),
        };
        delivery::release_endpoint(store, ep.id, &self.owner).await?;
        result
    }

    async fn deliver_batches(&self, state: &AppState, ep: &Endpoint) -> anyhow::Result<usize> {
        let (mut cursor, mut head_attempts) = (ep.cursor, ep.head_attempts);
        let mut delivered = 0;
        for _ in 0..BATCHES_PER_PASS {
            let events = delivery::pending(&state.store, cursor, BATCH).await?;
            if events.is_empty() {
                break;
            }
            let mut attempts = Vec::with_capacity(events.len());
            for event in &events {
                let a = self
                    .send(state, &ep.url, &ep.secret, event, head_attempts + 1, false)
                    .await;
                head_attempts = 0;
                let ok = a.ok;
                attempts.push(a);
                if !ok {
                    break;
                }
            }
            let failed = attempts.last().is_some_and(|a| !a.ok);
            let out = delivery::record_attempts(
                &state.store,
                ep.id,
                &self.owner,
                &attempts,
                state.clock.now(),
            )
            .await?;
            delivered += out.delivered;
            self.observe(state, ep, &events, &attempts, out);
            if failed {
                break;
            }
            cursor = attempts.last().map_or(cursor, |a| a.seq);
        }
        Ok(delivered)
    }

    /// Sends the replays that are due; each is one attempt, rescheduled by the store on failure.
    async fn run_replays(&self, state: &AppState) -> anyhow::Result<usize> {
        let due: Vec<DueReplay> =
            delivery::due_replays(&state.store, state.clock.now(), LEASE, 50).await?;
        let mut delivered = 0;
        for r in due {
            let a = self
                .send(state, &r.url, &r.secret, &r.event, r.attempts + 1, true)
                .await;
            delivered += usize::from(a.ok);
            let outcome = if a.ok { "delivered" } else { "failed" };
            state.metrics.inc(
                "orderly_webhook_replays_total",
                &[("outcome", outcome)],
                1.0,
            );
            delivery::record_replay(&state.store, &r, &a, state.clock.now()).await?;
        }
        Ok(delivered)
    }

    /// POSTs one envelope; never fails, the outcome is in the returned attempt.
    async fn send(
        &self,
        state: &AppState,
        url: &str,
        secret: &str,
        event: &OutboxEvent,
        attempt: i64,
        replay: bool,
    ) -> Attempt {
        let t = state.clock.now().unix_timestamp();
        let started = Instant::now();
        // IP literals never reach the resolver, so the URL itself is checked on every attempt
        // (the endpoint may predate the policy, or the policy may have been tightened since).
        let checked = reqwest::Url::parse(url)
            .map_err(|_| egress::Refused::NotHttp)
            .and_then(|u| self.egress.check_url(&u).map(|()| u));
        let url = match checked {
            Ok(u) => u,
            Err(refused) => {
                return Attempt {
                    seq: event.seq,
                    event_id: event.event_id.clone(),
                    ok: false,
                    status_code: None,
                    error: Some(refused.to_string()),
                    duration: started.elapsed(),
                };
            }
        };
        let sent = self
            .client
            .post(url)
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(
                signature::HEADER,
                signature::sign(secret, t, event.payload.as_bytes()),
            )
            .header("orderly-event-id", &event.event_id)
            .header("orderly-event-type", &event.event_type)
            .header("orderly-delivery-attempt", attempt.to_string())
            .header("orderly-replay", if replay { "true" } else { "false" })
            .body(event.payload.clone())
            .send()
            .await;
        let (ok, status_code, error) = match sent {
            Ok(r) if r.status().is_success() => (true, Some(r.status().as_u16()), None),
            Ok(r) => (
                false,
                Some(r.status().as_u16()),
                Some(format!("HTTP {}", r.status().as_u16())),
            ),
            Err(e) => (false, None, Some(egress::describe(&e))),
        };
        Attempt {
            seq: event.seq,
            event_id: event.event_id.clone(),
            ok,
            status_code,
            error,
            duration: started.elapsed(),
        }
    }

    fn observe(
        &self,
        state: &AppState,
        ep: &Endpoint,
        events: &[OutboxEvent],
        attempts: &[Attempt],
        out: delivery::RecordOutcome,
    ) {
        let m = &state.metrics;
        let id = ep.id.to_string();
        let now = state.clock.now();
        for (a, e) in attempts.iter().zip(events) {
            m.observe(
                "orderly_webhook_request_seconds",
                &[],
                a.duration.as_secs_f64(),
            );
            if a.ok {
                m.inc(
                    "orderly_webhook_attempts_total",
                    &[("outcome", "delivered")],
                    1.0,
                );
                let lag = (now - e.occurred_at).as_seconds_f64().max(0.0);
                m.observe("orderly_webhook_delivery_lag_seconds", &[], lag);
            } else {
                let outcome = if out.dead { "dead" } else { "failed" };
                m.inc(
                    "orderly_webhook_attempts_total",
                    &[("outcome", outcome)],
                    1.0,
                );
                m.inc("orderly_webhook_failures_total", &[("endpoint", &id)], 1.0);
                tracing::info!(
                    endpoint = ep.id,
                    seq = a.seq,
                    error = a.error.as_deref().unwrap_or(""),
                    outcome,
                    "webhook attempt failed"
                );
            }
        }
        if out.disabled {
            m.inc("orderly_webhook_endpoints_disabled_total", &[], 1.0);
            tracing::warn!(
                endpoint = ep.id,
                "webhook endpoint disabled after consecutive failures"
            );
        }
    }
}
