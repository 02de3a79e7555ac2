//! Headless Chromium through ChromeDriver (WebDriver) for the dashboard's browser tests: a
//! chromedriver per test on a free loopback port; one browser at a time per test binary (2-core
//! machines).
//!
//! **No browser outlives its test.** [`Browser`] is a guard: its `Drop` — which also runs when the
//! test fails and unwinds — ends the WebDriver session (chromedriver then quits Chromium), kills
//! chromedriver, kills any process still running on the browser's own profile folder, and deletes
//! that folder. The folder is `$TMPDIR/orderly-browser-<ORDERLY_BROWSER_TAG>-<pid>-<n>`, and both
//! chromedriver and Chromium carry it on their command line, so `scripts/test` can find (and kill)
//! anything a run left behind.
#![allow(dead_code, reason = "not every helper is used by every test")]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use tokio::sync::{Semaphore, SemaphorePermit};

static ONE_AT_A_TIME: Semaphore = Semaphore::const_new(1);
static STARTED: AtomicUsize = AtomicUsize::new(0);

/// Where ChromeDriver is (Debian's `chromium-driver`).
pub fn chromedriver_path() -> String {
    std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into())
}

/// A running chromedriver and a browser session on it; dropping it ends both (see the module doc).
pub struct Browser {
    pub client: Client,
    port: u16,
    session: Option<String>,
    child: Child,
    profile: PathBuf,
    _permit: SemaphorePermit<'static>,
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(session) = &self.session {
            end_session(self.port, session);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        kill_processes_using(&self.profile);
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// `DELETE /session/{id}` with blocking I/O (`Drop` cannot await): chromedriver quits Chromium.
fn end_session(port: u16, session: &str) {
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(2)));
    let request = format!(
        "DELETE /session/{session} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    if stream.write_all(request.as_bytes()).is_ok() {
        // Chromedriver answers once the browser has quit; read to the end (or the timeout).
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
    }
}

/// Processes whose command line mentions `profile` (Chromium and its helpers, chromedriver).
pub fn processes_using(profile: &Path) -> Vec<u32> {
    let needle = profile.to_string_lossy().into_owned();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| *pid != std::process::id())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .map(|c| String::from_utf8_lossy(&c).contains(&needle))
                .unwrap_or(false)
        })
        .collect()
}

/// Kills (SIGKILL) what still runs on `profile` and waits up to 5 s for it to go.
fn kill_processes_using(profile: &Path) {
    for _ in 0..50 {
        let pids = processes_using(profile);
        if pids.is_empty() {
            return;
        }
        let _ = Command::new("kill")
            .arg("-KILL")
            .args(pids.iter().map(u32::to_string))
            .stderr(Stdio::null())
            .status();
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A profile folder of our own, named so leftovers can be traced to the run that made them.
fn profile_dir() -> PathBuf {
    let tag = std::env::var("ORDERLY_BROWSER_TAG").unwrap_or_else(|_| "t".into());
    let n = STARTED.fetch_add(1, Ordering::SeqCst);
    let dir =
        std::env::temp_dir().join(format!("orderly-browser-{tag}-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("browser profile folder");
    dir
}

/// Starts chromedriver and a headless Chromium with a `width`×`height` window.
pub async fn browser(width: u32, height: u32) -> Browser {
    let permit = ONE_AT_A_TIME.acquire().await.unwrap();
    let port = free_port();
    // From here on a guard owns the folder and chromedriver, whatever happens next.
    let mut starting = Starting {
        child: None,
        profile: Some(profile_dir()),
    };
    let profile = starting.profile.clone().expect("profile folder");
    let child = Command::new(chromedriver_path())
        .arg(format!("--port={port}"))
        .arg("--allowed-ips=127.0.0.1")
        .arg(format!(
            "--log-path={}",
            profile.join("chromedriver.log").display()
        ))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver (apt-get install chromium chromium-driver)");
    starting.child = Some(child);
    let mut caps = serde_json::Map::new();
    let mut options = serde_json::json!({ "args": [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
            "--hide-scrollbars", format!("--window-size={width},{height}"),
            format!("--user-data-dir={}", profile.join("chromium").display()),
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
                let session = client.session_id().await.ok().flatten();
                let browser = Browser {
                    client,
                    port,
                    session,
                    child: starting.child.take().expect("chromedriver"),
                    profile: starting.profile.take().expect("profile folder"),
                    _permit: permit,
                };
                browser
                    .client
                    .update_timeouts(fantoccini::wd::TimeoutConfiguration::new(
                        Some(Duration::from_secs(20)),
                        Some(Duration::from_secs(20)),
                        Some(Duration::from_secs(0)),
                    ))
                    .await
                    .unwrap();
                return browser;
            }
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no WebDriver session: {last:?}");
}

/// Cleans up chromedriver and the profile folder when starting fails half-way.
struct Starting {
    child: Option<Child>,
    profile: Option<PathBuf>,
}

impl Drop for Starting {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
        if let Some(profile) = &self.profile {
            kill_processes_using(profile);
            let _ = std::fs::remove_dir_all(profile);
        }
    }
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
