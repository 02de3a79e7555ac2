//! Start-up as a function: [`Application::build`] connects the store, binds the port (0 in tests)
//! and assembles the router; [`Application::run`] serves until shutdown.

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use orderly_store::{Store, StoreOptions};
use tokio::net::TcpListener;

pub use crate::clock::{Clock, ManualClock, SystemClock};
use crate::config::Settings;
use crate::shutdown::DRAIN_LIMIT;

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The database.
    pub store: Store,
    /// Configuration.
    pub settings: Arc<Settings>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Committed changes, for live updates.
    pub live: crate::live::Live,
    /// Prometheus metrics.
    pub metrics: crate::metrics::Metrics,
    /// The Shiprocket client, when credentials are configured.
    pub shiprocket: Option<Arc<crate::shipping::Shiprocket>>,
    /// In-memory limits against abuse (sign-in, tracking webhook).
    pub guards: Arc<crate::throttle::Guards>,
    /// Flips once when the server begins to shut down; streams and workers end on it.
    pub shutdown: crate::shutdown::Shutdown,
    /// Open Server-Sent Events streams and the bus that ends them on sign-out or revocation.
    pub streams: crate::streams::Streams,
    /// Test-only fault points (never armed in production).
    pub faults: crate::shipping::Faults,
}

/// A built, bound, not yet serving application.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    state: AppState,
}

impl Application {
    /// Connects to the database (migrating it) and binds `settings.bind`.
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let store = Store::connect(
            &settings.database_url,
            StoreOptions {
                max_connections: settings.database_max_connections,
                migrate: true,
            },
        )
        .await
        .context("Failed to open the database")?;
        Self::build_with_store(settings, store).await
    }

    /// Binds `settings.bind` over an already connected store.
    pub async fn build_with_store(settings: Settings, store: Store) -> anyhow::Result<Application> {
        let listener = TcpListener::bind(settings.bind)
            .await
            .with_context(|| format!("Failed to bind {}", settings.bind))?;
        let state = AppState {
            store,
            settings: Arc::new(settings),
            clock: Arc::new(SystemClock),
            live: crate::live::Live::new(),
            metrics: crate::metrics::Metrics::default(),
            shiprocket: None,
            guards: Arc::default(),
            shutdown: crate::shutdown::Shutdown::new(),
            streams: crate::streams::Streams::new(),
            faults: crate::shipping::Faults::default(),
        };
        let shiprocket =
            crate::shipping::Shiprocket::from_settings(&state.settings, &state.metrics)?;
        let state = AppState {
            shiprocket: shiprocket.map(Arc::new),
            ..state
        };
        Ok(Application { listener, state })
    }

    /// Replaces the clock (tests move time by hand with [`ManualClock`]).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Application {
        self.state.clock = clock;
        self
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> anyhow::Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
    }

    /// The shared state (tests use its store directly).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then drains: open streams end at once, in-flight requests
    /// and workers get at most [`DRAIN_LIMIT`] together, and whatever is left is dropped.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let router = crate::router::build(self.state.clone());
        let workers = if self.state.settings.role.runs_workers() {
            crate::workers::start(&self.state, self.state.shutdown.subscribe())
        } else {
            Vec::new()
        };
        // The peer address feeds the per-IP limits (`throttle::ClientIp`).
        let router = router.into_make_service_with_connect_info::<SocketAddr>();
        let switch = self.state.shutdown.clone();
        tokio::spawn(async move {
            shutdown.await;
            switch.trigger();
        });
        let switch = self.state.shutdown.clone();
        let served = axum::serve(self.listener, router)
            .with_graceful_shutdown(async move { switch.wait().await })
            .into_future();
        let drained = async {
            let served = served.await;
            for w in workers {
                let _ = w.await;
            }
            served
        };
        let deadline = async {
            self.state.shutdown.wait().await;
            tokio::time::sleep(DRAIN_LIMIT).await;
        };
        tokio::select! {
            served = drained => served.context("server failed")?,
            () = deadline => tracing::warn!(
                limit_secs = DRAIN_LIMIT.as_secs(),
                "shutdown: requests or workers still running after the drain limit; exiting anyway"
            ),
        }
        // Pool connections still held by abandoned work would block `close` forever.
        if tokio::time::timeout(Duration::from_secs(2), self.state.store.close())
            .await
            .is_err()
        {
            tracing::warn!("shutdown: database connections still busy; closing without them");
        }
        Ok(())
    }

    /// Serves until Ctrl-C or SIGTERM; a second Ctrl-C or SIGTERM while draining exits at once.
    pub async fn run(self) -> anyhow::Result<()> {
        self.run_until(async {
            shutdown_signal().await;
            tracing::info!(
                limit_secs = DRAIN_LIMIT.as_secs(),
                "shutting down: draining (press Ctrl-C again to exit at once)"
            );
            tokio::spawn(async {
                shutdown_signal().await;
                tracing::warn!("second signal: exiting without draining");
                std::process::exit(130);
            });
        })
        .await
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
