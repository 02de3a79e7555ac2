//! Typed settings, read once at start-up from `ORDERLY_…` environment variables and passed down.
//! Nothing else in Orderly reads the environment.

use std::fmt::Display;
use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::str::FromStr;
use std::time::Duration;

use anyhow::{Context, bail};

/// A secret string: usable, never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }

    /// The secret itself, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Everything Orderly can be configured with.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where `orderly serve` listens (`ORDERLY_BIND`, default 127.0.0.1:8080).
    pub bind: SocketAddr,
    /// `sqlite://…` or `postgres://…` (`ORDERLY_DATABASE_URL`, default `sqlite://data/orderly.db`).
    pub database_url: String,
    /// Secrets that may sign inbound `OrderPlaced` events (`ORDERLY_INTAKE_SECRETS`, comma-separated).
    pub intake_secrets: Vec<Secret>,
    /// How old a signature may be (`ORDERLY_SIGNATURE_TOLERANCE_SECS`, default 300).
    pub signature_tolerance: Duration,
    /// Largest accepted request body, in bytes (1 MiB).
    pub max_body_bytes: usize,
    /// Database connections (`ORDERLY_DATABASE_MAX_CONNECTIONS`, default 8).
    pub database_max_connections: u32,
    /// What this process runs (`--role`): the web surface, the background workers, or both.
    pub role: Role,
    /// NATS server for event delivery and `orders.placed` intake (`ORDERLY_NATS_URL`); off when unset.
    pub nats_url: Option<String>,
    /// JetStream stream Orderly publishes to and consumes from (`ORDERLY_NATS_STREAM`, default `ORDERS`).
    pub nats_stream: String,
    /// Subject prefix (`ORDERLY_NATS_SUBJECT_PREFIX`, default `orders`): events go to `<prefix>.<event>`,
    /// intake reads `<prefix>.placed`. Tests set their own so they can share one NATS server.
    pub nats_subject_prefix: String,
    /// How Orderly authenticates to NATS (`ORDERLY_NATS_USER`/`_PASSWORD`, `_TOKEN`, `_TLS_*`,
    /// `ORDERLY_NATS_ALLOW_ANONYMOUS`); anonymous connections are refused unless allowed.
    pub nats_auth: crate::workers::nats_auth::NatsAuth,
    /// Shiprocket API base (`ORDERLY_SHIPROCKET_URL`, default `https://apiv2.shiprocket.in/v1/external`).
    pub shiprocket_url: String,
    /// Shiprocket API user (`ORDERLY_SHIPROCKET_EMAIL`).
    pub shiprocket_email: Option<String>,
    /// Shiprocket API password (`ORDERLY_SHIPROCKET_PASSWORD`).
    pub shiprocket_password: Option<Secret>,
    /// Client-side Shiprocket rate limit (`ORDERLY_SHIPROCKET_RPM`, default 180; 0 = unlimited).
    pub shiprocket_rpm: u32,
    /// Per-request Shiprocket timeout (`ORDERLY_SHIPROCKET_TIMEOUT_SECS`, default 20).
    pub shiprocket_timeout: Duration,
    /// How long the Shiprocket circuit breaker stays open (`ORDERLY_SHIPROCKET_BREAKER_COOLDOWN_SECS`, default 30).
    pub shiprocket_breaker_cooldown: Duration,
    /// Shiprocket pickup location nickname (`ORDERLY_PICKUP_LOCATION`, default `Primary`).
    pub pickup_location: String,
    /// Default courier policy (`ORDERLY_COURIER_POLICY`: cheapest, fastest, best_rated, recommended, balanced).
    pub courier_policy: String,
    /// Token Shiprocket sends in `x-api-key` on tracking webhooks (`ORDERLY_TRACKING_WEBHOOK_TOKEN`).
    pub tracking_webhook_token: Option<Secret>,
    /// Hours after which an unshipped order is "SLA at risk" (`ORDERLY_SLA_HOURS`, default 24).
    pub sla_hours: i64,
    /// First value of `feature.orders.order_fulfillment` (`ORDERLY_FEATURE_ORDER_FULFILLMENT`: `off`,
    /// `internal:<emails or key prefixes>`, `percent:<n>`, `on`); used only until someone sets the flag.
    pub feature_order_fulfillment: Option<String>,
    /// The fulfilment rollback guard (`ORDERLY_ROLLBACK_*`).
    pub feature_rollback: crate::feature::RollbackSettings,
    /// The address people reach the dashboard at (`ORDERLY_PUBLIC_URL`); https also turns on HSTS.
    pub public_url: Option<String>,
    /// Where webhooks may be delivered (`ORDERLY_ALLOW_INSECURE_WEBHOOKS`, `ORDERLY_WEBHOOK_ALLOWED_NETWORKS`).
    pub webhook_egress: crate::egress::EgressPolicy,
    /// A header set by a reverse proxy in front of Orderly that carries the client's address
    /// (`ORDERLY_TRUSTED_PROXY_HEADER`, e.g. `X-Forwarded-For`; off by default: the TCP peer is used).
    pub trusted_proxy_header: Option<http::HeaderName>,
    /// How long old rows are kept (`ORDERLY_RETENTION_*`).
    pub retention: crate::workers::retention::RetentionSettings,
    /// Forces session cookies `Secure` (and `__Host-`) on or off (`ORDERLY_COOKIE_SECURE`); unset:
    /// on unless Orderly is bound to and reached on loopback (see `web::session::CookiePolicy`).
    pub cookie_secure: Option<bool>,
    /// Limits on Server-Sent Events streams (`ORDERLY_STREAM_…`).
    pub streams: crate::streams::StreamLimits,
}

/// Which parts of Orderly a process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Role {
    /// Dashboard, JSON API, webhooks in.
    Web,
    /// Background workers only.
    Worker,
    /// Both (the default).
    #[default]
    All,
}

impl Role {
    /// True when this process serves HTTP.
    pub fn serves_web(self) -> bool {
        matches!(self, Role::Web | Role::All)
    }

    /// True when this process runs background workers.
    pub fn runs_workers(self) -> bool {
        matches!(self, Role::Worker | Role::All)
    }
}

impl Settings {
    /// Defaults suitable for a laptop: SQLite under `./data`, loopback, no intake secret.
    pub fn local_defaults() -> Settings {
        Settings {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: "sqlite://data/orderly.db".into(),
            intake_secrets: Vec::new(),
            signature_tolerance: Duration::from_secs(300),
            max_body_bytes: 1024 * 1024,
            database_max_connections: 8,
            role: Role::All,
            nats_url: None,
            nats_stream: "ORDERS".into(),
            nats_subject_prefix: "orders".into(),
            nats_auth: crate::workers::nats_auth::NatsAuth::default(),
            shiprocket_url: "https://apiv2.shiprocket.in/v1/external".into(),
            shiprocket_email: None,
            shiprocket_password: None,
            shiprocket_rpm: 180,
            shiprocket_timeout: Duration::from_secs(20),
            shiprocket_breaker_cooldown: Duration::from_secs(30),
            pickup_location: "Primary".into(),
            courier_policy: "recommended".into(),
            tracking_webhook_token: None,
            sla_hours: 24,
            feature_order_fulfillment: None,
            feature_rollback: crate::feature::RollbackSettings::default(),
            public_url: None,
            webhook_egress: crate::egress::EgressPolicy::default(),
            trusted_proxy_header: None,
            retention: crate::workers::retention::RetentionSettings::default(),
            cookie_secure: None,
            streams: crate::streams::StreamLimits::default(),
        }
    }

    /// Reads the environment over [`Settings::local_defaults`].
    pub fn from_env() -> anyhow::Result<Settings> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads settings through `get` (the environment, or a map in tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> anyhow::Result<Settings> {
        let mut s = Settings::local_defaults();
        if let Some(v) = get("ORDERLY_BIND") {
            s.bind = v
                .parse()
                .with_context(|| format!("ORDERLY_BIND={v:?} is not host:port"))?;
        }
        if let Some(v) = get("ORDERLY_DATABASE_URL") {
            // The URL may carry a password: the message never repeats it.
            if !["sqlite:", "postgres://", "postgresql://"]
                .iter()
                .any(|p| v.starts_with(p))
            {
                bail!("ORDERLY_DATABASE_URL must start with sqlite:, postgres:// or postgresql://");
            }
            s.database_url = v;
        }
        if let Some(v) = get("ORDERLY_INTAKE_SECRETS") {
            s.intake_secrets = parse_secrets(&v).context("ORDERLY_INTAKE_SECRETS")?;
        }
        if let Some(secs) = bounded(
            &get,
            "ORDERLY_SIGNATURE_TOLERANCE_SECS",
            1..=86_400,
            "seconds",
        )? {
            s.signature_tolerance = Duration::from_secs(secs);
        }
        if let Some(n) = bounded(
            &get,
            "ORDERLY_DATABASE_MAX_CONNECTIONS",
            1..=1_000,
            "connections",
        )? {
            s.database_max_connections = n;
        }
        s.nats_url = get("ORDERLY_NATS_URL").filter(|v| !v.is_empty());
        if let Some(v) = get("ORDERLY_NATS_STREAM").filter(|v| !v.is_empty()) {
            s.nats_stream = v;
        }
        if let Some(v) = get("ORDERLY_NATS_SUBJECT_PREFIX").filter(|v| !v.is_empty()) {
            s.nats_subject_prefix = v;
        }
        s.nats_auth = crate::workers::nats_auth::NatsAuth::from_lookup(&get)?;
        if s.nats_url.is_some() {
            s.nats_auth.check()?;
        }
        if let Some(v) = get("ORDERLY_SHIPROCKET_URL") {
            s.shiprocket_url = http_url("ORDERLY_SHIPROCKET_URL", v)?;
        }
        s.shiprocket_email = get("ORDERLY_SHIPROCKET_EMAIL").filter(|v| !v.is_empty());
        s.shiprocket_password = get("ORDERLY_SHIPROCKET_PASSWORD")
            .filter(|v| !v.is_empty())
            .map(Secret::new);
        if let Some(n) = bounded(
            &get,
            "ORDERLY_SHIPROCKET_RPM",
            0..=100_000,
            "requests per minute",
        )? {
            s.shiprocket_rpm = n;
        }
        if let Some(secs) = bounded(&get, "ORDERLY_SHIPROCKET_TIMEOUT_SECS", 1..=600, "seconds")? {
            s.shiprocket_timeout = Duration::from_secs(secs);
        }
        let cooldown = "ORDERLY_SHIPROCKET_BREAKER_COOLDOWN_SECS";
        if let Some(secs) = bounded(&get, cooldown, 1..=3_600, "seconds")? {
            s.shiprocket_breaker_cooldown = Duration::from_secs(secs);
        }
        if let Some(v) = get("ORDERLY_PICKUP_LOCATION") {
            s.pickup_location = v;
        }
        if let Some(v) = get("ORDERLY_COURIER_POLICY") {
            use orderly_domain::courier::Policy;
            let policy = Policy::parse(&v).with_context(|| {
                let names = Policy::ALL.map(Policy::as_str).join(", ");
                format!("ORDERLY_COURIER_POLICY={v:?} is not a courier policy; use one of {names}")
            })?;
            s.courier_policy = policy.as_str().to_owned();
        }
        s.tracking_webhook_token = get("ORDERLY_TRACKING_WEBHOOK_TOKEN")
            .filter(|v| !v.is_empty())
            .map(Secret::new);
        if s.tracking_webhook_token
            .as_ref()
            .is_some_and(|t| t.expose().chars().count() < 16)
        {
            bail!("ORDERLY_TRACKING_WEBHOOK_TOKEN must be at least 16 characters");
        }
        if let Some(v) = get("ORDERLY_TRUSTED_PROXY_HEADER").filter(|v| !v.trim().is_empty()) {
            s.trusted_proxy_header = Some(v.trim().parse().with_context(|| {
                format!("ORDERLY_TRUSTED_PROXY_HEADER={v:?} is not a header name")
            })?);
        }
        s.retention = crate::workers::retention::RetentionSettings::from_lookup(&get)?;
        if let Some(hours) = bounded(&get, "ORDERLY_SLA_HOURS", 1..=8_760, "hours")? {
            s.sla_hours = hours;
        }
        s.public_url = get("ORDERLY_PUBLIC_URL")
            .filter(|v| !v.is_empty())
            .map(|v| http_url("ORDERLY_PUBLIC_URL", v))
            .transpose()?;
        s.cookie_secure = match get("ORDERLY_COOKIE_SECURE").as_deref().map(str::trim) {
            None | Some("" | "auto") => None,
            Some("true") => Some(true),
            Some("false") => Some(false),
            Some(other) => bail!("ORDERLY_COOKIE_SECURE={other:?} must be true, false or auto"),
        };
        s.streams = crate::streams::StreamLimits::from_lookup(&get)?;
        s.feature_order_fulfillment =
            get("ORDERLY_FEATURE_ORDER_FULFILLMENT").filter(|v| !v.trim().is_empty());
        if let Some(v) = &s.feature_order_fulfillment {
            crate::feature::parse_config(v)?;
        }
        s.feature_rollback = crate::feature::RollbackSettings::from_lookup(&get)?;
        s.webhook_egress = crate::egress::EgressPolicy::from_lookup(&get)?;
        Ok(s)
    }
}

/// Reads `key` as a whole number within `range`, or refuses it with a message naming the variable.
fn bounded<T>(
    get: &impl Fn(&str) -> Option<String>,
    key: &str,
    range: RangeInclusive<T>,
    unit: &str,
) -> anyhow::Result<Option<T>>
where
    T: FromStr + PartialOrd + Display,
{
    let Some(v) = get(key) else {
        return Ok(None);
    };
    let n = v.trim().parse::<T>().ok().filter(|n| range.contains(n));
    n.map(Some).with_context(|| {
        format!(
            "{key}={v:?} must be a whole number of {unit} from {} to {}",
            range.start(),
            range.end()
        )
    })
}

/// Checks that `v` is an absolute http(s) URL; the message names `key`.
fn http_url(key: &str, v: String) -> anyhow::Result<String> {
    match reqwest::Url::parse(&v) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.has_host() => Ok(v),
        _ => bail!("{key}={v:?} must be an http:// or https:// URL"),
    }
}

/// How log lines are written (`ORDERLY_LOG_FORMAT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// Human-readable lines (the default).
    #[default]
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Logging settings, read before everything else so that start-up itself is logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logging {
    /// `tracing` filter directives (`ORDERLY_LOG`, default `info,sqlx=warn`).
    pub filter: String,
    /// `ORDERLY_LOG_FORMAT`: `text` (default) or `json`.
    pub format: LogFormat,
}

impl Logging {
    /// Reads `ORDERLY_LOG` and `ORDERLY_LOG_FORMAT` from the environment.
    pub fn from_env() -> anyhow::Result<Logging> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads `ORDERLY_LOG` and `ORDERLY_LOG_FORMAT` through `get`; a bad value is an error.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> anyhow::Result<Logging> {
        let filter = match get("ORDERLY_LOG").filter(|v| !v.trim().is_empty()) {
            Some(v) => {
                tracing_subscriber::EnvFilter::try_new(&v).with_context(|| {
                    format!(
                        "ORDERLY_LOG={v:?} is not a log filter (e.g. info or info,orderly=debug)"
                    )
                })?;
                v
            }
            None => "info,sqlx=warn".to_owned(),
        };
        let format = match get("ORDERLY_LOG_FORMAT").as_deref().map(str::trim) {
            None | Some("" | "text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => bail!("ORDERLY_LOG_FORMAT={other:?}: use text or json"),
        };
        Ok(Logging { filter, format })
    }
}

/// Splits a comma-separated secret list; each secret must be at least 16 characters.
pub fn parse_secrets(v: &str) -> anyhow::Result<Vec<Secret>> {
    let secrets: Vec<Secret> = v
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(Secret::new)
        .collect();
    if secrets.iter().any(|s| s.expose().len() < 16) {
        bail!("every intake secret must be at least 16 characters");
    }
    Ok(secrets)
}
