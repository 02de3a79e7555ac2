//! In-memory limits against abuse without credentials: who the client is ([`ClientIp`]), and
//! fixed-window counters keyed by a hash, bounded in size ([`Counters`]). They guard sign-in
//! (per email and IP, per IP, and a global ceiling, plus how many password hashes run at once)
//! and failed tracking-webhook authentication. The numbers and why are in `docs/SECURITY.md`.

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hash};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Mutex;

use axum::extract::{ConnectInfo, FromRequestParts};
use http::request::Parts;
use time::{Duration, OffsetDateTime};

use crate::app::AppState;

/// One limit: at most `limit` hits per key within `window` of the key's first hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Hits allowed per window.
    pub limit: u32,
    /// The window, which starts at a key's first hit.
    pub window: Duration,
}

/// Fixed-window counters for one [`Limit`], keyed by a hash of the key, holding at most
/// `max_keys` keys. When full of live keys, new keys are refused: memory stays bounded and the
/// refusal works as a ceiling.
#[derive(Debug)]
pub struct Counters {
    limit: Limit,
    max_keys: usize,
    hasher: RandomState,
    counts: HashMap<u64, (OffsetDateTime, u32)>,
}

impl Counters {
    /// Empty counters for `limit`.
    pub fn new(limit: Limit, max_keys: usize) -> Counters {
        Counters {
            limit,
            max_keys,
            hasher: RandomState::new(),
            counts: HashMap::new(),
        }
    }

    fn slot(&self, key: impl Hash) -> u64 {
        self.hasher.hash_one(key)
    }

    fn live(&self, entry: Option<&(OffsetDateTime, u32)>, now: OffsetDateTime) -> u32 {
        match entry {
            Some((start, n)) if now - *start < self.limit.window => *n,
            _ => 0,
        }
    }

    /// True when `key` may be hit once more at `now`.
    pub fn allows(&mut self, key: impl Hash, now: OffsetDateTime) -> bool {
        let slot = self.slot(key);
        let n = self.live(self.counts.get(&slot), now);
        if n >= self.limit.limit {
            return false;
        }
        if n == 0 && !self.counts.contains_key(&slot) && self.counts.len() >= self.max_keys {
            let window = self.limit.window;
            self.counts.retain(|_, (start, _)| now - *start < window);
            return self.counts.len() < self.max_keys;
        }
        true
    }

    /// Counts one hit for `key` at `now` (call after [`Counters::allows`]).
    pub fn hit(&mut self, key: impl Hash, now: OffsetDateTime) {
        let slot = self.slot(key);
        let live = self.live(self.counts.get(&slot), now);
        let entry = self.counts.entry(slot).or_insert((now, 0));
        if live == 0 {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
    }

    /// Takes back one hit for `key` (the attempt turned out fine).
    pub fn release(&mut self, key: impl Hash) {
        let slot = self.slot(key);
        if let Some(entry) = self.counts.get_mut(&slot) {
            entry.1 = entry.1.saturating_sub(1);
        }
    }

    /// Forgets `key` entirely.
    pub fn forget(&mut self, key: impl Hash) {
        let slot = self.slot(key);
        self.counts.remove(&slot);
    }

    /// Checks and counts in one step: false (and nothing counted) when over the limit.
    pub fn try_hit(&mut self, key: impl Hash + Copy, now: OffsetDateTime) -> bool {
        if self.allows(key, now) {
            self.hit(key, now);
            true
        } else {
            false
        }
    }
}

/// Which sign-in limit refused an attempt (logged, never shown).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginLimit {
    /// Too many failures for this email from this address.
    EmailFromIp,
    /// Too many failures from this address, whatever the email.
    Ip,
    /// Too many failures overall.
    Global,
    /// Too many failures for this email from everywhere (counted in the database).
    Email,
}

impl LoginLimit {
    /// The name in logs.
    pub fn as_str(self) -> &'static str {
        match self {
            LoginLimit::EmailFromIp => "email_and_ip",
            LoginLimit::Ip => "ip",
            LoginLimit::Global => "global",
            LoginLimit::Email => "email",
        }
    }
}

/// The sign-in limits kept in memory. An attempt is counted as a failure *before* the password is
/// checked (so parallel guesses cannot slip past the count) and taken back when it succeeds.
#[derive(Debug)]
pub struct LoginGuard {
    counters: Mutex<[Counters; 3]>,
    /// Password hashes allowed to run at once (each takes ~19 MiB and a core for tens of ms).
    pub hashing: tokio::sync::Semaphore,
}

/// Failed sign-ins allowed per (email, IP) in [`LOGIN_WINDOW`]: the user-visible lockout.
pub const LOGIN_PER_EMAIL_IP: u32 = 5;
/// Failed sign-ins allowed per IP, whatever the email, in [`LOGIN_WINDOW`].
pub const LOGIN_PER_IP: u32 = 30;
/// Failed sign-ins allowed for the whole process in [`LOGIN_WINDOW`].
pub const LOGIN_GLOBAL: u32 = 1_000;
/// Failed sign-ins allowed per email from all addresses in [`LOGIN_WINDOW`] (database, shared by
/// every instance).
pub const LOGIN_PER_EMAIL: i64 = 50;
/// The sign-in window.
pub const LOGIN_WINDOW: Duration = Duration::minutes(15);
/// Password hashes run at once.
pub const LOGIN_HASHING: usize = 4;
/// Most keys (addresses, email-and-address pairs) remembered per counter.
const MAX_KEYS: usize = 100_000;

impl Default for LoginGuard {
    fn default() -> Self {
        let limit = |limit| Limit {
            limit,
            window: LOGIN_WINDOW,
        };
        LoginGuard {
            counters: Mutex::new([
                Counters::new(limit(LOGIN_PER_EMAIL_IP), MAX_KEYS),
                Counters::new(limit(LOGIN_PER_IP), MAX_KEYS),
                Counters::new(limit(LOGIN_GLOBAL), 1),
            ]),
            hashing: tokio::sync::Semaphore::new(LOGIN_HASHING),
        }
    }
}

impl LoginGuard {
    /// Counts an attempt for `email` from `ip` as a failure, or says which limit refuses it
    /// (then nothing is counted). All three limits are checked and counted under one lock.
    pub fn begin(&self, email: &str, ip: IpAddr, now: OffsetDateTime) -> Result<(), LoginLimit> {
        let mut c = self.lock();
        let [pair, per_ip, global] = &mut *c;
        if !global.allows((), now) {
            return Err(LoginLimit::Global);
        }
        if !per_ip.allows(ip, now) {
            return Err(LoginLimit::Ip);
        }
        if !pair.allows((email, ip), now) {
            return Err(LoginLimit::EmailFromIp);
        }
        global.hit((), now);
        per_ip.hit(ip, now);
        pair.hit((email, ip), now);
        Ok(())
    }

    /// The attempt was not a failure after all (it succeeded, or failed on our side): take its
    /// count back; on success the pair's earlier failures are forgotten too.
    pub fn release(&self, email: &str, ip: IpAddr, succeeded: bool) {
        let mut c = self.lock();
        let [pair, per_ip, global] = &mut *c;
        global.release(());
        per_ip.release(ip);
        if succeeded {
            pair.forget((email, ip));
        } else {
            pair.release((email, ip));
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, [Counters; 3]> {
        // A panic while holding the lock leaves plain counters behind: still usable.
        self.counters
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Failed tracking-webhook authentications allowed per IP per minute.
pub const TRACKING_FAILURES_PER_MINUTE: u32 = 10;

/// Every in-memory guard, shared by the handlers.
#[derive(Debug)]
pub struct Guards {
    /// Sign-in.
    pub login: LoginGuard,
    /// Failed `x-api-key` checks on the tracking webhook, per IP.
    pub tracking: Mutex<Counters>,
}

impl Default for Guards {
    fn default() -> Self {
        Guards {
            login: LoginGuard::default(),
            tracking: Mutex::new(Counters::new(
                Limit {
                    limit: TRACKING_FAILURES_PER_MINUTE,
                    window: Duration::minutes(1),
                },
                MAX_KEYS,
            )),
        }
    }
}

impl Guards {
    /// True when `ip` has used up its failed tracking-webhook authentications.
    pub fn tracking_blocked(&self, ip: IpAddr, now: OffsetDateTime) -> bool {
        let mut c = self
            .tracking
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        !c.allows(ip, now)
    }

    /// Counts one failed tracking-webhook authentication from `ip`.
    pub fn tracking_failed(&self, ip: IpAddr, now: OffsetDateTime) {
        let mut c = self
            .tracking
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        c.hit(ip, now);
    }
}

/// The client's address: the TCP peer, or — only when `ORDERLY_TRUSTED_PROXY_HEADER` names a
/// header set by a proxy in front of Orderly — the last address in that header (the one the
/// proxy itself appended). Never a header the client could forge when no proxy is configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
        let forwarded = state
            .settings
            .trusted_proxy_header
            .as_ref()
            .and_then(|name| parts.headers.get_all(name).iter().next_back())
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|last| last.trim().parse::<IpAddr>().ok());
        Ok(ClientIp(forwarded.unwrap_or(peer)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> OffsetDateTime {
        OffsetDateTime::UNIX_EPOCH + Duration::seconds(secs)
    }

    #[test]
    fn a_key_is_refused_after_its_limit_until_its_window_passes() {
        let mut c = Counters::new(
            Limit {
                limit: 2,
                window: Duration::minutes(1),
            },
            10,
        );
        assert!(c.try_hit("a", at(0)));
        assert!(c.try_hit("a", at(1)));
        assert!(!c.try_hit("a", at(2)));
        assert!(c.try_hit("b", at(2)), "other keys are not affected");
        assert!(c.try_hit("a", at(61)), "a new window");
    }

    #[test]
    fn a_full_table_refuses_new_keys_until_old_ones_expire() {
        let mut c = Counters::new(
            Limit {
                limit: 5,
                window: Duration::minutes(1),
            },
            2,
        );
        assert!(c.try_hit(1, at(0)));
        assert!(c.try_hit(2, at(0)));
        assert!(!c.try_hit(3, at(1)));
        assert!(c.try_hit(1, at(1)), "known keys still count");
        assert!(c.try_hit(3, at(61)));
    }

    #[test]
    fn sign_in_limits_count_before_the_check_and_give_back_on_success() {
        let g = LoginGuard::default();
        let ip: IpAddr = "192.0.2.1"
            .parse()
            .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
        for _ in 0..LOGIN_PER_EMAIL_IP {
            assert_eq!(g.begin("a@example.in", ip, at(0)), Ok(()));
        }
        assert_eq!(
            g.begin("a@example.in", ip, at(1)),
            Err(LoginLimit::EmailFromIp)
        );
        assert_eq!(g.begin("b@example.in", ip, at(1)), Ok(()));
        g.release("b@example.in", ip, true);
        for n in 0..(LOGIN_PER_IP - LOGIN_PER_EMAIL_IP) {
            assert_eq!(g.begin(&format!("{n}@example.in"), ip, at(2)), Ok(()));
        }
        assert_eq!(g.begin("c@example.in", ip, at(3)), Err(LoginLimit::Ip));
    }
}
