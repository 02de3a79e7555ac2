//! `orderly demo`: Orderly on a local SQLite file, seeded, with a synthetic checkout placing a signed
//! order every few seconds, so a newcomer sees orders arrive at once.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Args;
use orderly_synth::Synth;
use rand::distr::{Alphanumeric, SampleString};
use time::OffsetDateTime;

use crate::config::{Secret, Settings};

/// Arguments of `demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where to listen.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// The demo's SQLite file.
    #[arg(long, default_value = "data/demo.db")]
    pub database: String,
    /// Orders to seed when the database is empty.
    #[arg(long, default_value_t = 500)]
    pub orders: u64,
    /// Seconds between synthetic checkout orders (0 turns the checkout off).
    #[arg(long, default_value_t = 5)]
    pub every: u64,
}

/// Runs the demo until Ctrl-C.
pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    let secret: String = Alphanumeric.sample_string(&mut rand::rng(), 32);
    let mut settings = Settings::local_defaults();
    settings.bind = args.bind;
    settings.database_url = format!("sqlite://{}", args.database);
    settings.intake_secrets = vec![Secret::new(secret.clone())];
    settings.feature_order_fulfillment = Some("on".into());
    // The built-in Shiprocket simulator, in-process on loopback: tracking runs 600× faster than
    // real time, so shipped orders reach "delivered" within minutes.
    let sim = shiprocket_sim::Simulator::spawn(shiprocket_sim::SimConfig {
        real_time: Some(600.0),
        ..shiprocket_sim::SimConfig::default()
    })
    .await?;
    sim.control().set_shares(0.08, 0.04);
    let (sim_email, sim_password) = sim.credentials();
    settings.shiprocket_url = sim.base_url();
    settings.shiprocket_email = Some(sim_email);
    settings.shiprocket_password = Some(Secret::new(sim_password));
    let tracking_token: String = Alphanumeric.sample_string(&mut rand::rng(), 24);
    settings.tracking_webhook_token = Some(Secret::new(tracking_token.clone()));
    let store = super::open_store(&settings, true).await?;
    if orderly_store::orders::count_all(&store).await? == 0 && args.orders > 0 {
        let seeded = super::seed::seed(
            &store,
            &super::seed::SeedArgs {
                orders: args.orders,
                seed: 7,
                days: 30,
            },
            false,
        )
        .await?;
        println!("Seeded {seeded} orders into {}", args.database);
    }
    let key = orderly_store::api_keys::create(&store, "demo", &["orders:read".to_string()], "demo")
        .await?;
    let admin_password: String = Alphanumeric.sample_string(&mut rand::rng(), 16);
    let admin_hash = crate::web::session::hash_password(&admin_password)?;
    orderly_store::accounts::upsert_user(
        &store,
        "admin@demo.local",
        orderly_store::accounts::Role::Admin,
        &admin_hash,
        OffsetDateTime::now_utc(),
        "demo",
    )
    .await?;
    let app = crate::Application::build_with_store(settings, store).await?;
    let addr = app.local_addr()?;
    sim.control().set_webhook(
        &format!("http://{addr}/api/v1/tracking-updates"),
        Some(&tracking_token),
    )?;
    println!();
    println!("Orderly demo is running at http://{addr}");
    println!(
        "  orders:   curl -H 'Authorization: Bearer {}' http://{addr}/api/v1/orders",
        key.key
    );
    println!("  dashboard: http://{addr}/login  (admin@demo.local / {admin_password})");
    println!("  OpenAPI:  http://{addr}/api/openapi.json");
    println!("  database: {}", args.database);
    println!(
        "  Shiprocket simulator: {} (tracking webhooks back to Orderly)",
        sim.base_url()
    );
    if args.every > 0 {
        println!(
            "  a synthetic checkout places a signed order every {} s",
            args.every
        );
        tokio::spawn(checkout(addr, secret, Duration::from_secs(args.every)));
    }
    println!("Press Ctrl-C to stop.");
    let served = app.run().await;
    sim.shutdown().await;
    served
}

/// Places a signed synthetic order every `every`, numbered after the demo's start time.
async fn checkout(addr: SocketAddr, secret: String, every: Duration) {
    let client = reqwest::Client::new();
    let mut synth = Synth::new(OffsetDateTime::now_utc().unix_timestamp() as u64);
    let base = 9_000_000 + (OffsetDateTime::now_utc().unix_timestamp() as u64 % 900_000);
    let mut seq = 0u64;
    loop {
        tokio::time::sleep(every).await;
        seq += 1;
        let now = OffsetDateTime::now_utc();
        let order = synth.order(base + seq, now);
        let body = synth.envelope(&order).to_string();
        let signature = crate::signature::sign(&secret, now.unix_timestamp(), body.as_bytes());
        let sent = client
            .post(format!("http://{addr}/api/v1/order-events"))
            .header("content-type", "application/json")
            .header(crate::signature::HEADER, signature)
            .body(body)
            .send()
            .await;
        match sent {
            Ok(r) => {
                tracing::info!(order = %order.order_number.as_str(), status = %r.status(), "synthetic checkout placed an order")
            }
            Err(e) => tracing::warn!(error = %e, "synthetic checkout could not reach Orderly"),
        }
    }
}
