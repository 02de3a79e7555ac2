//! Kill -9, really: the real `orderly serve` and `orderly shiprocket-sim` binaries as separate
//! processes, a 40-order shipment batch, SIGKILL twice mid-batch, restart. The batch finishes within
//! the rate limit's bound + 30 s after the last restart (an attempt the killed process held is taken
//! over when its short lease runs out, not after minutes), every order is shipped or failed with a
//! reason, the simulator assigned exactly as many AWBs as Orderly shipped, and each shipped order has
//! exactly one `OrderShipped`. Every child process is killed on every path (`Children`'s `Drop`).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use orderly_store::{Engine, Store, StoreOptions, testing};
use sqlx::Row;
use time::OffsetDateTime;

stories!(sigkill_twice_mid_batch_loses_nothing_and_finishes_within_the_rate_bound);

/// Orders in the batch.
const ORDERS: usize = 40;
/// Orderly's Shiprocket rate limit in this test (requests per minute).
const RPM: u64 = 480;
/// Shiprocket calls one shipment needs: create order, serviceability, assign AWB, pickup, label,
/// manifest; plus login and the pickup location once per process (three processes).
const CALLS_PER_ORDER: u64 = 6;
const CALLS_PER_PROCESS: u64 = 2;
/// Slack the issue allows after the rate bound.
const SLACK: Duration = Duration::from_secs(30);

/// Child processes, killed (SIGKILL) and reaped when dropped — on success, failure or panic.
#[derive(Default)]
struct Children(Vec<(&'static str, Child)>);

impl Children {
    fn push(&mut self, name: &'static str, child: Child) {
        self.0.push((name, child));
    }

    /// SIGKILLs the child called `name` (no clean shutdown: the process just stops).
    fn kill9(&mut self, name: &str) {
        if let Some(i) = self.0.iter().position(|(n, _)| *n == name) {
            let (_, mut c) = self.0.remove(i);
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Children {
    fn drop(&mut self) {
        for (_, c) in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn log_file(dir: &std::path::Path, name: &str) -> Stdio {
    Stdio::from(std::fs::File::create(dir.join(name)).unwrap())
}

/// Starts the simulator; returns its address and the API user's credentials from its banner.
fn start_sim(children: &mut Children, dir: &std::path::Path) -> (String, String, String) {
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_orderly"))
        .args(["shiprocket-sim", "--bind", &format!("127.0.0.1:{port}")])
        .args(["--seed", "9"])
        .stdout(Stdio::piped())
        .stderr(log_file(dir, "sim.err"))
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    children.push("sim", child);
    // Read the banner, then keep draining the pipe so the simulator never writes into a closed one.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut email = None;
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(v) = line.trim().strip_prefix("email:") {
                email = Some(v.trim().to_string());
            }
            if let Some(v) = line.trim().strip_prefix("password:") {
                let _ = tx.send((email.take().unwrap_or_default(), v.trim().to_string()));
            }
        }
    });
    let (email, password) = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the simulator did not start");
    (format!("127.0.0.1:{port}"), email, password)
}

struct Orderly {
    database_url: String,
    port: u16,
    sim: String,
    email: String,
    password: String,
    dir: PathBuf,
}

impl Orderly {
    fn start(&self, children: &mut Children, run: u32) {
        let child = Command::new(env!("CARGO_BIN_EXE_orderly"))
            .arg("serve")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("RUST_LOG", "info")
            .env("ORDERLY_BIND", format!("127.0.0.1:{}", self.port))
            .env("ORDERLY_DATABASE_URL", &self.database_url)
            .env("ORDERLY_INTAKE_SECRETS", common::SECRET)
            .env(
                "ORDERLY_SHIPROCKET_URL",
                format!("http://{}/v1/external", self.sim),
            )
            .env("ORDERLY_SHIPROCKET_EMAIL", &self.email)
            .env("ORDERLY_SHIPROCKET_PASSWORD", &self.password)
            .env("ORDERLY_SHIPROCKET_RPM", RPM.to_string())
            .env("ORDERLY_FEATURE_ORDER_FULFILLMENT", "on")
            // The rollback guard does not judge during this test (unserviceable PINs fail on purpose).
            .env("ORDERLY_ROLLBACK_CHECK_SECS", "86400")
            .stdout(log_file(&self.dir, &format!("orderly-{run}.out")))
            .stderr(log_file(&self.dir, &format!("orderly-{run}.err")))
            .spawn()
            .unwrap();
        children.push("orderly", child);
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    async fn wait_ready(&self, client: &reqwest::Client) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(r) = client.get(self.url("/healthz")).send().await
                && r.status().is_success()
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "orderly did not start; see {}",
                self.dir.display()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

async fn count(store: &Store, sql: &'static str) -> i64 {
    sqlx::query(sql)
        .fetch_one(store.reader())
        .await
        .unwrap()
        .try_get("n")
        .unwrap()
}

/// Waits until at least `n` orders are shipped (at most `within`).
async fn until_shipped(store: &Store, n: i64, within: Duration) -> i64 {
    let deadline = Instant::now() + within;
    loop {
        let shipped = count(
            store,
            "SELECT COUNT(*) AS n FROM orders WHERE status = 'shipped'",
        )
        .await;
        if shipped >= n {
            return shipped;
        }
        assert!(Instant::now() < deadline, "only {shipped} orders shipped");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn sigkill_twice_mid_batch_loses_nothing_and_finishes_within_the_rate_bound(engine: Engine) {
    let dir = std::env::temp_dir().join(format!(
        "orderly-kill9-{}-{}",
        std::process::id(),
        engine.as_str()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    orderly::install_crypto_provider();
    let mut children = Children::default();
    let (sim, email, password) = start_sim(&mut children, &dir);
    let database_url = testing::fresh_database(engine).await.unwrap();
    let orderly = Orderly {
        database_url: database_url.clone(),
        port: free_port(),
        sim: sim.clone(),
        email,
        password,
        dir: dir.clone(),
    };
    let client = reqwest::Client::new();
    orderly.start(&mut children, 1);
    orderly.wait_ready(&client).await;
    let store = Store::connect(&database_url, StoreOptions::default())
        .await
        .unwrap();
    let scopes = vec!["orders:read".to_string(), "orders:write".to_string()];
    let key = orderly_store::api_keys::create(&store, "kill9", &scopes, "test")
        .await
        .unwrap()
        .key;

    // 40 orders through the signed intake, then one shipment batch over the API.
    let mut numbers = Vec::new();
    for seq in 0..ORDERS as u64 {
        let body = common::envelope(9_000 + seq).to_string();
        let t = OffsetDateTime::now_utc().unix_timestamp();
        let r = client
            .post(orderly.url("/api/v1/order-events"))
            .header("content-type", "application/json")
            .header(
                "orderly-signature",
                orderly::signature::sign(common::SECRET, t, body.as_bytes()),
            )
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "intake refused order {seq}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        numbers.push(v["data"]["order_number"].as_str().unwrap().to_string());
    }
    let r = client
        .post(orderly.url("/api/v1/batches"))
        .bearer_auth(&key)
        .json(&serde_json::json!({"kind": "generate_shipments", "order_numbers": numbers}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let batch: serde_json::Value = r.json().await.unwrap();
    let batch_id = batch["id"].as_i64().unwrap();

    // SIGKILL twice mid-batch, each time with shipments in flight, and restart.
    let first = until_shipped(&store, 8, Duration::from_secs(120)).await;
    children.kill9("orderly");
    orderly.start(&mut children, 2);
    orderly.wait_ready(&client).await;
    let second = until_shipped(&store, first + 8, Duration::from_secs(120)).await;
    children.kill9("orderly");
    let restarted = Instant::now();
    orderly.start(&mut children, 3);

    // The rate bound: every call the whole batch needs, at the configured rate.
    let calls = CALLS_PER_ORDER * ORDERS as u64 + 3 * CALLS_PER_PROCESS;
    let bound = Duration::from_secs_f64(calls as f64 * 60.0 / RPM as f64);
    let deadline = restarted + bound + SLACK;
    loop {
        let open: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM batches WHERE id = $1 AND finished_at IS NULL")
                .bind(batch_id)
                .fetch_one(store.reader())
                .await
                .unwrap()
                .get("n");
        if open == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the batch was not finished {:?} after the restart (rate bound {bound:?} + {SLACK:?}); \
             killed at {first} and {second} shipped; logs in {}",
            restarted.elapsed(),
            dir.display()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let took = restarted.elapsed();

    // Every order shipped, or failed with a reason a person can read.
    let rows = sqlx::query(
        "SELECT o.order_number, o.status, o.awb, o.shipment_failed, j.state, j.message
         FROM orders o JOIN batch_jobs j ON j.order_number = o.order_number AND j.batch_id = $1",
    )
    .bind(batch_id)
    .fetch_all(store.reader())
    .await
    .unwrap();
    assert_eq!(rows.len(), ORDERS);
    let mut shipped = 0i64;
    for r in &rows {
        let n: String = r.get("order_number");
        let status: String = r.get("status");
        let awb: Option<String> = r.get("awb");
        let failed: Option<String> = r.get("shipment_failed");
        let job: String = r.get("state");
        let message: Option<String> = r.get("message");
        match status.as_str() {
            "shipped" => {
                shipped += 1;
                assert!(awb.is_some(), "{n} shipped without an AWB");
                assert_eq!(job, "succeeded", "{n}: {message:?}");
            }
            "processing" => {
                assert!(
                    failed.as_deref().is_some_and(|f| !f.is_empty()),
                    "{n} neither shipped nor failed with a reason"
                );
                assert_eq!(job, "failed", "{n}");
                assert!(message.is_some_and(|m| !m.is_empty()), "{n}: no reason");
            }
            other => panic!("{n} ended {other}"),
        }
    }
    assert!(shipped >= second, "shipped orders went missing");

    // The simulator assigned exactly as many AWBs as Orderly shipped: no duplicate, none lost.
    let state: serde_json::Value = client
        .get(format!("http://{sim}/__sim/state"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        state["awbs"].as_i64().unwrap(),
        shipped,
        "AWBs at Shiprocket vs orders shipped"
    );
    // One OrderShipped per shipped order, none for the others.
    let dupes = count(
        &store,
        "SELECT COUNT(*) AS n FROM (SELECT order_id FROM outbox WHERE event_type = 'OrderShipped'
           GROUP BY order_id HAVING COUNT(*) <> 1) d",
    )
    .await;
    assert_eq!(dupes, 0, "an order has more than one OrderShipped");
    let events = count(
        &store,
        "SELECT COUNT(*) AS n FROM outbox e JOIN orders o ON o.id = e.order_id
         WHERE e.event_type = 'OrderShipped' AND o.status = 'shipped'",
    )
    .await;
    let all_events = count(
        &store,
        "SELECT COUNT(*) AS n FROM outbox WHERE event_type = 'OrderShipped'",
    )
    .await;
    assert_eq!((events, all_events), (shipped, shipped));
    eprintln!(
        "kill -9 ({}): killed at {first} and {second} shipped; {shipped} of {ORDERS} shipped; \
         the batch finished {took:.1?} after the last restart (rate bound {bound:.1?} + {SLACK:?})",
        engine.as_str()
    );
    drop(children);
    let _ = std::fs::remove_dir_all(&dir);
}
