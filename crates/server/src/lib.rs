//! Orderly's server: configuration, the HTTP application (JSON API, intake), and the command line.

pub mod actions;
pub mod api;
pub mod app;
pub mod changes;
pub mod cli;
pub mod clock;
pub mod config;
pub mod egress;
pub mod feature;
pub mod live;
pub mod metrics;
pub mod outage;
pub mod router;
pub mod search;
pub mod shipping;
pub mod shutdown;
pub mod signature;
pub mod streams;
pub mod throttle;
pub mod web;
pub mod workers;

pub use app::{AppState, Application};
pub use config::Settings;

/// Installs the process-wide TLS crypto provider (ring) once; every HTTPS client needs it.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
