//! Start-up as a function: [`Application::build`] connects the store, binds the port (0 in tests)
//! and assembles the router; [`Application::run`] serves until shutdown.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use orderly_store::{Store, StoreOptions};
use tokio::net::TcpListener;

pub use crate::clock::{Clock, ManualClock, SystemClock};
use crate::config::Settings;

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

    /// Serves until `shutdown` resolves.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let router = crate::router::build(self.state.clone());
        let (stop_workers, workers_stop) = tokio::sync::watch::channel(false);
        let workers = if self.state.settings.role.runs_workers() {
            crate::workers::start(&self.state, workers_stop)
        } else {
            Vec::new()
        };
        // The peer address feeds the per-IP limits (`throttle::ClientIp`).
        let router = router.into_make_service_with_connect_info::<SocketAddr>();
        let served = axum::serve(self.listener, router)
            .with_graceful_shutdown(shutdown)
            .await;
        let _ = stop_workers.send(true);
        for w in workers {
            let _ = w.await;
        }
        served.context("server failed")?;
        self.state.store.close().await;
        Ok(())
    }

    /// Serves until Ctrl-C or SIGTERM.
    pub async fn run(self) -> anyhow::Result<()> {
        self.run_until(shutdown_signal()).await
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
