//! The test harness: the real server on port 0 over a fresh database (SQLite or PostgreSQL),
//! real HTTP through reqwest.
//!
//! Every test file starts its server through [`TestApp::builder`] (or the two shorthands
//! [`TestApp::spawn`] and [`TestApp::spawn_with_sim`]); settings are adjusted with closures, so a
//! test can capture what it needs (a NATS URL, a threshold) instead of growing its own start-up code.
//!
//! **Ending a test.** A story ends with `app.finish().await`: it waits (up to [`SETTLE`]) until no
//! shipment attempt is left mid-step and every enabled webhook endpoint, pending replay and named
//! delivery cursor has reached the head of the outbox, fails the test naming what was left, then
//! stops the server and its workers. A test that leaves work undone on purpose says so with
//! `app.finish_leaving(Leftovers { .. }).await`. The check is an explicit call rather than a `Drop`
//! because it must await database queries, and a failing test (already panicking) should report its
//! own failure, not this one.
#![allow(
    dead_code,
    reason = "each test binary uses a different part of the harness"
)]

use std::time::Duration;

use orderly::Settings;
use orderly::clock::ManualClock;
use orderly::config::{Role, Secret};
use orderly_store::{Engine, Store, StoreOptions, testing};
use sqlx::Row;
use time::OffsetDateTime;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const SECRET: &str = "test-intake-secret-0123456789";
pub const NEXT_SECRET: &str = "next-intake-secret-0123456789";
pub const TRACKING_TOKEN: &str = "tracking-token-0123456789";
pub const OLD_SECRET: &str = "retired-intake-secret-0123456789";

/// How long [`TestApp::finish`] waits for background work to settle before failing the test.
pub const SETTLE: Duration = Duration::from_secs(10);

/// Generates `mod sqlite` and `mod postgres`, each with one `#[tokio::test]` per story.
#[macro_export]
macro_rules! stories {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(orderly_store::Engine::Sqlite).await })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(orderly_store::Engine::Postgres).await })*
        }
    };
}

/// A running Orderly (and, when asked, a Shiprocket simulator) for one test.
pub struct TestApp {
    pub base: String,
    pub store: Store,
    pub client: reqwest::Client,
    pub database_url: String,
    /// The running app's state (for driving workers and actions directly).
    pub state: orderly::AppState,
    /// The Shiprocket simulator, when spawned with one.
    pub sim: Option<shiprocket_sim::Simulator>,
    clock: Option<ManualClock>,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<anyhow::Result<()>>>,
}

type Tweak = Box<dyn FnOnce(&mut Settings) + Send>;

/// Builds a [`TestApp`]: `TestApp::builder(engine).sim(..).manual_clock().settings(|s| ..).spawn()`.
#[must_use = "call .spawn().await"]
pub struct TestAppBuilder {
    engine: Engine,
    database_url: Option<String>,
    sim: Option<shiprocket_sim::SimConfig>,
    clock: Option<ManualClock>,
    web_only: bool,
    tweaks: Vec<Tweak>,
}

impl TestAppBuilder {
    /// Spawns a Shiprocket simulator (its own real HTTP server) and points Orderly at it.
    pub fn sim(mut self, config: shiprocket_sim::SimConfig) -> Self {
        self.sim = Some(config);
        self
    }

    /// Runs on `clock`, which only moves when the test moves it.
    pub fn clock(mut self, clock: ManualClock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Runs on a manual clock starting now (reach it through [`TestApp::clock`]).
    pub fn manual_clock(self) -> Self {
        self.clock(ManualClock::new(OffsetDateTime::now_utc()))
    }

    /// Runs without background workers (the test drives them by hand).
    pub fn web_only(mut self) -> Self {
        self.web_only = true;
        self
    }

    /// Uses an existing database (a second instance beside another `TestApp`).
    pub fn database(mut self, url: &str) -> Self {
        self.database_url = Some(url.to_string());
        self
    }

    /// Adjusts the settings; applied in order, after the harness's own, so it has the last word.
    pub fn settings(mut self, tweak: impl FnOnce(&mut Settings) + Send + 'static) -> Self {
        self.tweaks.push(Box::new(tweak));
        self
    }

    /// Starts the server on 127.0.0.1:0 and returns once it accepts connections.
    pub async fn spawn(self) -> TestApp {
        orderly::install_crypto_provider();
        if let Ok(filter) = std::env::var("ORDERLY_TEST_LOG") {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_test_writer()
                .try_init();
        }
        let database_url = match self.database_url {
            Some(url) => url,
            None => testing::fresh_database(self.engine)
                .await
                .expect("fresh database"),
        };
        let sim = match self.sim {
            Some(config) => Some(
                shiprocket_sim::Simulator::spawn(config)
                    .await
                    .expect("simulator"),
            ),
            None => None,
        };
        let mut settings = defaults(&database_url, sim.as_ref());
        if self.web_only {
            settings.role = Role::Web;
        }
        for tweak in self.tweaks {
            tweak(&mut settings);
        }
        let store = Store::connect(&database_url, StoreOptions::default())
            .await
            .expect("connect");
        let mut app = orderly::Application::build_with_store(settings, store.clone())
            .await
            .expect("build");
        if let Some(clock) = &self.clock {
            app = app.with_clock(std::sync::Arc::new(clock.clone()));
        }
        let state = app.state().clone();
        let addr = app.local_addr().expect("bound address");
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until(async move {
            let _ = rx.await;
        }));
        TestApp {
            base: format!("http://{addr}"),
            store,
            client: reqwest::Client::new(),
            database_url,
            state,
            sim,
            clock: self.clock,
            shutdown: Some(tx),
            server: Some(server),
        }
    }
}

/// The harness's settings: intake and tracking secrets, fulfilment on (the rollback guard only
/// judges when a test calls `workers::rollback::evaluate_once`), the simulator when there is one.
fn defaults(database_url: &str, sim: Option<&shiprocket_sim::Simulator>) -> Settings {
    let mut settings = Settings::local_defaults();
    settings.bind = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    settings.database_url = database_url.to_string();
    settings.intake_secrets = vec![Secret::new(SECRET), Secret::new(NEXT_SECRET)];
    settings.tracking_webhook_token = Some(Secret::new(TRACKING_TOKEN));
    settings.courier_policy = "recommended".into();
    settings.feature_order_fulfillment = Some("on".into());
    settings.feature_rollback.every = Duration::from_secs(3600);
    if let Some(sim) = sim {
        let (email, password) = sim.credentials();
        settings.shiprocket_url = sim.base_url();
        settings.shiprocket_email = Some(email);
        settings.shiprocket_password = Some(Secret::new(password));
        settings.shiprocket_rpm = 0;
    }
    settings
}

/// What a test means to leave unfinished when it ends (see [`TestApp::finish_leaving`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct Leftovers {
    /// Shipment attempts still mid-step (e.g. a crash test, or an app without workers).
    pub shipments_mid_step: bool,
    /// Outbox events not yet delivered to an endpoint, replay or cursor (e.g. a receiver kept down).
    pub undelivered_events: bool,
}

/// Work found unfinished at the end of a test.
#[derive(Debug, Default)]
pub struct Unfinished {
    /// `order attempt N at step S`.
    pub shipments_mid_step: Vec<String>,
    /// `endpoint N at seq A of B`, `replay N`, `cursor NAME at seq A of B`.
    pub undelivered_events: Vec<String>,
}

impl Unfinished {
    fn unexpected(&self, meant: Leftovers) -> bool {
        (!meant.shipments_mid_step && !self.shipments_mid_step.is_empty())
            || (!meant.undelivered_events && !self.undelivered_events.is_empty())
    }
}

impl TestApp {
    /// A builder for an app over a fresh `engine` database.
    pub fn builder(engine: Engine) -> TestAppBuilder {
        TestAppBuilder {
            engine,
            database_url: None,
            sim: None,
            clock: None,
            web_only: false,
            tweaks: Vec::new(),
        }
    }

    /// The app with the harness's defaults.
    pub async fn spawn(engine: Engine) -> TestApp {
        TestApp::builder(engine).spawn().await
    }

    /// The app with a Shiprocket simulator.
    pub async fn spawn_with_sim(engine: Engine, sim: shiprocket_sim::SimConfig) -> TestApp {
        TestApp::builder(engine).sim(sim).spawn().await
    }

    /// The manual clock (panics unless built with `.clock(..)` or `.manual_clock()`).
    pub fn clock(&self) -> &ManualClock {
        self.clock.as_ref().expect("built with a manual clock")
    }

    /// Ends the test: fails unless every shipment attempt has settled and every event is delivered
    /// (waiting up to [`SETTLE`] for the workers), then stops the server.
    pub async fn finish(self) {
        self.finish_leaving(Leftovers::default()).await;
    }

    /// [`TestApp::finish`], tolerating the leftovers the test means to leave.
    pub async fn finish_leaving(mut self, meant: Leftovers) {
        let deadline = tokio::time::Instant::now() + SETTLE;
        loop {
            let left = self.unfinished().await;
            if !left.unexpected(meant) {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the test ended with work left undone after {SETTLE:?}: {left:#?}\n\
                 (if the test means it, end with `finish_leaving(Leftovers {{ .. }})`)"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.stop().await;
    }

    /// Shipment attempts mid-step and undelivered outbox events, as of now.
    pub async fn unfinished(&self) -> Unfinished {
        let db = self.store.reader();
        let mut left = Unfinished::default();
        let rows = sqlx::query(
            "SELECT o.order_number, s.attempt, s.step FROM shipments s JOIN orders o ON o.id = s.order_id
             WHERE s.step NOT IN ('done', 'failed', 'cancelled') ORDER BY s.id",
        )
        .fetch_all(db)
        .await
        .expect("shipments");
        for r in rows {
            let number: String = r.try_get("order_number").expect("order_number");
            let attempt: i64 = r.try_get("attempt").expect("attempt");
            let step: String = r.try_get("step").expect("step");
            left.shipments_mid_step
                .push(format!("{number} attempt {attempt} at step {step}"));
        }
        let head: i64 = sqlx::query("SELECT COALESCE(MAX(seq), 0) AS head FROM outbox")
            .fetch_one(db)
            .await
            .and_then(|r| r.try_get("head"))
            .expect("outbox head");
        let behind = sqlx::query(
            "SELECT 'endpoint ' || CAST(id AS TEXT) AS who, cursor_seq AS at FROM webhook_endpoints
              WHERE enabled = 1 AND cursor_seq < $1
             UNION ALL
             SELECT 'cursor ' || name AS who, seq AS at FROM delivery_cursors WHERE seq < $1
             UNION ALL
             SELECT 'replay of seq ' || CAST(seq AS TEXT) || ' to endpoint ' || CAST(endpoint_id AS TEXT) AS who,
                    seq AS at FROM webhook_replays WHERE done_at IS NULL",
        )
        .bind(head)
        .fetch_all(db)
        .await
        .expect("delivery state");
        for r in behind {
            let who: String = r.try_get("who").expect("who");
            let at: i64 = r.try_get("at").expect("at");
            left.undelivered_events
                .push(format!("{who} at seq {at} of {head}"));
        }
        left
    }

    /// Stops the server and its workers (waiting a few seconds for them).
    async fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = tokio::time::timeout(Duration::from_secs(5), server).await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// POSTs `body` to the intake, signed now with the active secret.
    pub async fn post_event(&self, body: &str) -> reqwest::Response {
        let t = OffsetDateTime::now_utc().unix_timestamp();
        self.post_event_signed(body, &orderly::signature::sign(SECRET, t, body.as_bytes()))
            .await
    }

    pub async fn post_event_signed(&self, body: &str, signature: &str) -> reqwest::Response {
        self.client
            .post(self.url("/api/v1/order-events"))
            .header("content-type", "application/json")
            .header("orderly-signature", signature)
            .body(body.to_string())
            .send()
            .await
            .expect("request")
    }

    pub async fn api_key(&self, scopes: &[&str]) -> String {
        let scopes: Vec<String> = scopes.iter().map(|s| s.to_string()).collect();
        orderly_store::api_keys::create(&self.store, "test", &scopes, "test")
            .await
            .unwrap()
            .key
    }

    pub async fn get_json(&self, path: &str, key: &str) -> (u16, serde_json::Value) {
        let r = self
            .client
            .get(self.url(path))
            .bearer_auth(key)
            .send()
            .await
            .expect("request");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(serde_json::Value::Null))
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
/// A valid envelope for order `seq` as JSON text.
pub fn envelope(seq: u64) -> serde_json::Value {
    let mut synth = orderly_synth::Synth::new(seq);
    let order = synth.order(
        seq,
        OffsetDateTime::now_utc() - time::Duration::minutes(seq as i64 % 1000),
    );
    synth.envelope(&order)
}

impl TestApp {
    /// The simulator (panics when spawned without one).
    pub fn sim(&self) -> &shiprocket_sim::Simulator {
        self.sim.as_ref().expect("spawned with a simulator")
    }

    /// Places order `seq` through the signed intake and returns its order number.
    pub async fn place(&self, seq: u64) -> String {
        let env = envelope(seq);
        let r = self.post_event(&env.to_string()).await;
        assert_eq!(r.status(), 201, "intake refused the order");
        env["data"]["order_number"].as_str().unwrap().to_string()
    }

    /// POSTs JSON with an API key; returns status and body.
    pub async fn post_json(
        &self,
        path: &str,
        key: &str,
        body: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let r = self
            .client
            .post(self.url(path))
            .bearer_auth(key)
            .json(&body)
            .send()
            .await
            .expect("request");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(serde_json::Value::Null))
    }
}
