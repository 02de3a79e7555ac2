//! The fulfilment flag in a real browser (headless Chromium through ChromeDriver, SQLite): an admin
//! switches fulfilment off from the settings page, and the order page loses its fulfilment actions.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod browser_support;
mod common;
mod dashboard;

use std::time::Duration;

use browser_support::browser;
use common::TestApp;
use dashboard::{PASSWORD, add_user, place};
use orderly_store::Engine;
use orderly_store::accounts::Role;
use shiprocket_sim::SimConfig;

const SECS: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_switches_fulfilment_off_from_the_settings_page_with_a_reason() {
    let app = TestApp::spawn_with_sim(Engine::Sqlite, SimConfig::default()).await;
    add_user(&app, "admin@example.in", Role::Admin).await;
    let b = browser(1280, 800).await;
    b.sign_in(&app.base, "admin@example.in", PASSWORD).await;
    b.goto(&format!("{}/settings/fulfilment", app.base)).await;
    b.wait_text("#flag-stage", "on", SECS).await;
    b.css("#f-stage")
        .await
        .select_by_value("off")
        .await
        .unwrap();
    b.fill("#f-reason", "Shiprocket incident").await;
    b.click("#flag-save").await;
    b.wait_text("#flash", "changed", SECS).await;
    assert_eq!(b.text("#flag-stage").await, "off");
    assert!(
        b.text("#flag-history")
            .await
            .contains("Shiprocket incident")
    );
    assert_eq!(
        orderly::feature::current(&app.state)
            .await
            .unwrap()
            .state
            .stage
            .as_str(),
        "off"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_order_page_shows_no_fulfilment_actions_while_the_flag_is_off() {
    let app = TestApp::spawn_with_sim(Engine::Sqlite, SimConfig::default()).await;
    add_user(&app, "ops@example.in", Role::Operator).await;
    let (n, _) = place(&app, 1, None).await;
    let b = browser(1280, 800).await;
    b.sign_in(&app.base, "ops@example.in", PASSWORD).await;
    b.goto(&format!("{}/orders/{n}", app.base)).await;
    b.wait_for("#mark-processing", SECS).await;
    let off = orderly_domain::feature::FlagState::off();
    orderly::feature::set(&app.state, &off, "user:admin@example.in", "incident", None)
        .await
        .unwrap();
    b.goto(&format!("{}/orders/{n}", app.base)).await;
    b.wait_text("main", "switched off", SECS).await;
    assert_eq!(b.count("#mark-processing").await, 0);
    assert_eq!(b.count("#ship-recommended").await, 0);
    assert_eq!(b.count("#choose-courier").await, 0);
}
