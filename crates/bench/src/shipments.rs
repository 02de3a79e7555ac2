//! `orderly-bench shipments`: Orderly's own time per shipment beyond the simulator's, throughput
//! with the rate limit lifted, and a batch under the default 180 requests/minute against its bound.

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use orderly::actions::{self, Actor, BatchKind};
use orderly::config::Secret;
use orderly_store::{Store, StoreOptions};
use orderly_synth::Synth;
use tokio::sync::Semaphore;

/// Arguments of `shipments`.
#[derive(Debug, Args)]
pub struct ShipmentArgs {
    /// Shipments for the per-shipment timing (sequential).
    #[arg(long, default_value_t = 200)]
    sequential: usize,
    /// Shipments for the throughput run (rate limit lifted).
    #[arg(long, default_value_t = 1000)]
    throughput: usize,
    /// Concurrent shipments in the throughput run.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Orders in the rate-limited batch (0 skips it; 1000 takes about 35 minutes).
    #[arg(long, default_value_t = 60)]
    batch: usize,
    /// Requests per minute for the rate-limited batch.
    #[arg(long, default_value_t = 180)]
    rpm: u32,
}

struct Rig {
    state: orderly::AppState,
    sim: shiprocket_sim::Simulator,
    next_seq: u64,
}

async fn rig(rpm: u32, db: &str) -> anyhow::Result<Rig> {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{db}{suffix}"));
    }
    let sim = shiprocket_sim::Simulator::spawn(shiprocket_sim::SimConfig::default()).await?;
    // Enough wallet balance for every AWB of the run (each one debits its rate).
    sim.control().set_wallet_balance(i64::MAX / 4);
    let (email, password) = sim.credentials();
    let mut settings = orderly::Settings::local_defaults();
    settings.bind = "127.0.0.1:0".parse()?;
    settings.database_url = format!("sqlite://{db}");
    settings.shiprocket_url = sim.base_url();
    settings.shiprocket_email = Some(email);
    settings.shiprocket_password = Some(Secret::new(password));
    settings.shiprocket_rpm = rpm;
    settings.feature_order_fulfillment = Some("on".into());
    settings.role = orderly::config::Role::Web;
    let store = Store::connect(&settings.database_url, StoreOptions::default()).await?;
    let app = orderly::Application::build_with_store(settings, store).await?;
    let state = app.state().clone();
    Ok(Rig {
        state,
        sim,
        next_seq: 1,
    })
}

async fn place(rig: &mut Rig, n: usize) -> anyhow::Result<Vec<String>> {
    let mut synth = Synth::new(99);
    let mut numbers = Vec::with_capacity(n);
    let actor = Actor::system("bench");
    while numbers.len() < n {
        let order = synth.order(rig.next_seq, time::OffsetDateTime::now_utc());
        rig.next_seq += 1;
        if !rig
            .sim
            .control()
            .is_serviceable(order.shipping_address.pincode.as_str())
        {
            continue;
        }
        let meta = orderly_store::orders::PlacedMeta {
            event_id: &format!("bench-{}", rig.next_seq),
            source: "bench",
            actor: "bench",
            received_at: time::OffsetDateTime::now_utc(),
            address_suspect: None,
        };
        orderly_store::orders::place(&rig.state.store, &order, &meta).await?;
        actions::mark_processing(&rig.state, order.order_number.as_str(), None, &actor).await?;
        numbers.push(order.order_number.as_str().to_string());
    }
    Ok(numbers)
}

async fn ship(state: &orderly::AppState, n: &str) -> anyhow::Result<()> {
    let actor = Actor::system("bench");
    let id = actions::request_shipment(state, n, None, None, None, &actor).await?;
    orderly::shipping::drive(state, id).await
}

/// Runs every part and prints the figures.
pub async fn run(args: ShipmentArgs) -> anyhow::Result<()> {
    // 1. Own time per shipment, sequential, zero simulator latency.
    let mut r = rig(0, "data/bench-ship-1.db").await?;
    let numbers = place(&mut r, args.sequential).await?;
    let before = r.sim.control().calls().len();
    let mut per = Vec::with_capacity(numbers.len());
    let started = Instant::now();
    for n in &numbers {
        let t = Instant::now();
        ship(&r.state, n).await?;
        per.push(t.elapsed());
    }
    let total = started.elapsed();
    let calls = r.sim.control().calls().len() - before;
    per.sort();
    println!(
        "sequential shipments (zero simulator latency): {} shipments, {} Shiprocket calls ({:.1} per shipment)",
        numbers.len(),
        calls,
        calls as f64 / numbers.len() as f64
    );
    println!(
        "  whole saga per shipment: p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, mean {:.2} ms",
        ms(pct(&per, 50.0)),
        ms(pct(&per, 95.0)),
        ms(pct(&per, 99.0)),
        total.as_secs_f64() * 1000.0 / numbers.len() as f64
    );
    r.sim.shutdown().await;

    // 2. Throughput with the limit lifted.
    let mut r = rig(0, "data/bench-ship-2.db").await?;
    let numbers = place(&mut r, args.throughput).await?;
    let permits = Arc::new(Semaphore::new(args.concurrency));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for n in numbers.clone() {
        let (state, permits) = (r.state.clone(), permits.clone());
        tasks.push(tokio::spawn(async move {
            let _p = permits.acquire_owned().await;
            ship(&state, &n).await
        }));
    }
    for t in tasks {
        t.await??;
    }
    let secs = started.elapsed().as_secs_f64();
    let shipped = r.sim.control().awb_count();
    println!(
        "throughput, rate limit lifted, {} concurrent: {} of {} shipped in {:.2} s = {:.0} shipments/s",
        args.concurrency,
        shipped,
        numbers.len(),
        secs,
        shipped as f64 / secs
    );
    r.sim.shutdown().await;

    // 3. A batch at the default rate limit, against the bound the limit sets.
    if args.batch > 0 {
        let mut r = rig(args.rpm, "data/bench-ship-3.db").await?;
        let numbers = place(&mut r, args.batch).await?;
        let before = r.sim.control().calls().len();
        let started = Instant::now();
        let id = actions::start_batch(
            &r.state,
            BatchKind::GenerateShipments,
            &numbers,
            &Actor::system("bench"),
        )
        .await?;
        loop {
            let b = orderly_store::fulfilment::batch(&r.state.store, id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("batch vanished"))?;
            if b.finished {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let elapsed = started.elapsed().as_secs_f64();
        let calls = r.sim.control().calls().len() - before;
        // The limiter allows a burst of rpm/12 at once, then rpm/60 per second.
        let burst = f64::from(args.rpm) / 12.0;
        let bound = (calls as f64 - burst).max(0.0) / (f64::from(args.rpm) / 60.0);
        println!(
            "batch of {} at {} requests/minute: {} calls in {:.1} s; the limit's bound is {:.1} s; overhead {:+.1} %",
            numbers.len(),
            args.rpm,
            calls,
            elapsed,
            bound,
            100.0 * (elapsed - bound) / bound.max(1e-9)
        );
        r.sim.shutdown().await;
    }
    Ok(())
}

fn pct(v: &[Duration], p: f64) -> Duration {
    if v.is_empty() {
        return Duration::ZERO;
    }
    v[((p / 100.0) * (v.len() - 1) as f64).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
