//! The command line: `orderly serve | migrate | apikey | import | seed | demo | audit | shiprocket-sim`.

mod apikey;
mod audit;
mod demo;
mod flag;
mod import;
pub mod seed;
mod user;
mod webhook;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::Settings;

/// Orderly: order management and Shiprocket fulfilment.
#[derive(Debug, Parser)]
#[command(name = "orderly", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the dashboard, JSON API, intake and workers (ORDERLY_BIND, ORDERLY_DATABASE_URL, …).
    Serve {
        /// web = HTTP only, worker = background workers only, all = both.
        #[arg(long, value_enum, default_value = "all")]
        role: RoleArg,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage API keys.
    #[command(subcommand)]
    Apikey(apikey::ApiKeyCommand),
    /// Import OrderPlaced envelopes from a JSON Lines file, one per line.
    Import(import::ImportArgs),
    /// Insert realistic synthetic orders.
    Seed(seed::SeedArgs),
    /// Run Orderly on a local SQLite file with seeded orders and a synthetic checkout.
    Demo(demo::DemoArgs),
    /// Audit-log tools.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// The fulfilment rollout flag (feature.orders.order_fulfillment).
    #[command(subcommand)]
    Flag(flag::FlagCommand),
    /// Outbound webhook endpoints: add, list, replay.
    #[command(subcommand)]
    Webhook(webhook::WebhookCommand),
    /// Manage dashboard users.
    #[command(subcommand)]
    User(user::UserCommand),
    /// Run the Shiprocket simulator alone (for other teams' integration tests).
    ShiprocketSim(shiprocket_sim::SimArgs),
}

/// `--role` values.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum RoleArg {
    Web,
    Worker,
    All,
}

/// Parses arguments, runs the command, and maps failure to a non-zero exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match crate::config::Logging::from_env() {
        Ok(logging) => init_tracing(&logging),
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::FAILURE;
        }
    }
    crate::install_crypto_provider();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(run(cli));
    // Never wait on work abandoned by a bounded shutdown (a blocking task, a stuck connection).
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Demo(args) => demo::run(args).await,
        Command::ShiprocketSim(args) => shiprocket_sim::run(args).await,
        other => {
            let settings = Settings::from_env()?;
            match other {
                Command::Serve { role } => {
                    let mut settings = settings;
                    settings.role = match role {
                        RoleArg::Web => crate::config::Role::Web,
                        RoleArg::Worker => crate::config::Role::Worker,
                        RoleArg::All => crate::config::Role::All,
                    };
                    serve(settings).await
                }
                Command::Migrate => migrate(settings).await,
                Command::Apikey(c) => apikey::run(c, &settings).await,
                Command::Import(a) => import::run(a, &settings).await,
                Command::Seed(a) => seed::run(a, &settings).await,
                Command::Audit(c) => audit::run(c, &settings).await,
                Command::Flag(c) => flag::run(c, &settings).await,
                Command::Webhook(c) => webhook::run(c, &settings).await,
                Command::User(c) => user::run(c, &settings).await,
                Command::ShiprocketSim(_) | Command::Demo(_) => Ok(()),
            }
        }
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    if settings.intake_secrets.is_empty() {
        tracing::warn!(
            "ORDERLY_INTAKE_SECRETS is not set: signed OrderPlaced intake will refuse every event"
        );
    }
    let app = crate::Application::build(settings).await?;
    tracing::info!(addr = %app.local_addr()?, "serving");
    app.run().await
}

async fn migrate(settings: Settings) -> anyhow::Result<()> {
    let store = open_store(&settings, false).await?;
    let ran = store.migrate().await?;
    println!("{ran} migration(s) applied");
    store.close().await;
    Ok(())
}

/// Opens the configured database, optionally applying migrations.
pub(crate) async fn open_store(
    settings: &Settings,
    migrate: bool,
) -> anyhow::Result<orderly_store::Store> {
    use anyhow::Context;
    orderly_store::Store::connect(
        &settings.database_url,
        orderly_store::StoreOptions {
            max_connections: settings.database_max_connections,
            migrate,
        },
    )
    .await
    .context("Failed to open the database")
}

/// Logs to standard error, as text or as one JSON object per line (`ORDERLY_LOG_FORMAT=json`).
fn init_tracing(logging: &crate::config::Logging) {
    use crate::config::LogFormat;
    use tracing_subscriber::EnvFilter;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::new(&logging.filter))
        .with_writer(std::io::stderr);
    let _ = match logging.format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}
