//! Throughput of the simulator: N concurrent reqwest tasks call serviceability for a few seconds,
//! then requests/s and p50/p99 latency are printed.
//!
//! `cargo run --release -p shiprocket-sim --example sim_throughput -- [tasks=32] [seconds=5]`

use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde_json::{Value, json};
use shiprocket_sim::{SimConfig, Simulator};

const PINS: [&str; 8] = [
    "110030", "400070", "560034", "600001", "700001", "122002", "411014", "781005",
];

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let tasks: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(32);
    let seconds: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(5);
    let _ = rustls::crypto::ring::default_provider().install_default();

    let sim = Simulator::spawn(SimConfig::default()).await?;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(tasks)
        .build()?;
    let (email, password) = sim.credentials();
    let login: Value = http
        .post(format!("{}/auth/login", sim.base_url()))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await?
        .json()
        .await?;
    let token = login["token"]
        .as_str()
        .context("login returned no token")?
        .to_owned();

    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut handles = Vec::with_capacity(tasks);
    for t in 0..tasks {
        let (http, token, base) = (http.clone(), token.clone(), sim.base_url());
        handles.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0usize;
            let mut i = t;
            while Instant::now() < deadline {
                let pin = PINS[i % PINS.len()];
                i += 1;
                let url = format!(
                    "{base}/courier/serviceability/?pickup_postcode=110020&delivery_postcode={pin}&weight=0.5&cod=0"
                );
                let start = Instant::now();
                let ok = match http.get(&url).bearer_auth(&token).send().await {
                    Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                    Err(_) => false,
                };
                if ok {
                    lat.push(start.elapsed());
                } else {
                    errors += 1;
                }
            }
            (lat, errors)
        }));
    }
    let started = Instant::now();
    let mut all = Vec::new();
    let mut errors = 0;
    for h in handles {
        let (lat, e) = h.await?;
        all.extend(lat);
        errors += e;
    }
    let elapsed = started.elapsed().as_secs_f64().max(f64::EPSILON);
    all.sort();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .copied()
    };
    println!(
        "tasks: {tasks}, duration: {seconds} s, requests: {}, errors: {errors}",
        all.len()
    );
    println!("throughput: {:.0} requests/s", all.len() as f64 / elapsed);
    println!(
        "latency p50: {:?}, p99: {:?}",
        pct(0.50).unwrap_or_default(),
        pct(0.99).unwrap_or_default()
    );
    sim.shutdown().await;
    Ok(())
}
