//! A closed-loop load generator over loopback, and percentile summaries.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Latency figures of one run.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Requests completed.
    pub count: usize,
    /// Requests that did not get the expected status.
    pub errors: usize,
    /// Wall time of the run.
    pub elapsed: Duration,
    /// Sorted latencies.
    pub latencies: Vec<Duration>,
}

impl Summary {
    /// The `p`-th percentile (0–100).
    pub fn pct(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let idx = ((p / 100.0) * (self.latencies.len() - 1) as f64).round() as usize;
        self.latencies[idx.min(self.latencies.len() - 1)]
    }

    /// Completed requests per second.
    pub fn rate(&self) -> f64 {
        self.count as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Milliseconds with two decimals.
pub fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

/// Sends requests made by `make(i)` from `concurrency` tasks until `total` are done or `deadline`
/// passes; a request counts as an error unless its status is `expect`.
pub async fn run<F>(
    concurrency: usize,
    total: usize,
    deadline: Duration,
    expect: u16,
    make: F,
) -> Summary
where
    F: Fn(&reqwest::Client, usize) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .unwrap_or_default();
    let make = Arc::new(make);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, make, next) = (client.clone(), make.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0usize;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total || started.elapsed() >= deadline {
                    break;
                }
                let t = Instant::now();
                match make(&client, i).send().await {
                    Ok(r) => {
                        let ok = r.status().as_u16() == expect;
                        let _ = r.bytes().await;
                        if !ok {
                            errors += 1;
                        }
                    }
                    Err(_) => errors += 1,
                }
                lat.push(t.elapsed());
            }
            (lat, errors)
        }));
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    for t in tasks {
        if let Ok((l, e)) = t.await {
            latencies.extend(l);
            errors += e;
        }
    }
    let elapsed = started.elapsed();
    latencies.sort();
    Summary {
        count: latencies.len(),
        errors,
        elapsed,
        latencies,
    }
}
