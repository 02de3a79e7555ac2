//! `orderly-bench intake`: signed OrderPlaced over HTTP into SQLite for a fixed time, then a bare
//! axum endpoint that only parses the same JSON, as the ceiling.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::routing::post;
use clap::Args;
use orderly::config::Secret;
use orderly_synth::Synth;
use time::OffsetDateTime;

use crate::load::{self, Summary, ms};

/// Arguments of `intake`.
#[derive(Debug, Args)]
pub struct IntakeArgs {
    /// How long to send events to Orderly.
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// How long to send to the bare axum baseline.
    #[arg(long, default_value_t = 20)]
    baseline_seconds: u64,
    /// Concurrent clients.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// The SQLite file (deleted first).
    #[arg(long, default_value = "data/bench-intake.db")]
    database: String,
}

const SECRET: &str = "bench-intake-secret-0123456789";

/// Runs the benchmark and prints both figures.
pub async fn run(args: IntakeArgs) -> anyhow::Result<()> {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", args.database));
    }
    let events = (args.seconds as usize) * 9000;
    println!("generating {events} signed events …");
    let bodies = Arc::new(generate(events));

    let mut settings = orderly::Settings::local_defaults();
    settings.bind = "127.0.0.1:0".parse()?;
    settings.database_url = format!("sqlite://{}", args.database);
    settings.intake_secrets = vec![Secret::new(SECRET)];
    let app = orderly::Application::build(settings).await?;
    let url = format!("http://{}/api/v1/order-events", app.local_addr()?);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    let b = bodies.clone();
    let orderly = load::run(
        args.concurrency,
        bodies.len(),
        Duration::from_secs(args.seconds),
        201,
        move |c, i| {
            let (body, sig) = &b[i];
            c.post(&url)
                .header("content-type", "application/json")
                .header("orderly-signature", sig.as_str())
                .body(body.clone())
        },
    )
    .await;
    let _ = stop.send(());
    let _ = server.await;

    let baseline = baseline(&args, bodies).await?;
    println!();
    println!(
        "signed OrderPlaced intake over loopback, {} clients",
        args.concurrency
    );
    println!(
        "{:<34} {:>9} {:>9} {:>9} {:>9} {:>9} {:>7}",
        "target", "orders/s", "p50 ms", "p95 ms", "p99 ms", "requests", "errors"
    );
    line("orderly → SQLite (201 Created)", &orderly);
    line("bare axum, parse JSON only", &baseline);
    println!(
        "orderly / ceiling = {:.1} %",
        100.0 * orderly.rate() / baseline.rate().max(1e-9)
    );
    if orderly.count >= events {
        println!(
            "note: the run used every pre-generated event before the deadline; raise the event count"
        );
    }
    Ok(())
}

fn line(name: &str, s: &Summary) {
    println!(
        "{:<34} {:>9.0} {:>9} {:>9} {:>9} {:>9} {:>7}",
        name,
        s.rate(),
        ms(s.pct(50.0)),
        ms(s.pct(95.0)),
        ms(s.pct(99.0)),
        s.count,
        s.errors
    );
}

fn generate(n: usize) -> Vec<(Bytes, String)> {
    let mut synth = Synth::new(20_261_125);
    let now = OffsetDateTime::now_utc();
    let t = now.unix_timestamp();
    (0..n)
        .map(|i| {
            let order = synth.order(
                5_000_000 + i as u64,
                now - time::Duration::seconds(i as i64),
            );
            let body = synth.envelope(&order).to_string();
            let sig = orderly::signature::sign(SECRET, t, body.as_bytes());
            (Bytes::from(body), sig)
        })
        .collect()
}

async fn baseline(args: &IntakeArgs, bodies: Arc<Vec<(Bytes, String)>>) -> anyhow::Result<Summary> {
    async fn parse(body: Bytes) -> (axum::http::StatusCode, &'static str) {
        match serde_json::from_slice::<serde_json::Value>(&body) {
            Ok(_) => (axum::http::StatusCode::CREATED, "{\"ok\":true}"),
            Err(_) => (axum::http::StatusCode::BAD_REQUEST, "{\"ok\":false}"),
        }
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/parse", listener.local_addr()?);
    let router = Router::new().route("/parse", post(parse));
    let server = tokio::spawn(async move { axum::serve(listener, router).await });
    let started = Instant::now();
    let s = load::run(
        args.concurrency,
        bodies.len(),
        Duration::from_secs(args.baseline_seconds),
        201,
        move |c, i| {
            let (body, _) = &bodies[i];
            c.post(&url)
                .header("content-type", "application/json")
                .body(body.clone())
        },
    )
    .await;
    let _ = started;
    server.abort();
    Ok(s)
}
