//! The shared client-side token bucket (default 180 requests/minute, bursts of 1/12 of that).

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// Requests per minute at or above which the limiter is switched off.
const UNLIMITED_RPM: u32 = 1_000_000;

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    capacity: f64,
    per_sec: f64,
    last: Instant,
}

/// A token bucket shared by every clone of a client. Waiters reserve a slot, then sleep.
/// A server 429 pauses every caller (even with an unlimited bucket) until its `Retry-After`.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    bucket: Option<Mutex<Bucket>>,
    paused_until: Mutex<Option<Instant>>,
}

impl RateLimiter {
    /// `rpm` 0 or ≥ 1,000,000 disables limiting.
    pub(crate) fn new(rpm: u32) -> Self {
        if rpm == 0 || rpm >= UNLIMITED_RPM {
            return Self {
                bucket: None,
                paused_until: Mutex::new(None),
            };
        }
        let capacity = f64::from((rpm / 12).max(1));
        Self {
            bucket: Some(Mutex::new(Bucket {
                tokens: capacity,
                capacity,
                per_sec: f64::from(rpm) / 60.0,
                last: Instant::now(),
            })),
            paused_until: Mutex::new(None),
        }
    }

    /// Holds every caller back until `retry_after` from now (after a server 429).
    pub(crate) fn pause(&self, retry_after: Duration) {
        let until = Instant::now() + retry_after.min(crate::classify::MAX_RETRY_AFTER);
        let mut g = match self.paused_until.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        if g.is_none_or(|cur| cur < until) {
            *g = Some(until);
        }
    }

    fn pause_left(&self) -> Duration {
        let g = match self.paused_until.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        g.map_or(Duration::ZERO, |until| {
            until.saturating_duration_since(Instant::now())
        })
    }

    /// Reserves one request slot and returns how long to wait before sending, or `Err(wait)`
    /// without reserving when the wait would exceed `max_wait`.
    pub(crate) fn reserve(&self, max_wait: Duration) -> Result<Duration, Duration> {
        let paused = self.pause_left();
        if paused > max_wait {
            return Err(paused);
        }
        let Some(bucket) = &self.bucket else {
            return Ok(paused);
        };
        let mut b = match bucket.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        let now = Instant::now();
        let elapsed = now.saturating_duration_since(b.last).as_secs_f64();
        b.tokens = (b.tokens + elapsed * b.per_sec).min(b.capacity);
        b.last = now;
        let after = b.tokens - 1.0;
        let bucket_wait = if after >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-after / b.per_sec)
        };
        let wait = bucket_wait.max(paused);
        if wait > max_wait {
            return Err(wait);
        }
        b.tokens = after;
        Ok(wait)
    }

    /// Waits for a slot; `Err(wait)` when it would take longer than `max_wait`.
    pub(crate) async fn acquire(&self, max_wait: Duration) -> Result<(), Duration> {
        let wait = self.reserve(max_wait)?;
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_bucket_admits_a_burst_then_paces_at_the_configured_rate() {
        let l = RateLimiter::new(120); // 2/s, burst 10
        for _ in 0..10 {
            assert_eq!(l.reserve(Duration::ZERO), Ok(Duration::ZERO));
        }
        let w = l.reserve(Duration::from_secs(5)).unwrap();
        assert!((w.as_secs_f64() - 0.5).abs() < 0.01, "{w:?}");
        let w2 = l.reserve(Duration::from_secs(5)).unwrap();
        assert!((w2.as_secs_f64() - 1.0).abs() < 0.01, "{w2:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_beyond_the_budget_is_refused_without_taking_a_slot() {
        let l = RateLimiter::new(12); // 0.2/s, burst 1
        assert_eq!(l.reserve(Duration::ZERO), Ok(Duration::ZERO));
        assert!(l.reserve(Duration::from_secs(1)).is_err());
        tokio::time::advance(Duration::from_secs(5)).await;
        assert_eq!(l.reserve(Duration::ZERO), Ok(Duration::ZERO));
    }

    #[tokio::test(start_paused = true)]
    async fn a_server_429_pauses_every_caller_even_when_unlimited() {
        let l = RateLimiter::new(0);
        l.pause(Duration::from_secs(2));
        assert_eq!(
            l.reserve(Duration::from_secs(1)),
            Err(Duration::from_secs(2))
        );
        assert_eq!(
            l.reserve(Duration::from_secs(5)),
            Ok(Duration::from_secs(2))
        );
        tokio::time::advance(Duration::from_secs(2)).await;
        assert_eq!(l.reserve(Duration::ZERO), Ok(Duration::ZERO));
    }

    #[test]
    fn zero_or_huge_rpm_is_unlimited() {
        for rpm in [0, 1_000_000, u32::MAX] {
            let l = RateLimiter::new(rpm);
            for _ in 0..10_000 {
                assert_eq!(l.reserve(Duration::ZERO), Ok(Duration::ZERO));
            }
        }
    }
}
