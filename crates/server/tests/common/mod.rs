//! The test harness: the real server on port 0 over a fresh database (SQLite or PostgreSQL),
//! real HTTP through reqwest.
#![allow(
    dead_code,
    reason = "each test binary uses a different part of the harness"
)]

use orderly::Settings;
use orderly::config::Secret;
use orderly_store::{Engine, Store, StoreOptions, testing};
use time::OffsetDateTime;
use tokio::sync::oneshot;

pub const SECRET: &str = "test-intake-secret-0123456789";
pub const NEXT_SECRET: &str = "next-intake-secret-0123456789";
pub const TRACKING_TOKEN: &str = "tracking-token-0123456789";
pub const OLD_SECRET: &str = "retired-intake-secret-0123456789";

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

pub struct TestApp {
    pub base: String,
    pub store: Store,
    pub client: reqwest::Client,
    pub database_url: String,
    /// The running app's state (for driving workers and actions directly).
    pub state: orderly::AppState,
    /// The Shiprocket simulator, when spawned with one.
    pub sim: Option<shiprocket_sim::Simulator>,
    shutdown: Option<oneshot::Sender<()>>,
}

/// How to spawn a [`TestApp`].
#[derive(Default)]
pub struct Options {
    pub sim: Option<shiprocket_sim::SimConfig>,
    pub clock: Option<orderly::clock::ManualClock>,
    pub policy: Option<String>,
    /// Run without background workers (tests drive them by hand).
    pub web_only: bool,
    /// Last word on settings.
    pub tweak: Option<fn(&mut Settings)>,
}

impl TestApp {
    pub async fn spawn(engine: Engine) -> TestApp {
        TestApp::spawn_with(engine, Options::default()).await
    }

    /// Spawns the app with a Shiprocket simulator (its own real HTTP server) and fulfilment settings.
    pub async fn spawn_with_sim(engine: Engine, sim: shiprocket_sim::SimConfig) -> TestApp {
        TestApp::spawn_with(
            engine,
            Options {
                sim: Some(sim),
                ..Options::default()
            },
        )
        .await
    }

    pub async fn spawn_with(engine: Engine, options: Options) -> TestApp {
        orderly::install_crypto_provider();
        if let Ok(filter) = std::env::var("ORDERLY_TEST_LOG") {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_test_writer()
                .try_init();
        }
        let database_url = testing::fresh_database(engine)
            .await
            .expect("fresh database");
        let mut settings = Settings::local_defaults();
        settings.bind = "127.0.0.1:0".parse().unwrap();
        settings.database_url = database_url.clone();
        settings.intake_secrets = vec![Secret::new(SECRET), Secret::new(NEXT_SECRET)];
        settings.tracking_webhook_token = Some(Secret::new(TRACKING_TOKEN));
        settings.courier_policy = options
            .policy
            .clone()
            .unwrap_or_else(|| "recommended".into());
        // Fulfilment open unless a test says otherwise (through `tweak`); the rollback guard only
        // judges when a test calls `workers::rollback::evaluate_once`.
        settings.feature_order_fulfillment = Some("on".into());
        settings.feature_rollback.every = std::time::Duration::from_secs(3600);
        let sim = match options.sim {
            Some(config) => Some(
                shiprocket_sim::Simulator::spawn(config)
                    .await
                    .expect("simulator"),
            ),
            None => None,
        };
        if let Some(sim) = &sim {
            let (email, password) = sim.credentials();
            settings.shiprocket_url = sim.base_url();
            settings.shiprocket_email = Some(email);
            settings.shiprocket_password = Some(Secret::new(password));
            settings.shiprocket_rpm = 0;
        }
        if let Some(tweak) = options.tweak {
            tweak(&mut settings);
        }
        if options.web_only {
            settings.role = orderly::config::Role::Web;
        }
        let store = Store::connect(&database_url, StoreOptions::default())
            .await
            .expect("connect");
        let mut app = orderly::Application::build_with_store(settings, store.clone())
            .await
            .expect("build");
        if let Some(clock) = &options.clock {
            app = app.with_clock(std::sync::Arc::new(clock.clone()));
        }
        let state = app.state().clone();
        let addr = app.local_addr().unwrap();
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(app.run_until(async move {
            let _ = rx.await;
        }));
        TestApp {
            base: format!("http://{addr}"),
            store,
            client: reqwest::Client::new(),
            database_url,
            state,
            sim,
            shutdown: Some(tx),
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
