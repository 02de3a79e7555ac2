//! Where webhook delivery may connect (SSRF protection). An admin-supplied URL must not reach
//! Orderly's own network: loopback, private, link-local (cloud metadata), shared, ULA, multicast and
//! reserved addresses are refused, both for IP literals in the URL and for every address a host
//! name resolves to *at connect time* (the [`GuardedResolver`] is the HTTP client's only DNS
//! resolver, so a name that changes its answer after registration cannot slip through).
//! `https://` is required unless `ORDERLY_ALLOW_INSECURE_WEBHOOKS=1`; networks listed in
//! `ORDERLY_WEBHOOK_ALLOWED_NETWORKS` (CIDR, comma-separated) are let through on purpose.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// How long a registration-time DNS check may take.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(3);

/// What webhook delivery may connect to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EgressPolicy {
    /// `http://` endpoints are allowed (`ORDERLY_ALLOW_INSECURE_WEBHOOKS=1`); otherwise only `https://`.
    pub allow_insecure: bool,
    /// Networks that are allowed although internal (`ORDERLY_WEBHOOK_ALLOWED_NETWORKS`), e.g. a
    /// receiver on the private network (`10.20.0.0/16`) or a development receiver (`127.0.0.1/32`).
    pub allowed_networks: Vec<Network>,
}

/// An IP network in CIDR notation (`10.0.0.0/8`, `fd00::/8`, or a single address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    addr: IpAddr,
    prefix: u8,
}

/// Why a destination is refused; the text is shown in the delivery log and in 422 answers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// `http://` without the override.
    #[error(
        "refused: webhook URLs must use https:// (ORDERLY_ALLOW_INSECURE_WEBHOOKS=1 allows http://)"
    )]
    Insecure,
    /// Not an absolute http(s) URL with a host.
    #[error("refused: not an absolute https:// URL")]
    NotHttp,
    /// The URL names, or its host resolves to, an internal address.
    #[error("refused: the host is {0} address")]
    Internal(&'static str),
    /// The host name has no address.
    #[error("refused: the host name does not resolve")]
    NoAddress,
}

impl EgressPolicy {
    /// Reads `ORDERLY_ALLOW_INSECURE_WEBHOOKS` and `ORDERLY_WEBHOOK_ALLOWED_NETWORKS`.
    pub fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> anyhow::Result<EgressPolicy> {
        let allow_insecure = match get("ORDERLY_ALLOW_INSECURE_WEBHOOKS").as_deref() {
            None | Some("" | "0" | "false") => false,
            Some("1" | "true") => true,
            Some(v) => anyhow::bail!("ORDERLY_ALLOW_INSECURE_WEBHOOKS={v:?} must be 1 or 0"),
        };
        let allowed_networks = get("ORDERLY_WEBHOOK_ALLOWED_NETWORKS")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse().with_context(|| {
                    format!("ORDERLY_WEBHOOK_ALLOWED_NETWORKS: {s:?} is not a CIDR network")
                })
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(EgressPolicy {
            allow_insecure,
            allowed_networks,
        })
    }

    /// Refuses an address in an internal range unless an allowed network contains it.
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), Refused> {
        match internal_range(ip) {
            Some(_) if self.allowed_networks.iter().any(|n| n.contains(ip)) => Ok(()),
            Some(range) => Err(Refused::Internal(range)),
            None => Ok(()),
        }
    }

    /// The checks that need no DNS: scheme, and the host when it is an IP literal (the URL parser
    /// has already normalised decimal, octal and hex IPv4 spellings such as `http://2130706433/`).
    pub fn check_url(&self, url: &Url) -> Result<(), Refused> {
        match url.scheme() {
            "https" => {}
            "http" if self.allow_insecure => {}
            "http" => return Err(Refused::Insecure),
            _ => return Err(Refused::NotHttp),
        }
        match literal_ip(url) {
            _ if url.host_str().is_none_or(str::is_empty) => Err(Refused::NotHttp),
            Some(ip) => self.check_ip(ip),
            None => Ok(()),
        }
    }

    /// Registration-time check: [`EgressPolicy::check_url`], then every address the host resolves
    /// to now. A name that does not resolve yet is accepted (delivery checks again at connect time).
    pub async fn check_destination(&self, url: &Url) -> Result<(), Refused> {
        self.check_url(url)?;
        let Some(host) = url.host_str().filter(|_| literal_ip(url).is_none()) else {
            return Ok(());
        };
        let lookup = tokio::net::lookup_host((host, 0));
        match tokio::time::timeout(LOOKUP_TIMEOUT, lookup).await {
            Ok(Ok(addrs)) => addrs.into_iter().try_for_each(|a| self.check_ip(a.ip())),
            Ok(Err(_)) | Err(_) => Ok(()),
        }
    }

    /// The DNS resolver for the webhook client.
    pub fn resolver(&self) -> Arc<GuardedResolver> {
        Arc::new(GuardedResolver {
            policy: Arc::new(self.clone()),
        })
    }
}

/// The host of `url` when it is an IP literal (`[…]` for IPv6).
fn literal_ip(url: &Url) -> Option<IpAddr> {
    let host = url.host_str()?;
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    bare.parse().ok()
}

fn boxed(r: Refused) -> Box<dyn std::error::Error + Send + Sync> {
    Box::new(r)
}

/// A DNS resolver that refuses a name when any of its addresses is internal.
#[derive(Debug, Clone)]
pub struct GuardedResolver {
    policy: Arc<EgressPolicy>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0))
                .await
                .map_err(|_| boxed(Refused::NoAddress))?
                .collect();
            if found.is_empty() {
                return Err(boxed(Refused::NoAddress));
            }
            for a in &found {
                policy.check_ip(a.ip()).map_err(boxed)?;
            }
            let addrs: Addrs = Box::new(found.into_iter());
            Ok(addrs)
        })
    }
}

/// The name of the internal range `ip` belongs to ("a loopback", …), or `None` for a public address.
pub fn internal_range(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_range(v4),
        IpAddr::V6(v6) => v6_range(v6),
    }
}

fn v4_range(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    Some(match (a, b) {
        _ if ip.is_broadcast() => "a broadcast",
        (0, _) => "an unspecified (0.0.0.0/8)",
        (10, _) | (172, 16..=31) | (192, 168) => "a private",
        (100, 64..=127) => "a shared (carrier-grade NAT)",
        (127, _) => "a loopback",
        (169, 254) => "a link-local (cloud metadata)",
        (198, 18 | 19) => "a benchmarking",
        (224..=239, _) => "a multicast",
        (240..=255, _) => "a reserved",
        (192, 0) if ip.octets()[2] == 0 => "a reserved (IETF protocol)",
        _ => return None,
    })
}

fn v6_range(ip: Ipv6Addr) -> Option<&'static str> {
    let seg = ip.segments();
    if let Some(v4) = embedded_v4(ip) {
        return v4_range(v4);
    }
    Some(match seg[0] {
        _ if ip.is_unspecified() => "an unspecified (::)",
        _ if ip.is_loopback() => "a loopback",
        0xfc00..=0xfdff => "a unique local (fc00::/7)",
        0xfe80..=0xfebf => "a link-local (fe80::/10)",
        0xfec0..=0xfeff => "a site-local (fec0::/10)",
        0xff00..=0xffff => "a multicast",
        _ => return None,
    })
}

/// The IPv4 address inside an IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible (`::a.b.c.d`) or
/// NAT64 (`64:ff9b::a.b.c.d`) IPv6 address.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let seg = ip.segments();
    let tail = Ipv4Addr::new(
        (seg[6] >> 8) as u8,
        seg[6] as u8,
        (seg[7] >> 8) as u8,
        seg[7] as u8,
    );
    match seg {
        [0, 0, 0, 0, 0, 0xffff, ..] => Some(tail),
        [0, 0, 0, 0, 0, 0, ..] if !ip.is_unspecified() && !ip.is_loopback() => Some(tail),
        [0x64, 0xff9b, 0, 0, 0, 0, ..] => Some(tail),
        // 6to4 (2002:AABB:CCDD::/48 carries a.b.c.d)
        [0x2002, hi, lo, ..] => Some(Ipv4Addr::new(
            (hi >> 8) as u8,
            hi as u8,
            (lo >> 8) as u8,
            lo as u8,
        )),
        _ => None,
    }
}

impl Network {
    /// True when `ip` is in this network (an IPv4-mapped address counts as its IPv4 address).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

impl std::str::FromStr for Network {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> anyhow::Result<Network> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr.parse().context("not an IP address")?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse()
                .ok()
                .filter(|p| *p <= max)
                .context("bad prefix length")?,
        };
        Ok(Network { addr, prefix })
    }
}

/// A coarse, PII-free description of a failed delivery: the class of failure, never the raw error
/// chain (which would turn the delivery log into a port scanner) nor a response body.
pub fn describe(e: &reqwest::Error) -> String {
    use std::io::ErrorKind as K;
    let chain = causes(e);
    if let Some(r) = chain.iter().find_map(|c| c.downcast_ref::<Refused>()) {
        return r.to_string();
    }
    let tls = chain
        .iter()
        .any(|c| c.downcast_ref::<rustls::Error>().is_some());
    let kinds: Vec<K> = chain
        .iter()
        .filter_map(|c| c.downcast_ref::<std::io::Error>().map(std::io::Error::kind))
        .collect();
    let has = |wanted: &[K]| kinds.iter().any(|k| wanted.contains(k));
    let class = if e.is_timeout() || has(&[K::TimedOut]) {
        "timed out"
    } else if tls {
        "TLS error"
    } else if has(&[K::ConnectionRefused]) {
        "connection refused"
    } else if has(&[
        K::ConnectionReset,
        K::ConnectionAborted,
        K::BrokenPipe,
        K::UnexpectedEof,
    ]) {
        "connection closed"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_redirect() {
        "redirect refused"
    } else {
        "request failed"
    };
    class.to_string()
}

/// The error and its causes, looking inside `io::Error`s (whose `source` skips the wrapped error).
fn causes<'a>(
    e: &'a (dyn std::error::Error + 'static),
) -> Vec<&'a (dyn std::error::Error + 'static)> {
    let mut out = Vec::new();
    let mut next = Some(e);
    while let Some(cause) = next.take() {
        out.push(cause);
        if out.len() >= 16 {
            break;
        }
        next = match cause
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => cause.source(),
        };
    }
    out
}

#[cfg(test)]
#[path = "egress_tests.rs"]
mod tests;
