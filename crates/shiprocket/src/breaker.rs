//! The circuit breaker: opens after N consecutive retryable failures, lets one trial call through
//! after a cool-down (half-open), and closes again on any answer from a healthy server.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// What the breaker is doing, for dashboards ("Shiprocket is down, shipments queue").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    /// Calls flow normally.
    Closed,
    /// Calls fail fast with `Error::CircuitOpen` until `until`.
    Open {
        /// When a trial call will be allowed.
        until: std::time::Instant,
    },
    /// The cool-down is over; the next call is a trial.
    HalfOpen,
}

#[derive(Debug, Clone, Copy)]
enum State {
    Closed,
    Open {
        until: Instant,
    },
    /// A trial call is in flight; others fail fast until `trial_until` (guards against a cancelled trial).
    HalfOpen {
        trial_until: Instant,
    },
}

#[derive(Debug)]
struct Inner {
    state: State,
    consecutive: u32,
}

/// Shared by every clone of a client.
#[derive(Debug)]
pub(crate) struct Breaker {
    threshold: u32,
    cooldown: Duration,
    inner: Mutex<Inner>,
}

impl Breaker {
    /// `threshold` 0 disables the breaker.
    pub(crate) fn new(threshold: u32, cooldown: Duration) -> Self {
        Self {
            threshold,
            cooldown,
            inner: Mutex::new(Inner {
                state: State::Closed,
                consecutive: 0,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        match self.inner.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// May a request be sent now? `Err(retry_in)` when the breaker is open.
    pub(crate) fn admit(&self) -> Result<(), Duration> {
        if self.threshold == 0 {
            return Ok(());
        }
        let mut g = self.lock();
        let now = Instant::now();
        match g.state {
            State::Closed => Ok(()),
            State::Open { until } | State::HalfOpen { trial_until: until } if now >= until => {
                g.state = State::HalfOpen {
                    trial_until: now + self.cooldown,
                };
                Ok(())
            }
            State::Open { until } | State::HalfOpen { trial_until: until } => Err(until - now),
        }
    }

    /// The server answered normally (or refused on the merits): close the circuit.
    pub(crate) fn on_success(&self) {
        let mut g = self.lock();
        g.consecutive = 0;
        g.state = State::Closed;
    }

    /// A retryable failure (transport, timeout, 429, 5xx).
    pub(crate) fn on_failure(&self) {
        if self.threshold == 0 {
            return;
        }
        let mut g = self.lock();
        g.consecutive = g.consecutive.saturating_add(1);
        let trial_failed = matches!(g.state, State::HalfOpen { .. });
        if trial_failed || g.consecutive >= self.threshold {
            if !matches!(g.state, State::Open { .. }) {
                tracing::warn!(
                    failures = g.consecutive,
                    "shiprocket circuit breaker opened"
                );
            }
            g.state = State::Open {
                until: Instant::now() + self.cooldown,
            };
        }
    }

    /// The current state, for reporting.
    pub(crate) fn state(&self) -> BreakerState {
        let g = self.lock();
        let now = Instant::now();
        match g.state {
            State::Closed => BreakerState::Closed,
            State::Open { until } if now < until => BreakerState::Open {
                until: until.into_std(),
            },
            State::Open { .. } | State::HalfOpen { .. } => BreakerState::HalfOpen,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_breaker_opens_half_opens_and_closes() {
        let b = Breaker::new(3, Duration::from_secs(10));
        for _ in 0..2 {
            b.admit().unwrap();
            b.on_failure();
        }
        assert_eq!(b.state(), BreakerState::Closed);
        b.on_failure();
        assert!(matches!(b.state(), BreakerState::Open { .. }));
        assert!(b.admit().is_err());
        tokio::time::advance(Duration::from_secs(10)).await;
        assert_eq!(b.state(), BreakerState::HalfOpen);
        b.admit().unwrap();
        assert!(b.admit().is_err(), "only one trial at a time");
        b.on_success();
        assert_eq!(b.state(), BreakerState::Closed);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_trial_reopens_at_once() {
        let b = Breaker::new(2, Duration::from_secs(5));
        b.on_failure();
        b.on_failure();
        tokio::time::advance(Duration::from_secs(5)).await;
        b.admit().unwrap();
        b.on_failure();
        assert!(matches!(b.state(), BreakerState::Open { .. }));
    }

    #[tokio::test(start_paused = true)]
    async fn a_success_resets_the_failure_count() {
        let b = Breaker::new(2, Duration::from_secs(5));
        b.on_failure();
        b.on_success();
        b.on_failure();
        assert_eq!(b.state(), BreakerState::Closed);
    }
}
