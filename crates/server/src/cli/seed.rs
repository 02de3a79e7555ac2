//! `orderly seed --orders N`: realistic synthetic Indian orders, bulk-loaded.

use std::time::Instant;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use orderly_domain::order::NewOrder;
use orderly_domain::pincodes;
use orderly_synth::Synth;
use time::{Duration, OffsetDateTime};

use crate::config::Settings;

/// Arguments of `seed`.
#[derive(Debug, Args)]
pub struct SeedArgs {
    /// How many orders to add.
    #[arg(long, default_value_t = 1000)]
    pub orders: u64,
    /// Random seed (same seed, same orders).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Spread the orders' placed-at times over this many past days.
    #[arg(long, default_value_t = 180)]
    pub days: u32,
}

/// Orders per transaction.
const CHUNK: usize = 5000;

/// Runs `seed` against the configured database.
pub async fn run(args: SeedArgs, settings: &Settings) -> anyhow::Result<()> {
    let store = super::open_store(settings, true).await?;
    let started = Instant::now();
    let inserted = seed(&store, &args, true).await?;
    store.close().await;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "seeded {inserted} orders in {secs:.1} s ({:.0} orders/s)",
        inserted as f64 / secs.max(0.001)
    );
    Ok(())
}

/// Inserts `args.orders` synthetic orders, numbered after the orders already stored; returns how many
/// were inserted. Generation runs on its own thread while the database writes.
pub async fn seed(
    store: &orderly_store::Store,
    args: &SeedArgs,
    progress: bool,
) -> anyhow::Result<u64> {
    let first_seq = orderly_store::orders::count_all(store).await? as u64 + 1;
    let total = args.orders;
    let now = OffsetDateTime::now_utc();
    let span = Duration::days(i64::from(args.days.max(1)));
    let start = now - span;
    let step_us = (span.whole_microseconds() / i128::from(total.max(1))) as i64;
    let seed = args.seed;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<(Vec<NewOrder>, Vec<Option<String>>)>(4);
    let generator = std::thread::spawn(move || {
        let mut synth = Synth::new(seed ^ first_seq);
        let mut i = 0u64;
        while i < total {
            let n = (total - i).min(CHUNK as u64);
            let mut chunk = Vec::with_capacity(n as usize);
            let mut suspects = Vec::with_capacity(n as usize);
            for k in 0..n {
                let placed = start + Duration::microseconds(step_us.saturating_mul((i + k) as i64));
                let order = synth.order(first_seq + i + k, placed);
                suspects.push(pincodes::check_address(&order.shipping_address));
                chunk.push(order);
            }
            i += n;
            if tx.blocking_send((chunk, suspects)).is_err() {
                break;
            }
        }
    });
    let bar = if progress {
        let bar = ProgressBar::new(total);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} {bar:40} {pos}/{len} orders ({per_sec}, eta {eta})",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let mut inserted = 0u64;
    while let Some((chunk, suspects)) = rx.recv().await {
        inserted += orderly_store::bulk::insert_orders(store, &chunk, &suspects, "seed").await?;
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    generator
        .join()
        .map_err(|_| anyhow::anyhow!("the order generator thread panicked"))?;
    Ok(inserted)
}
