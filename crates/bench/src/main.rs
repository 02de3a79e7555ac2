//! `orderly-bench`: benchmark programs that print figures (see docs/PERFORMANCE.md).
//!
//! - `list`: the order list API at N orders, every filter, p50/p95/p99 over loopback, beside the
//!   same query run directly against the store (no HTTP).
//! - `intake`: signed `OrderPlaced` over HTTP into SQLite for a fixed time, beside a bare axum
//!   endpoint that only parses the same JSON (the ceiling).

mod intake;
mod list;
mod load;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "orderly-bench", about = "Orderly benchmark programs")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Latency of GET /api/v1/orders for every filter.
    List(list::ListArgs),
    /// Throughput and latency of signed intake.
    Intake(intake::IntakeArgs),
}

fn main() -> anyhow::Result<()> {
    orderly::install_crypto_provider();
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        match cli.command {
            Command::List(a) => list::run(a).await,
            Command::Intake(a) => intake::run(a).await,
        }
    })
}
