//! Shiprocket outages: when Shiprocket is down for everyone (the circuit breaker is open, or it
//! answers 5xx, times out or cannot be reached after the client's own retries), shipment attempts are
//! parked as *waiting for Shiprocket* instead of failing (`shipping::drive::wait_for_shiprocket`).
//! Parked attempts are not due and do not count towards the rollback guard. The shipment worker probes
//! Shiprocket with one cheap call every [`PROBE_EVERY`]; when it answers, every parked attempt goes
//! back in the queue and resumes from its persisted step. The dashboard shows a banner while any
//! attempt waits ([`banner`]).

use std::time::Duration;

use orderly_store::fulfilment;

use crate::app::AppState;

/// How often the worker probes Shiprocket while attempts are waiting for it.
pub const PROBE_EVERY: Duration = Duration::from_secs(15);

/// True when `e` means Shiprocket is unavailable for everyone, not that this request is wrong: the
/// breaker is open, the connection failed, the call timed out, or Shiprocket answered a retryable
/// 5xx. Rate limiting is not an outage (the limiter paces it) and every refusal is the order's.
pub fn is_outage(e: &shiprocket::Error) -> bool {
    matches!(
        e,
        shiprocket::Error::CircuitOpen { .. }
            | shiprocket::Error::Transport { .. }
            | shiprocket::Error::Timeout { .. }
            | shiprocket::Error::ServerError {
                retryable: true,
                ..
            }
    )
}

/// The sentence stored with a parked attempt: the error class and what the operator can do; no
/// customer data.
pub fn reason(e: &shiprocket::Error) -> String {
    format!(
        "Shiprocket is unavailable ({}); the shipment waits and resumes on its own when Shiprocket answers.",
        e.kind().as_str()
    )
}

/// The dashboard banner while attempts wait for Shiprocket, with since-when (IST) and how many.
pub async fn banner(state: &AppState) -> Option<String> {
    let w = match fulfilment::waiting(&state.store).await {
        Ok(w) => w?,
        Err(e) => {
            tracing::warn!(error = %e, "could not read the Shiprocket outage state");
            return None;
        }
    };
    Some(format!(
        "Shiprocket has not been answering since {}: {} shipment(s) are waiting for it and resume on their own when it answers; none has failed. To ship urgent orders by hand, follow the manual-fulfilment runbook (docs/OPERATIONS.md).",
        crate::web::format::ist(w.since),
        w.attempts
    ))
}

/// The shipment worker's probe: while attempts wait for Shiprocket, one cheap call (the pickup
/// locations, no retries) every [`PROBE_EVERY`] of the app's clock; when Shiprocket answers, every
/// parked attempt goes back in the queue.
#[derive(Debug, Default)]
pub struct Prober {
    next: Option<time::OffsetDateTime>,
}

impl Prober {
    /// Probes if attempts are waiting and the last probe is [`PROBE_EVERY`] old; returns how many
    /// attempts were resumed.
    pub async fn tick(&mut self, state: &AppState) -> u64 {
        let Some(sr) = &state.shiprocket else {
            return 0;
        };
        let now = state.clock.now();
        if self.next.is_some_and(|n| now < n) {
            return 0;
        }
        let waiting = match fulfilment::waiting(&state.store).await {
            Ok(Some(w)) => w,
            Ok(None) => return 0,
            Err(e) => {
                tracing::warn!(error = %e, "could not read the Shiprocket outage state");
                return 0;
            }
        };
        self.next = Some(now + PROBE_EVERY);
        let probe = sr.client.with_options(shiprocket::CallOptions {
            budget: Some(state.settings.shiprocket_timeout),
            max_attempts: Some(1),
        });
        match probe.pickup_locations().await {
            Err(e) if is_outage(&e) => {
                tracing::info!(
                    kind = e.kind().as_str(),
                    waiting = waiting.attempts,
                    "Shiprocket is still unavailable"
                );
                0
            }
            // Any answer from Shiprocket (even a refusal) means it is back: the attempts resume and
            // meet their own errors, if any.
            _ => match fulfilment::resume_waiting(&state.store, state.clock.now()).await {
                Ok(n) => {
                    tracing::info!(
                        resumed = n,
                        down_for_secs = (now - waiting.since).whole_seconds(),
                        "Shiprocket answers again; waiting shipments resumed"
                    );
                    n
                }
                Err(e) => {
                    tracing::warn!(error = %e, "could not resume the waiting shipments");
                    0
                }
            },
        }
    }
}
