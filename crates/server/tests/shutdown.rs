//! Shutdown is bounded, through the real binary: `orderly serve` with an open dashboard `/events`
//! stream exits soon after SIGTERM (the stream ends with an `end` event), well inside the 10 s
//! drain limit.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;
mod dashboard;

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use dashboard::{csrf_in, form, no_redirects, set_cookie};
use futures_util::StreamExt;
use orderly_store::{Engine, testing};

const PASSWORD: &str = "a-long-enough-password";

/// Kills the server if a test fails before it exits by itself.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn add_user(database_url: &str) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_orderly"))
        .args([
            "user",
            "add",
            "--email",
            "ops@example.in",
            "--role",
            "operator",
        ])
        .env("ORDERLY_DATABASE_URL", database_url)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

async fn wait_until_ready(base: &str) {
    let client = reqwest::Client::new();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        if let Ok(r) = client.get(format!("{base}/healthz")).send().await
            && r.status().is_success()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("orderly serve did not become ready");
}

async fn sign_in(base: &str) -> String {
    let client = no_redirects();
    let page = client.get(format!("{base}/login")).send().await.unwrap();
    let login_cookie = set_cookie(&page, "orderly_login").unwrap();
    let csrf = csrf_in(&page.text().await.unwrap());
    let r = client
        .post(format!("{base}/login"))
        .header("cookie", login_cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("email", "ops@example.in"),
            ("password", PASSWORD),
            ("csrf", &csrf),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "signed in");
    set_cookie(&r, "orderly_session").unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_with_an_open_event_stream_exits_within_the_drain_limit() {
    orderly::install_crypto_provider();
    let database_url = testing::fresh_database(Engine::Sqlite).await.unwrap();
    add_user(&database_url);
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = Server(
        Command::new(env!("CARGO_BIN_EXE_orderly"))
            .args(["serve"])
            .env("ORDERLY_DATABASE_URL", &database_url)
            .env("ORDERLY_BIND", format!("127.0.0.1:{port}"))
            .env("ORDERLY_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_until_ready(&base).await;
    let cookie = sign_in(&base).await;

    let stream = no_redirects()
        .get(format!("{base}/events"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    let mut body = stream.bytes_stream();
    let reading = tokio::spawn(async move {
        let mut seen = String::new();
        while let Some(Ok(chunk)) = body.next().await {
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
        seen
    });
    tokio::time::sleep(Duration::from_millis(300)).await;

    let sent = Instant::now();
    let kill = Command::new("kill")
        .args(["-TERM", &server.0.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let limit = orderly::shutdown::DRAIN_LIMIT + Duration::from_secs(2);
    let status = loop {
        if let Some(status) = server.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            sent.elapsed() < limit,
            "orderly serve still running {:?} after SIGTERM with an open /events stream",
            sent.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let took = sent.elapsed();
    assert!(status.success(), "clean exit, got {status:?}");
    // Streams end at once on shutdown, so nothing waits for the drain limit.
    assert!(
        took < Duration::from_secs(5),
        "took {took:?} to exit with one open stream"
    );
    let seen = tokio::time::timeout(Duration::from_secs(5), reading)
        .await
        .unwrap()
        .unwrap();
    assert!(
        seen.contains("end") && seen.contains(r#""reason":"shutdown""#),
        "the stream says why it ended: {seen:?}"
    );
    eprintln!("exited {took:?} after SIGTERM with one open /events stream");
}
