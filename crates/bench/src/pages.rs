//! `orderly-bench pages`: the dashboard at N orders — list-page latency for every tab and every
//! kind of search (signed-in, over loopback), the weight of a 25-row page with its assets, and how
//! fast a change reaches many connected live dashboards (Server-Sent Events).
//!
//! Uses the database `orderly-bench list` prepared (seeded to 1,000,000 orders with a realistic
//! status mix); run that first.

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use orderly_store::accounts::{self, Role};
use orderly_store::{Store, StoreOptions, orders};
use sqlx::Row;
use time::OffsetDateTime;

use crate::load::{self, Summary, ms};

/// Arguments of `pages`.
#[derive(Debug, Args)]
pub struct PagesArgs {
    /// The SQLite file prepared by `orderly-bench list`.
    #[arg(long, default_value = "data/bench-list.db")]
    database: String,
    /// Requests per case.
    #[arg(long, default_value_t = 200)]
    requests: usize,
    /// Concurrent clients.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// Connected live dashboards.
    #[arg(long, default_value_t = 200)]
    dashboards: usize,
    /// Changes announced while they listen.
    #[arg(long, default_value_t = 50)]
    changes: usize,
}

const PASSWORD: &str = "bench-password-0123";

/// Runs the benchmark and prints its figures.
pub async fn run(args: PagesArgs) -> anyhow::Result<()> {
    let url = format!("sqlite://{}", args.database);
    let store = Store::connect(&url, StoreOptions::default()).await?;
    let total = orders::count_all(&store).await?;
    let hash = orderly::web::session::hash_password(PASSWORD)?;
    accounts::upsert_user(
        &store,
        "bench@example.in",
        Role::Operator,
        &hash,
        OffsetDateTime::now_utc(),
        "bench",
    )
    .await?;
    let mut settings = orderly::Settings::local_defaults();
    settings.bind = "127.0.0.1:0".parse()?;
    settings.database_url = url;
    let app = orderly::Application::build_with_store(settings, store.clone()).await?;
    let state = app.state().clone();
    let base = format!("http://{}", app.local_addr()?);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    let cookie = sign_in(&base).await?;
    let (number, email, phone, awb, day) = sample(&store).await?;
    // The first view after start may count every tab once (the background refresher warms the
    // cache at start); report it apart, then measure the steady state.
    let t = Instant::now();
    reqwest::Client::new()
        .get(format!("{base}/orders?tab=all"))
        .header("cookie", &cookie)
        .send()
        .await?
        .bytes()
        .await?;
    println!(
        "first list view after start (tab counts computed once): {} ms",
        ms(t.elapsed())
    );
    while state.live.counts().is_none() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    println!(
        "Dashboard list page at {total} orders, {} requests per case, {} clients",
        args.requests, args.concurrency
    );
    println!(
        "{:<26} {:>9} {:>9} {:>9} {:>8}",
        "case", "p50 ms", "p95 ms", "p99 ms", "req/s"
    );
    let cases: Vec<(String, String)> = vec![
        ("tab all".into(), "tab=all".into()),
        ("tab placed".into(), "tab=placed".into()),
        ("tab processing".into(), "tab=processing".into()),
        ("tab shipped".into(), "tab=shipped".into()),
        ("tab delivered".into(), "tab=delivered".into()),
        ("tab cancelled".into(), "tab=cancelled".into()),
        ("tab failed shipments".into(), "tab=failed".into()),
        ("tab SLA at risk".into(), "tab=sla".into()),
        (
            "search order number".into(),
            format!("tab=all&q={}", enc(&number.to_lowercase())),
        ),
        ("search email".into(), format!("tab=all&q={}", enc(&email))),
        (
            "search phone (+91 …)".into(),
            format!("tab=all&q={}", enc(&format!("+91 {phone}"))),
        ),
        ("search AWB".into(), format!("tab=all&q={}", enc(&awb))),
        (
            "date range (one day)".into(),
            format!("tab=all&from={day}&to={day}"),
        ),
    ];
    for (name, query) in &cases {
        let target = format!("{base}/orders?{query}");
        let c = cookie.clone();
        let s: Summary = load::run(
            args.concurrency,
            args.requests,
            Duration::from_secs(120),
            200,
            move |client, _| client.get(&target).header("cookie", &c),
        )
        .await;
        println!(
            "{:<26} {:>9} {:>9} {:>9} {:>8.0}{}",
            name,
            ms(s.pct(50.0)),
            ms(s.pct(95.0)),
            ms(s.pct(99.0)),
            s.rate(),
            if s.errors > 0 {
                format!("  ({} errors)", s.errors)
            } else {
                String::new()
            }
        );
    }

    weight(&base, &cookie).await?;
    live(&base, &cookie, &state, args.dashboards, args.changes).await?;
    let _ = stop.send(());
    let _ = server.await;
    Ok(())
}

fn enc(s: &str) -> String {
    orderly::web::urlencode(s)
}

async fn sign_in(base: &str) -> anyhow::Result<String> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let page = client.get(format!("{base}/login")).send().await?;
    let login =
        cookie_of(&page, "orderly_login").ok_or_else(|| anyhow::anyhow!("no login cookie"))?;
    let html = page.text().await?;
    let at = html
        .find("name=\"csrf\" value=\"")
        .ok_or_else(|| anyhow::anyhow!("no csrf"))?
        + 19;
    let csrf = html[at..].split('"').next().unwrap_or_default().to_string();
    let body = format!("email=bench%40example.in&password={PASSWORD}&csrf={csrf}&next=%2Forders");
    let r = client
        .post(format!("{base}/login"))
        .header("cookie", login)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await?;
    cookie_of(&r, "orderly_session")
        .ok_or_else(|| anyhow::anyhow!("sign-in refused: {}", r.status()))
}

fn cookie_of(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .and_then(|v| v.split(';').next())
        .map(str::to_string)
}

async fn sample(store: &Store) -> anyhow::Result<(String, String, String, String, String)> {
    let r = sqlx::query(
        "SELECT order_number, email, phone, placed_at FROM orders WHERE id % 4999 = 7 LIMIT 1",
    )
    .fetch_one(store.reader())
    .await?;
    let awb: String = sqlx::query("SELECT awb FROM shipments WHERE awb IS NOT NULL LIMIT 1")
        .fetch_one(store.reader())
        .await?
        .try_get("awb")?;
    let placed = orderly_store::from_micros(r.try_get("placed_at")?);
    let day = placed
        .to_offset(time::macros::offset!(+5:30))
        .date()
        .to_string();
    Ok((
        r.try_get("order_number")?,
        r.try_get("email")?,
        r.try_get("phone")?,
        awb,
        day,
    ))
}

async fn weight(base: &str, cookie: &str) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    let mut plain = 0usize;
    let mut gz = 0usize;
    let html = client
        .get(format!("{base}/orders?tab=all"))
        .header("cookie", cookie)
        .send()
        .await?
        .text()
        .await?;
    let mut urls = vec![format!("{base}/orders?tab=all")];
    for marker in ["href=\"/static/app.css", "src=\"/static/app.js"] {
        if let Some(i) = html.find(marker) {
            let path = html[i..].split('"').nth(1).unwrap_or_default().to_string();
            urls.push(format!("{base}{path}"));
        }
    }
    for u in &urls {
        plain += client
            .get(u)
            .header("cookie", cookie)
            .send()
            .await?
            .bytes()
            .await?
            .len();
        gz += client
            .get(u)
            .header("cookie", cookie)
            .header("accept-encoding", "gzip")
            .send()
            .await?
            .bytes()
            .await?
            .len();
    }
    println!();
    println!(
        "25-row list page with its CSS and JS: {:.1} KB uncompressed, {:.1} KB gzip ({} files)",
        plain as f64 / 1024.0,
        gz as f64 / 1024.0,
        urls.len()
    );
    Ok(())
}

async fn live(
    base: &str,
    cookie: &str,
    state: &orderly::AppState,
    dashboards: usize,
    changes: usize,
) -> anyhow::Result<()> {
    let sent: Arc<std::sync::Mutex<Vec<Instant>>> =
        Arc::new(std::sync::Mutex::new(vec![Instant::now(); changes]));
    let mut tasks = Vec::new();
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel::<()>(dashboards);
    for _ in 0..dashboards {
        let url = format!("{base}/events");
        let cookie = cookie.to_string();
        let sent = sent.clone();
        let ready = ready_tx.clone();
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut r = client
                .get(&url)
                .header("cookie", cookie)
                .send()
                .await
                .ok()?;
            let _ = ready.send(()).await;
            let mut got = Vec::new();
            let mut buf = String::new();
            while got.len() < changes {
                let chunk = tokio::time::timeout(Duration::from_secs(20), r.chunk())
                    .await
                    .ok()?
                    .ok()??;
                let arrived = Instant::now();
                buf.push_str(&String::from_utf8_lossy(&chunk));
                while let Some(i) = buf.find("BENCHLIVE-") {
                    let rest = &buf[i + 10..];
                    let n: usize = rest
                        .split('"')
                        .next()
                        .and_then(|s| s.parse().ok())
                        .unwrap_or(usize::MAX);
                    buf = rest.to_string();
                    if let Some(t) = sent.lock().ok().and_then(|s| s.get(n).copied()) {
                        got.push(arrived.duration_since(t));
                    }
                }
            }
            Some(got)
        }));
    }
    drop(ready_tx);
    let mut connected = 0;
    while connected < dashboards && ready_rx.recv().await.is_some() {
        connected += 1;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    for i in 0..changes {
        if let Ok(mut s) = sent.lock() {
            s[i] = Instant::now();
        }
        state.live.publish(&format!("BENCHLIVE-{i}"), "status");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut all = Vec::new();
    let mut lost = 0;
    for t in tasks {
        match t.await.ok().flatten() {
            Some(v) => all.extend(v),
            None => lost += 1,
        }
    }
    all.sort();
    let s = Summary {
        count: all.len(),
        errors: lost,
        elapsed: Duration::ZERO,
        latencies: all,
    };
    println!(
        "{connected} live dashboards, {changes} changes: {} deliveries, publish → received p50 {} ms, p95 {} ms, p99 {} ms, max {} ms{}",
        s.count,
        ms(s.pct(50.0)),
        ms(s.pct(95.0)),
        ms(s.pct(99.0)),
        ms(s.pct(100.0)),
        if lost > 0 {
            format!(" ({lost} dashboards incomplete)")
        } else {
            String::new()
        }
    );
    Ok(())
}
