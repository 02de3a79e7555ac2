//! Headless Chromium through ChromeDriver (WebDriver) for the dashboard's browser tests: a
//! chromedriver per test on a free loopback port, killed on drop; one browser at a time per test
//! binary (2-core machines).
#![allow(dead_code, reason = "not every helper is used by every test")]

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use tokio::sync::{Semaphore, SemaphorePermit};

static ONE_AT_A_TIME: Semaphore = Semaphore::const_new(1);

/// Where ChromeDriver is (Debian's `chromium-driver`).
pub fn chromedriver_path() -> String {
    std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into())
}

/// A running chromedriver and a browser session on it.
pub struct Browser {
    pub client: Client,
    child: Child,
    _permit: SemaphorePermit<'static>,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts chromedriver and a headless Chromium with a `width`×`height` window.
pub async fn browser(width: u32, height: u32) -> Browser {
    let permit = ONE_AT_A_TIME.acquire().await.unwrap();
    let port = free_port();
    let child = Command::new(chromedriver_path())
        .arg(format!("--port={port}"))
        .arg("--allowed-ips=127.0.0.1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver (apt-get install chromium chromium-driver)");
    let mut caps = serde_json::Map::new();
    let mut options = serde_json::json!({ "args": [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
            "--hide-scrollbars", format!("--window-size={width},{height}")
    ]});
    if width < 640 {
        // Headless windows are at least 500 px wide: emulate the phone's viewport instead.
        options["mobileEmulation"] = serde_json::json!({
            "deviceMetrics": { "width": width, "height": height, "pixelRatio": 1.0, "touch": true }
        });
    }
    caps.insert("goog:chromeOptions".into(), options);
    let url = format!("http://127.0.0.1:{port}");
    let mut last = None;
    for _ in 0..50 {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector)
            .capabilities(caps.clone())
            .connect(&url)
            .await
        {
            Ok(client) => {
                client
                    .update_timeouts(fantoccini::wd::TimeoutConfiguration::new(
                        Some(Duration::from_secs(20)),
                        Some(Duration::from_secs(20)),
                        Some(Duration::from_secs(0)),
                    ))
                    .await
                    .unwrap();
                return Browser {
                    client,
                    child,
                    _permit: permit,
                };
            }
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no WebDriver session: {last:?}");
}

impl Browser {
    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap();
    }

    pub async fn css(&self, selector: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(selector))
            .await
            .unwrap_or_else(|e| panic!("no {selector}: {e}"))
    }

    pub async fn text(&self, selector: &str) -> String {
        self.css(selector).await.text().await.unwrap()
    }

    pub async fn click(&self, selector: &str) {
        eprintln!("click {selector}");
        self.css(selector).await.click().await.unwrap();
    }

    pub async fn fill(&self, selector: &str, value: &str) {
        let e = self.css(selector).await;
        e.clear().await.unwrap();
        e.send_keys(value).await.unwrap();
    }

    pub async fn count(&self, selector: &str) -> usize {
        self.client
            .find_all(Locator::Css(selector))
            .await
            .unwrap()
            .len()
    }

    /// Waits until `selector`'s text contains `needle`.
    pub async fn wait_text(&self, selector: &str, needle: &str, within: Duration) -> String {
        let started = std::time::Instant::now();
        loop {
            if let Ok(e) = self.client.find(Locator::Css(selector)).await
                && let Ok(t) = e.text().await
                && t.contains(needle)
            {
                return t;
            }
            assert!(
                started.elapsed() < within,
                "{selector} never showed {needle:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until `selector` matches something.
    pub async fn wait_for(&self, selector: &str, within: Duration) {
        let started = std::time::Instant::now();
        while self.count(selector).await == 0 {
            assert!(started.elapsed() < within, "{selector} never appeared");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn sign_in(&self, base: &str, email: &str, password: &str) {
        self.goto(&format!("{base}/login")).await;
        self.fill("#email", email).await;
        self.fill("#password", password).await;
        self.click("#sign-in").await;
        self.wait_for("nav.tabs", Duration::from_secs(10)).await;
    }

    pub async fn js(&self, script: &str) -> serde_json::Value {
        self.client.execute(script, vec![]).await.unwrap()
    }

    /// Saves a PNG of the viewport.
    pub async fn screenshot(&self, path: &std::path::Path) {
        let png = self.client.screenshot().await.unwrap();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(path, png).unwrap();
    }
}
