//! Measures what the client adds per call beyond the network round trip: N serviceability calls
//! through `shiprocket::Client` versus N raw reqwest GETs of the same URL, against an in-process
//! simulator with zero latency. Prints p50/p99 of both and the difference.
//!
//! Run: `cargo run --release -p shiprocket --example client_overhead -- [N]` (default N = 2000).

use std::time::{Duration, Instant};

use shiprocket::{Client, ClientConfig, ServiceabilityQuery};
use shiprocket_sim::{SimConfig, Simulator};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2000);
    let sim = Simulator::spawn(SimConfig::default()).await?;
    let (email, password) = sim.credentials();
    let mut cfg = ClientConfig::new(sim.base_url(), email.clone(), password.clone());
    cfg.requests_per_minute = 0; // unlimited for benchmarks
    let client = Client::new(cfg)?;
    let q = ServiceabilityQuery {
        pickup_postcode: "110020".into(),
        delivery_postcode: "560001".into(),
        cod: Some(true),
        weight: Some(0.6),
        ..Default::default()
    };

    let raw = reqwest::Client::new();
    let login: serde_json::Value = raw
        .post(format!("{}/auth/login", sim.base_url()))
        .json(&serde_json::json!({ "email": email, "password": password }))
        .send()
        .await?
        .json()
        .await?;
    let token = login["token"]
        .as_str()
        .ok_or("login returned no token")?
        .to_owned();
    let url = format!("{}/courier/serviceability/", sim.base_url());
    let query = q.to_query();

    // Warm up both paths (connections, token, allocator).
    for _ in 0..100 {
        client.serviceability(&q).await?;
        raw.get(&url)
            .query(&query)
            .bearer_auth(&token)
            .send()
            .await?
            .bytes()
            .await?;
    }

    let mut via_client = Vec::with_capacity(n);
    let mut via_raw = Vec::with_capacity(n);
    // Interleave so both see the same machine state.
    for _ in 0..n {
        let t = Instant::now();
        let s = client.serviceability(&q).await?;
        via_client.push(t.elapsed());
        std::hint::black_box(s);

        let t = Instant::now();
        let body = raw
            .get(&url)
            .query(&query)
            .bearer_auth(&token)
            .send()
            .await?
            .bytes()
            .await?;
        via_raw.push(t.elapsed());
        std::hint::black_box(body);
    }
    via_client.sort();
    via_raw.sort();
    let (c50, c99) = (percentile(&via_client, 0.50), percentile(&via_client, 0.99));
    let (r50, r99) = (percentile(&via_raw, 0.50), percentile(&via_raw, 0.99));
    println!("serviceability x {n} against shiprocket-sim (zero latency)");
    println!(
        "  client : p50 {:8.1} µs   p99 {:8.1} µs",
        micros(c50),
        micros(c99)
    );
    println!(
        "  raw    : p50 {:8.1} µs   p99 {:8.1} µs",
        micros(r50),
        micros(r99)
    );
    println!(
        "  added  : p50 {:+8.1} µs   p99 {:+8.1} µs   (target ≤ 1000 µs)",
        micros(c50) - micros(r50),
        micros(c99) - micros(r99)
    );
    sim.shutdown().await;
    Ok(())
}
