//! `orderly-bench`: benchmark programs that print figures (see docs/PERFORMANCE.md).
//!
//! - `list`: the order list API at N orders, every filter, p50/p95/p99 over loopback, beside the
//!   same query run directly against the store (no HTTP).
//! - `intake`: signed `OrderPlaced` over HTTP into SQLite for a fixed time, beside a bare axum
//!   endpoint that only parses the same JSON (the ceiling).
//! - `shipments`: the saga's own time per shipment, throughput without a rate limit, and a batch
//!   under the default limit against the bound that limit sets.
//! - `outbox`: events committed at a fixed rate (500/s) through the outbox, commit → webhook
//!   receipt latency on loopback with the real dispatcher.

mod intake;
mod list;
mod load;
mod outbox;
mod pages;
mod shipments;

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
    /// Dashboard list page per tab and search, page weight, live fan-out to many dashboards.
    Pages(pages::PagesArgs),
    /// Commit → webhook receipt latency of the outbox dispatcher at a fixed event rate.
    Outbox(outbox::OutboxArgs),
    /// Orderly's time per shipment, throughput with the limit lifted, a batch at 180 requests/minute.
    Shipments(shipments::ShipmentArgs),
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
            Command::Pages(a) => pages::run(a).await,
            Command::Outbox(a) => outbox::run(a).await,
            Command::Shipments(a) => shipments::run(a).await,
        }
    })
}
