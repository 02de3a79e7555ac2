//! Typed settings, read once at start-up from `ORDERLY_…` environment variables and passed down.
//! Nothing else in Orderly reads the environment.

use std::net::SocketAddr;
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
            s.database_url = v;
        }
        if let Some(v) = get("ORDERLY_INTAKE_SECRETS") {
            s.intake_secrets = parse_secrets(&v)?;
        }
        if let Some(v) = get("ORDERLY_SIGNATURE_TOLERANCE_SECS") {
            let secs: u64 = v
                .parse()
                .context("ORDERLY_SIGNATURE_TOLERANCE_SECS must be a number of seconds")?;
            s.signature_tolerance = Duration::from_secs(secs);
        }
        if let Some(v) = get("ORDERLY_DATABASE_MAX_CONNECTIONS") {
            s.database_max_connections = v
                .parse()
                .context("ORDERLY_DATABASE_MAX_CONNECTIONS must be a number")?;
        }
        Ok(s)
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
