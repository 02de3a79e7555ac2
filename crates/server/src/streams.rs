//! Limits on long-lived Server-Sent Events streams (`GET /events`, batch progress): how many one
//! caller and the whole process may hold open, how long one lives, how often the caller's session
//! or API key is checked again, and a bus that ends a caller's streams at once on sign-out, user
//! disable, password change or key revocation. Every stream also ends on shutdown.
//!
//! A stream that ends sends a last `end` event naming why (`expired`, `signed_out`, `revoked`,
//! `shutdown`); browsers' `EventSource` reconnects by itself after `expired` and `shutdown`, and the
//! reconnect is authenticated again.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use axum::response::sse::Event;
use futures_util::{Stream, StreamExt};
use tokio::sync::broadcast;

use crate::shutdown::Shutdown;

/// The stream limits (`ORDERLY_STREAM_…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamLimits {
    /// Longest a stream stays open before the client must reconnect
    /// (`ORDERLY_STREAM_MAX_LIFETIME_SECS`, default 1800).
    pub max_lifetime: Duration,
    /// How often the caller's session or key is checked again (`ORDERLY_STREAM_RECHECK_SECS`, default 30).
    pub recheck: Duration,
    /// Open streams per user or API key (`ORDERLY_STREAMS_PER_CALLER`, default 8).
    pub per_caller: usize,
    /// Open streams in the whole process (`ORDERLY_STREAMS_MAX`, default 1000).
    pub total: usize,
}

impl Default for StreamLimits {
    fn default() -> Self {
        StreamLimits {
            max_lifetime: Duration::from_secs(1800),
            recheck: Duration::from_secs(30),
            per_caller: 8,
            total: 1000,
        }
    }
}

impl StreamLimits {
    /// Reads `ORDERLY_STREAM_…` through `get` over the defaults.
    pub fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> anyhow::Result<StreamLimits> {
        let mut l = StreamLimits::default();
        let number = |name: &str| -> anyhow::Result<Option<u64>> {
            match get(name).filter(|v| !v.trim().is_empty()) {
                Some(v) => {
                    let n: u64 = v
                        .trim()
                        .parse()
                        .with_context(|| format!("{name} must be a whole number"))?;
                    if n == 0 {
                        anyhow::bail!("{name} must be at least 1");
                    }
                    Ok(Some(n))
                }
                None => Ok(None),
            }
        };
        if let Some(n) = number("ORDERLY_STREAM_MAX_LIFETIME_SECS")? {
            l.max_lifetime = Duration::from_secs(n);
        }
        if let Some(n) = number("ORDERLY_STREAM_RECHECK_SECS")? {
            l.recheck = Duration::from_secs(n);
        }
        if let Some(n) = number("ORDERLY_STREAMS_PER_CALLER")? {
            l.per_caller = usize::try_from(n).unwrap_or(usize::MAX);
        }
        if let Some(n) = number("ORDERLY_STREAMS_MAX")? {
            l.total = usize::try_from(n).unwrap_or(usize::MAX);
        }
        Ok(l)
    }
}

/// Whose streams to end at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// One dashboard session (signed out), by the hash of its token.
    Session(String),
    /// Every session of a user (disabled, password or role changed).
    User(i64),
    /// An API key (revoked), by its public prefix.
    ApiKey(String),
}

impl Ended {
    /// The reason the stream's last event gives.
    pub fn reason(&self) -> &'static str {
        match self {
            Ended::Session(_) => "signed_out",
            Ended::User(_) => "account_changed",
            Ended::ApiKey(_) => "revoked",
        }
    }
}

#[derive(Debug)]
struct Inner {
    open: Mutex<HashMap<String, usize>>,
    ended: broadcast::Sender<Ended>,
}

/// The open streams of this process, counted per caller, and the bus that ends them.
#[derive(Debug, Clone)]
pub struct Streams {
    inner: Arc<Inner>,
}

impl Default for Streams {
    fn default() -> Self {
        Streams::new()
    }
}

/// Why a stream could not be opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// This caller already holds its share.
    PerCaller,
    /// The process holds as many as it allows.
    Total,
}

/// One open stream's place in the count; given back when dropped.
#[derive(Debug)]
pub struct Permit {
    streams: Streams,
    caller: String,
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut open = match self.streams.inner.open.lock() {
            Ok(o) => o,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(n) = open.get_mut(&self.caller) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.caller);
            }
        }
    }
}

impl Streams {
    /// No streams open.
    pub fn new() -> Streams {
        Streams {
            inner: Arc::new(Inner {
                open: Mutex::new(HashMap::new()),
                ended: broadcast::channel(256).0,
            }),
        }
    }

    /// Takes a place for one more stream of `caller` (`user:<id>` or `apikey:<prefix>`).
    pub fn open(&self, caller: &str, limits: &StreamLimits) -> Result<Permit, Refused> {
        let mut open = match self.inner.open.lock() {
            Ok(o) => o,
            Err(poisoned) => poisoned.into_inner(),
        };
        if open.values().sum::<usize>() >= limits.total {
            return Err(Refused::Total);
        }
        let n = open.entry(caller.to_string()).or_insert(0);
        if *n >= limits.per_caller {
            return Err(Refused::PerCaller);
        }
        *n += 1;
        Ok(Permit {
            streams: self.clone(),
            caller: caller.to_string(),
        })
    }

    /// How many streams are open in this process.
    pub fn open_count(&self) -> usize {
        match self.inner.open.lock() {
            Ok(o) => o.values().sum(),
            Err(poisoned) => poisoned.into_inner().values().sum(),
        }
    }

    /// Ends the matching streams now (other instances notice at their next check).
    pub fn end(&self, who: Ended) {
        let _ = self.inner.ended.send(who);
    }

    fn ended(&self) -> broadcast::Receiver<Ended> {
        self.inner.ended.subscribe()
    }
}

/// Asks again whether the caller may still read the stream.
pub type Recheck = Arc<dyn Fn() -> Pin<Box<dyn Future<Output = bool> + Send>> + Send + Sync>;

/// Everything that can end a stream besides its own end.
pub struct Guard {
    /// The stream's place in the count.
    pub permit: Permit,
    /// The process's shutdown switch.
    pub shutdown: Shutdown,
    /// The limits (lifetime and re-check period).
    pub limits: StreamLimits,
    /// Whether the caller is still allowed; asked every `limits.recheck`.
    pub recheck: Recheck,
    /// Which [`Ended`] notices are about this caller.
    pub ends_on: Box<dyn Fn(&Ended) -> bool + Send + Sync>,
}

impl std::fmt::Debug for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guard")
            .field("permit", &self.permit)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

/// The last event of a stream that was ended: `event: end`, `data: {"reason": …}`.
fn end_event(reason: &str) -> Event {
    Event::default()
        .event("end")
        .data(serde_json::json!({ "reason": reason }).to_string())
}

struct Guarded<S> {
    inner: Pin<Box<S>>,
    guard: Guard,
    ended: broadcast::Receiver<Ended>,
    deadline: tokio::time::Instant,
    next_check: tokio::time::Instant,
    done: bool,
}

/// Wraps `inner` so that it ends on shutdown, after its lifetime, on a matching [`Ended`] notice,
/// or when a periodic re-check says no; the permit is held until then.
pub fn guarded<S>(inner: S, guard: Guard) -> impl Stream<Item = Result<Event, Infallible>> + Send
where
    S: Stream<Item = Result<Event, Infallible>> + Send + 'static,
{
    let now = tokio::time::Instant::now();
    let state = Guarded {
        inner: Box::pin(inner),
        ended: guard.permit.streams.ended(),
        deadline: now + guard.limits.max_lifetime,
        next_check: now + guard.limits.recheck,
        guard,
        done: false,
    };
    futures_util::stream::unfold(state, |mut st| async move {
        if st.done {
            return None;
        }
        loop {
            let reason = tokio::select! {
                item = st.inner.next() => match item {
                    Some(item) => return Some((item, st)),
                    None => return None,
                },
                () = st.guard.shutdown.wait() => "shutdown",
                () = tokio::time::sleep_until(st.deadline) => "expired",
                notice = st.ended.recv() => match notice {
                    Ok(n) if (st.guard.ends_on)(&n) => n.reason(),
                    // A missed notice might have been ours: check now.
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        st.next_check = tokio::time::Instant::now();
                        continue;
                    }
                    _ => continue,
                },
                () = tokio::time::sleep_until(st.next_check) => {
                    st.next_check = tokio::time::Instant::now() + st.guard.limits.recheck;
                    if (st.guard.recheck)().await {
                        continue;
                    }
                    "revoked"
                }
            };
            st.done = true;
            return Some((Ok(end_event(reason)), st));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(per_caller: usize, total: usize) -> StreamLimits {
        StreamLimits {
            per_caller,
            total,
            ..StreamLimits::default()
        }
    }

    #[test]
    fn a_caller_gets_its_share_and_a_closed_stream_gives_its_place_back() {
        let s = Streams::new();
        let l = limits(2, 3);
        let a = s.open("user:1", &l).unwrap();
        let _b = s.open("user:1", &l).unwrap();
        assert_eq!(s.open("user:1", &l).unwrap_err(), Refused::PerCaller);
        let _c = s.open("user:2", &l).unwrap();
        assert_eq!(s.open("user:3", &l).unwrap_err(), Refused::Total);
        drop(a);
        assert_eq!(s.open_count(), 2);
        assert!(s.open("user:1", &l).is_ok());
    }

    #[test]
    fn limits_are_read_from_the_environment_and_zero_is_refused() {
        let l = StreamLimits::from_lookup(&|k: &str| match k {
            "ORDERLY_STREAM_MAX_LIFETIME_SECS" => Some("60".into()),
            "ORDERLY_STREAMS_PER_CALLER" => Some("3".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(l.max_lifetime, Duration::from_secs(60));
        assert_eq!(l.per_caller, 3);
        assert_eq!(l.recheck, Duration::from_secs(30));
        assert!(
            StreamLimits::from_lookup(&|k: &str| {
                (k == "ORDERLY_STREAMS_MAX").then(|| "0".to_string())
            })
            .is_err()
        );
    }
}
