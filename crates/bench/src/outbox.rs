//! `orderly-bench outbox`: commit → webhook receipt latency. Writes events at a fixed rate through
//! `outbox::append` + commit + `notify_outbox`, with Orderly's workers running and one webhook
//! endpoint pointing at a receiver on loopback that records when each event id arrives.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use clap::Args;
use orderly_store::delivery::{self, NewEndpoint};
use orderly_store::outbox;
use time::OffsetDateTime;

/// Arguments of `outbox`.
#[derive(Debug, Args)]
pub struct OutboxArgs {
    /// Events per second.
    #[arg(long, default_value_t = 500)]
    rate: u64,
    /// How long to write.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Database URL; default a fresh SQLite file `data/bench-outbox.db` (deleted first).
    #[arg(long)]
    database_url: Option<String>,
}

type Arrivals = Arc<Mutex<HashMap<String, Instant>>>;

async fn receive(State(arrivals): State<Arrivals>, body: Bytes) -> &'static str {
    let at = Instant::now();
    let id = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["id"].as_str().map(str::to_string));
    if let (Some(id), Ok(mut a)) = (id, arrivals.lock()) {
        a.insert(id, at);
    }
    "ok"
}

/// Runs the benchmark and prints the latency percentiles.
pub async fn run(args: OutboxArgs) -> anyhow::Result<()> {
    let url = match args.database_url {
        Some(u) => u,
        None => {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("data/bench-outbox.db{suffix}"));
            }
            "sqlite://data/bench-outbox.db".to_string()
        }
    };
    let arrivals: Arrivals = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let hook = format!("http://{}/hook", listener.local_addr()?);
    let receiver = Router::new()
        .route("/hook", post(receive))
        .with_state(arrivals.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, receiver).await;
    });

    let mut settings = orderly::Settings::local_defaults();
    settings.bind = "127.0.0.1:0".parse()?;
    settings.database_url = url;
    // The receiver is plain HTTP on loopback, which webhook delivery refuses unless allowed.
    settings.webhook_egress = orderly::egress::EgressPolicy {
        allow_insecure: true,
        allowed_networks: vec!["127.0.0.1/32".parse()?],
    };
    let app = orderly::Application::build(settings).await?;
    let state = app.state().clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    let new = NewEndpoint {
        url: &hook,
        secret: "bench-webhook-secret-0123456789",
        description: Some("bench"),
    };
    delivery::create_endpoint(&state.store, &new, OffsetDateTime::now_utc(), "bench").await?;

    let total = args.rate * args.seconds;
    println!(
        "writing {total} events at {}/s for {} s …",
        args.rate, args.seconds
    );
    let mut committed: Vec<(String, Instant)> = Vec::with_capacity(total as usize);
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / args.rate.max(1)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let started = Instant::now();
    for i in 0..total {
        tick.tick().await;
        let mut tx = state.store.begin().await?;
        let e = outbox::append(
            &mut tx,
            outbox::types::ORDER_STATUS_CHANGED,
            1,
            None,
            OffsetDateTime::now_utc(),
            serde_json::json!({ "order_number": format!("BENCH-{i}"), "from": "placed", "to": "processing" }),
        )
        .await?;
        tx.commit().await?;
        committed.push((e.id, Instant::now()));
        state.live.notify_outbox();
    }
    let wrote = started.elapsed();
    let deadline = Instant::now() + Duration::from_secs(30);
    while arrivals.lock().map(|a| a.len()).unwrap_or(0) < committed.len()
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let arrived = arrivals.lock().map(|a| a.clone()).unwrap_or_default();
    let mut lat: Vec<Duration> = committed
        .iter()
        .filter_map(|(id, at)| arrived.get(id).map(|r| r.saturating_duration_since(*at)))
        .collect();
    lat.sort();
    let pct = |p: f64| {
        let i = ((lat.len() as f64 * p).ceil() as usize).clamp(1, lat.len().max(1)) - 1;
        lat.get(i).copied().unwrap_or_default()
    };
    let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1000.0);
    println!(
        "committed {} events in {:.1} s ({:.0}/s); delivered {} ({} missing)",
        committed.len(),
        wrote.as_secs_f64(),
        committed.len() as f64 / wrote.as_secs_f64(),
        lat.len(),
        committed.len() - lat.len()
    );
    println!(
        "commit → webhook receipt: p50 {}  p95 {}  p99 {}  max {}",
        ms(pct(0.50)),
        ms(pct(0.95)),
        ms(pct(0.99)),
        ms(lat.last().copied().unwrap_or_default())
    );
    let _ = stop.send(());
    let _ = server.await;
    Ok(())
}
