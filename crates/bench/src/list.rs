//! `orderly-bench list`: GET /api/v1/orders at N orders for every filter, over loopback, beside the
//! same query run straight against the store.

use std::time::{Duration, Instant};

use clap::Args;
use orderly::api::orders::{ListParams, list_query};
use orderly::cli::seed::{SeedArgs, seed};
use orderly_store::{Store, StoreOptions, orders};
use sqlx::Row;
use time::OffsetDateTime;

use crate::load::{self, Summary, ms};

/// Arguments of `list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Orders in the database (seeded when fewer).
    #[arg(long, default_value_t = 1_000_000)]
    orders: u64,
    /// The SQLite file (kept between runs; delete it to start over).
    #[arg(long, default_value = "data/bench-list.db")]
    database: String,
    /// Requests per filter.
    #[arg(long, default_value_t = 400)]
    requests: usize,
    /// Concurrent clients.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
}

/// Runs the benchmark and prints a table.
pub async fn run(args: ListArgs) -> anyhow::Result<()> {
    let url = format!("sqlite://{}", args.database);
    let store = Store::connect(&url, StoreOptions::default()).await?;
    let have = orders::count_all(&store).await? as u64;
    if have < args.orders {
        println!("seeding {} orders …", args.orders - have);
        let t = Instant::now();
        let n = seed(
            &store,
            &SeedArgs {
                orders: args.orders - have,
                seed: 1,
                days: 180,
            },
            true,
        )
        .await?;
        println!("seeded {n} orders in {:.1} s", t.elapsed().as_secs_f64());
    }
    lifecycle_mix(&store).await?;
    let samples = samples(&store).await?;
    let key =
        orderly_store::api_keys::create(&store, "bench", &["orders:read".to_string()], "bench")
            .await?;
    let mut settings = orderly::Settings::local_defaults();
    settings.bind = "127.0.0.1:0".parse()?;
    settings.database_url = url;
    let app = orderly::Application::build_with_store(settings, store.clone()).await?;
    let base = format!("http://{}", app.local_addr()?);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));

    println!();
    println!(
        "GET /api/v1/orders, first page (25 rows), {} orders, {} requests per filter, {} clients",
        orders::count_all(&store).await?,
        args.requests,
        args.concurrency
    );
    println!(
        "{:<28} {:>9} {:>9} {:>9} {:>8} | {:>9} {:>9} {:>9}",
        "filter", "http p50", "p95", "p99", "req/s", "store p50", "p95", "p99"
    );
    for (name, make) in filters() {
        let params: Vec<ListParams> = (0..args.requests).map(|i| make(&samples, i)).collect();
        let now = OffsetDateTime::now_utc();
        // Straight against the store: the same SQL, no HTTP, no JSON.
        let mut direct = Vec::with_capacity(params.len());
        for p in &params {
            let q = list_query(p, now, 24).map_err(|e| anyhow::anyhow!("{e:?}"))?;
            let t = Instant::now();
            orders::list(&store, &q).await?;
            direct.push(t.elapsed());
        }
        direct.sort();
        let direct = Summary {
            count: direct.len(),
            errors: 0,
            elapsed: Duration::ZERO,
            latencies: direct,
        };
        let urls: Vec<String> = params
            .iter()
            .map(|p| format!("{base}/api/v1/orders?{}", query_string(p)))
            .collect();
        let key = key.key.clone();
        let http = load::run(
            args.concurrency,
            urls.len(),
            Duration::from_secs(120),
            200,
            move |c, i| c.get(&urls[i % urls.len()]).bearer_auth(&key),
        )
        .await;
        println!(
            "{:<28} {:>9} {:>9} {:>9} {:>8.0} | {:>9} {:>9} {:>9}{}",
            name,
            ms(http.pct(50.0)),
            ms(http.pct(95.0)),
            ms(http.pct(99.0)),
            http.rate(),
            ms(direct.pct(50.0)),
            ms(direct.pct(95.0)),
            ms(direct.pct(99.0)),
            if http.errors > 0 {
                format!("  ({} errors)", http.errors)
            } else {
                String::new()
            }
        );
    }
    println!(
        "(times in ms; http = loopback request through axum + API key check + JSON; store = the same query via the store API)"
    );
    let _ = stop.send(());
    let _ = server.await;
    Ok(())
}

/// Gives the seeded history a realistic lifecycle: the oldest orders delivered (some cancelled or
/// returned), then shipped, processing, and the newest placed; shipped ones get an AWB. Runs once.
async fn lifecycle_mix(store: &Store) -> anyhow::Result<()> {
    let delivered: i64 = sqlx::query("SELECT COUNT(*) AS n FROM orders WHERE status = 'delivered'")
        .fetch_one(store.reader())
        .await?
        .try_get("n")?;
    if delivered > 0 {
        return Ok(());
    }
    println!("applying a realistic status mix …");
    let max: i64 = sqlx::query("SELECT MAX(id) AS m FROM orders")
        .fetch_one(store.reader())
        .await?
        .try_get("m")?;
    let w = store.writer();
    let cut = |f: f64| (max as f64 * f) as i64;
    sqlx::query("UPDATE orders SET status = CASE WHEN id % 25 = 0 THEN 'cancelled' WHEN id % 33 = 0 THEN 'returned' ELSE 'delivered' END WHERE id <= $1")
        .bind(cut(0.80)).execute(w).await?;
    sqlx::query("UPDATE orders SET status = 'shipped' WHERE id > $1 AND id <= $2")
        .bind(cut(0.80))
        .bind(cut(0.90))
        .execute(w)
        .await?;
    sqlx::query("UPDATE orders SET status = 'processing', shipment_failed = CASE WHEN id % 50 = 0 THEN 'Pincode not serviceable' END WHERE id > $1 AND id <= $2")
        .bind(cut(0.90)).bind(cut(0.95)).execute(w).await?;
    sqlx::query(
        "INSERT INTO shipments (order_id, attempt, step, channel_order_id, awb, courier_name, actor, created_at, updated_at)
         SELECT id, 1, 'done', order_number, CAST(100000000000 + id * 7919 AS TEXT), 'Delhivery Surface', 'bench', placed_at, placed_at
         FROM orders WHERE status IN ('shipped', 'delivered', 'returned')",
    )
    .execute(w)
    .await?;
    sqlx::query("UPDATE orders SET awb = CAST(100000000000 + id * 7919 AS TEXT), courier_name = 'Delhivery Surface' WHERE status IN ('shipped', 'delivered', 'returned')")
        .execute(w)
        .await?;
    sqlx::query("ANALYZE").execute(w).await?;
    Ok(())
}

struct Samples {
    numbers: Vec<String>,
    emails: Vec<String>,
    phones: Vec<String>,
    awbs: Vec<String>,
    from: OffsetDateTime,
}

async fn samples(store: &Store) -> anyhow::Result<Samples> {
    let rows = sqlx::query("SELECT order_number, email, phone, awb, placed_at FROM orders WHERE id % 4999 = 7 LIMIT 200")
        .fetch_all(store.reader())
        .await?;
    let mut s = Samples {
        numbers: vec![],
        emails: vec![],
        phones: vec![],
        awbs: vec![],
        from: OffsetDateTime::now_utc(),
    };
    for r in &rows {
        s.numbers.push(r.try_get("order_number")?);
        s.emails.push(r.try_get("email")?);
        let p: String = r.try_get("phone")?;
        s.phones.push(format!(
            "+91 {} {}",
            &p[..5.min(p.len())],
            &p[5.min(p.len())..]
        ));
        if let Some(a) = r.try_get::<Option<String>, _>("awb")? {
            s.awbs.push(a);
        }
    }
    let mid: i64 = sqlx::query(
        "SELECT placed_at FROM orders ORDER BY id LIMIT 1 OFFSET (SELECT COUNT(*) / 2 FROM orders)",
    )
    .fetch_one(store.reader())
    .await?
    .try_get("placed_at")?;
    s.from = orderly_store::from_micros(mid);
    if s.numbers.is_empty() || s.awbs.is_empty() {
        anyhow::bail!("not enough orders to sample");
    }
    Ok(s)
}

type Make = fn(&Samples, usize) -> ListParams;

fn filters() -> Vec<(&'static str, Make)> {
    fn status(s: &'static str) -> ListParams {
        ListParams {
            status: Some(s.into()),
            ..ListParams::default()
        }
    }
    vec![
        ("all (no filter)", |_, _| ListParams::default()),
        ("status=placed", |_, _| status("placed")),
        ("status=processing", |_, _| status("processing")),
        ("status=shipped", |_, _| status("shipped")),
        ("status=delivered", |_, _| status("delivered")),
        ("status=cancelled", |_, _| status("cancelled")),
        ("status=returned", |_, _| status("returned")),
        ("view=failed_shipments", |_, _| ListParams {
            view: Some("failed_shipments".into()),
            ..ListParams::default()
        }),
        ("view=sla_at_risk", |_, _| ListParams {
            view: Some("sla_at_risk".into()),
            ..ListParams::default()
        }),
        ("q=order number", |s, i| ListParams {
            q: Some(s.numbers[i % s.numbers.len()].clone()),
            ..ListParams::default()
        }),
        ("q=email", |s, i| ListParams {
            q: Some(s.emails[i % s.emails.len()].clone()),
            ..ListParams::default()
        }),
        ("q=phone (+91 spaced)", |s, i| ListParams {
            q: Some(s.phones[i % s.phones.len()].clone()),
            ..ListParams::default()
        }),
        ("q=AWB", |s, i| ListParams {
            q: Some(s.awbs[i % s.awbs.len()].clone()),
            ..ListParams::default()
        }),
        ("placed 7-day range", |s, _| ListParams {
            placed_from: Some(fmt(s.from)),
            placed_to: Some(fmt(s.from + time::Duration::days(7))),
            ..ListParams::default()
        }),
        ("status=delivered + range", |s, _| ListParams {
            status: Some("delivered".into()),
            placed_from: Some(fmt(s.from - time::Duration::days(30))),
            placed_to: Some(fmt(s.from - time::Duration::days(23))),
            ..ListParams::default()
        }),
    ]
}

fn fmt(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn query_string(p: &ListParams) -> String {
    let mut parts = Vec::new();
    for (k, v) in [
        ("status", &p.status),
        ("view", &p.view),
        ("q", &p.q),
        ("placed_from", &p.placed_from),
        ("placed_to", &p.placed_to),
    ] {
        if let Some(v) = v {
            parts.push(format!("{k}={}", encode(v)));
        }
    }
    parts.join("&")
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
