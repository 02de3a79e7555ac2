//! `shiprocket-sim`: a local, deterministic simulator of Shiprocket's external REST API
//! (`/v1/external/...`), with realistic state, a controllable clock, tracking webhooks and fault knobs.
//!
//! Start it with [`Simulator::spawn`] in tests, or `orderly shiprocket-sim --bind 127.0.0.1:PORT`
//! (see [`SimArgs`] and [`run`]). See `SIMULATOR.md` for what it reproduces and what it does not.

mod calllog;
mod clock;
mod config;
mod control;
mod control_api;
mod couriers;
mod gate;
mod geo;
mod handlers;
mod jwt;
mod pdf;
mod respond;
mod router;
mod state;
mod tracking;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use config::{FaultConfig, LatencyConfig, LatencySpec, PickupLocationConfig, SimConfig};
pub use control::SimControl;
pub use state::CallLogEntry;

/// Shared by every handler: the world behind one mutex, plus things that need no lock.
pub(crate) struct Shared {
    state: Mutex<state::State>,
    calls: Mutex<calllog::CallLog>,
    public_base: String,
    http: reqwest::Client,
    flush_lock: tokio::sync::Mutex<()>,
    webhooks_delivered: AtomicUsize,
    webhooks_failed: AtomicUsize,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("public_base", &self.public_base)
            .finish_non_exhaustive()
    }
}

impl Shared {
    /// Locks the world (a poisoned lock is still usable: every section leaves it consistent).
    pub(crate) fn lock(&self) -> MutexGuard<'_, state::State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Locks the call log.
    pub(crate) fn log(&self) -> MutexGuard<'_, calllog::CallLog> {
        self.calls
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The handle every handler gets.
pub(crate) type App = Arc<Shared>;

/// A running simulator bound to a loopback port.
#[derive(Debug)]
pub struct Simulator {
    addr: SocketAddr,
    control: SimControl,
    shutdown: Option<oneshot::Sender<()>>,
    server: JoinHandle<()>,
    ticker: Option<JoinHandle<()>>,
}

impl Simulator {
    /// Starts a simulator on `127.0.0.1:0` (a free port).
    pub async fn spawn(config: SimConfig) -> anyhow::Result<Simulator> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .context("Failed to bind 127.0.0.1:0")?;
        Self::spawn_on(config, listener).await
    }

    /// Starts a simulator on an already bound listener.
    pub async fn spawn_on(config: SimConfig, listener: TcpListener) -> anyhow::Result<Simulator> {
        if let Some(url) = &config.webhook_url {
            tracking::check_webhook_url(url)?;
        }
        let _ = rustls::crypto::ring::default_provider().install_default();
        let addr = listener
            .local_addr()
            .context("Failed to read the bound address")?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .context("Failed to build the webhook HTTP client")?;
        let real_time = config.real_time.is_some();
        let control_endpoint = config.control_endpoint;
        let shared: App = Arc::new(Shared {
            state: Mutex::new(state::State::new(config)),
            calls: Mutex::new(calllog::CallLog::default()),
            public_base: format!("http://{addr}"),
            http,
            flush_lock: tokio::sync::Mutex::new(()),
            webhooks_delivered: AtomicUsize::new(0),
            webhooks_failed: AtomicUsize::new(0),
        });
        let app = router::router(shared.clone(), control_endpoint);
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = rx.await;
            });
            if let Err(e) = serve.await {
                tracing::error!(error = %e, "shiprocket-sim server stopped");
            }
        });
        let ticker = real_time.then(|| {
            let shared = shared.clone();
            tokio::spawn(async move {
                let mut every = tokio::time::interval(Duration::from_millis(250));
                loop {
                    every.tick().await;
                    tracking::flush(&shared).await;
                }
            })
        });
        Ok(Simulator {
            addr,
            control: SimControl::new(shared),
            shutdown: Some(tx),
            server,
            ticker,
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// "http://127.0.0.1:PORT/v1/external".
    pub fn base_url(&self) -> String {
        format!("http://{}/v1/external", self.addr)
    }

    /// The API user's (email, password).
    pub fn credentials(&self) -> (String, String) {
        self.control.credentials()
    }

    /// The control handle (fault knobs, clock, counters).
    pub fn control(&self) -> &SimControl {
        &self.control
    }

    /// Stops serving and waits for the server task.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.ticker.take() {
            t.abort();
        }
        // In-flight held responses (timeout faults) would delay a graceful stop; bound it.
        let _ = tokio::time::timeout(Duration::from_secs(2), &mut self.server).await;
        self.server.abort();
    }
}

/// Command-line arguments of `orderly shiprocket-sim`.
#[derive(clap::Args, Debug, Clone)]
pub struct SimArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8090")]
    pub bind: SocketAddr,
    /// A JSON `SimConfig` (partial is fine).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// RNG seed (overrides the config).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Tracking webhook URL (overrides the config).
    #[arg(long)]
    pub webhook_url: Option<String>,
    /// Tracking webhook `x-api-key` token (overrides the config).
    #[arg(long)]
    pub webhook_token: Option<String>,
    /// Run the simulated clock with wall-clock time, this many times faster.
    #[arg(long)]
    pub real_time: Option<f64>,
    /// Enforce 180 requests/minute per token.
    #[arg(long)]
    pub enforce_rate_limit: bool,
}

/// Serves a simulator until Ctrl-C; prints the base URL and the credentials.
pub async fn run(args: SimArgs) -> anyhow::Result<()> {
    let mut config = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("Failed to read {}", path.display()))?;
            serde_json::from_str::<SimConfig>(&text)
                .with_context(|| format!("Failed to parse {} as a SimConfig", path.display()))?
        }
        None => SimConfig::default(),
    };
    if let Some(seed) = args.seed {
        config.seed = seed;
    }
    if args.webhook_url.is_some() {
        config.webhook_url = args.webhook_url.clone();
    }
    if args.webhook_token.is_some() {
        config.webhook_token = args.webhook_token.clone();
    }
    if args.real_time.is_some() {
        config.real_time = args.real_time;
    }
    config.enforce_rate_limit |= args.enforce_rate_limit;
    let listener = TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("Failed to bind {}", args.bind))?;
    let sim = Simulator::spawn_on(config, listener).await?;
    let (email, password) = sim.credentials();
    println!("Shiprocket simulator listening");
    println!("  base URL: {}", sim.base_url());
    println!("  email:    {email}");
    println!("  password: {password}");
    tokio::signal::ctrl_c()
        .await
        .context("Failed to wait for Ctrl-C")?;
    sim.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::SimArgs;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        sim: SimArgs,
    }

    #[test]
    fn sim_args_parse_with_defaults_and_overrides() {
        let cli = Cli::parse_from(["orderly", "--seed", "3", "--real-time", "60"]);
        assert_eq!(cli.sim.bind.to_string(), "127.0.0.1:8090");
        assert_eq!(cli.sim.seed, Some(3));
        assert_eq!(cli.sim.real_time, Some(60.0));
        assert!(!cli.sim.enforce_rate_limit);
    }

    #[test]
    fn the_config_debug_output_redacts_the_password_and_webhook_token() {
        let cfg = super::SimConfig {
            webhook_token: Some("tok-123".into()),
            ..Default::default()
        };
        let text = format!("{cfg:?}");
        assert!(!text.contains("sim-password") && !text.contains("tok-123"));
    }
}
