//! The dashboard in a real browser: headless Chromium driven through ChromeDriver (WebDriver), on
//! SQLite (the HTML/HTTP behaviour on both engines is covered by `tests/web.rs`). Each test is a
//! scenario of the issue; one also saves the README screenshots to `docs/screenshots/`.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod browser_support;
mod common;
mod dashboard;

use std::time::Duration;

use browser_support::{Browser, browser};
use common::TestApp;
use dashboard::{PASSWORD, add_user, place};
use orderly::actions::{self, Actor};
use orderly_store::Engine;
use orderly_store::accounts::Role;
use shiprocket_sim::SimConfig;

const SECS: Duration = Duration::from_secs(10);

async fn app() -> TestApp {
    TestApp::spawn_with_sim(Engine::Sqlite, SimConfig::default()).await
}

async fn operator(app: &TestApp) -> Browser {
    add_user(app, "ops@example.in", Role::Operator).await;
    let b = browser(1280, 800).await;
    b.sign_in(&app.base, "ops@example.in", PASSWORD).await;
    b
}

async fn shipped(app: &TestApp, seq: u64) -> (String, String) {
    let (n, _) = place(app, seq, None).await;
    let actor = Actor::system("test");
    actions::mark_processing(&app.state, &n, None, &actor)
        .await
        .unwrap();
    match actions::generate_shipment(&app.state, &n, None, None, &actor)
        .await
        .unwrap()
    {
        actions::ShipmentOutcome::Shipped { awb, .. } => (n, awb),
        other => panic!("not shipped: {other:?}"),
    }
}

fn row(n: &str) -> String {
    format!("tr[data-order=\"{n}\"]")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_placed_through_the_intake_appears_without_reload() {
    let app = app().await;
    let b = operator(&app).await;
    b.wait_text("#live-status", "Live", SECS).await;
    let marker = b.js("window.__same_page = 42; return 1;").await;
    assert_eq!(marker, 1);
    let (n, _) = place(&app, 101, None).await;
    let started = std::time::Instant::now();
    b.wait_for(&row(&n), Duration::from_secs(2)).await;
    assert!(started.elapsed() < Duration::from_secs(2));
    // Same page (no reload), new order highlighted, tab count updated.
    assert_eq!(b.js("return window.__same_page;").await, 42);
    assert!(
        b.css(&row(&n))
            .await
            .attr("class")
            .await
            .unwrap()
            .unwrap()
            .contains("new")
    );
    b.wait_text("[data-count=placed]", "1", SECS).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filtering_by_status_and_searching_by_order_number_phone_and_awb() {
    let app = app().await;
    let (placed, env) = place(&app, 102, None).await;
    let (ship, awb) = shipped(&app, 103).await;
    let b = operator(&app).await;
    b.click("a[data-tab=shipped]").await;
    b.wait_for(&row(&ship), SECS).await;
    assert_eq!(b.count(&row(&placed)).await, 0);
    // The filter survives a visit to the bare URL (sessionStorage).
    b.goto(&format!("{}/orders", app.base)).await;
    b.wait_for("a[data-tab=shipped].active", SECS).await;
    b.click("a[data-tab=all]").await;
    for (q, expect) in [
        (placed.to_lowercase(), &placed),
        (
            env["data"]["customer"]["phone"]
                .as_str()
                .unwrap()
                .to_string(),
            &placed,
        ),
        (awb.clone(), &ship),
    ] {
        b.fill("#q", &q).await;
        b.click("#filters button[type=submit]").await;
        b.wait_for(&row(expect), SECS).await;
        assert_eq!(b.count("tr.order-row").await, 1, "search {q:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn marking_processing_then_shipping_with_the_recommended_and_a_chosen_courier() {
    let app = app().await;
    let (a, _) = place(&app, 104, None).await;
    let (c, _) = place(&app, 105, None).await;
    let b = operator(&app).await;
    b.goto(&format!("{}/orders/{a}", app.base)).await;
    b.click("#mark-processing").await;
    b.wait_text("#flash-text", "Order marked as Processing.", SECS)
        .await;
    assert_eq!(b.text("#order-status").await, "Processing");
    b.click("#ship-recommended").await;
    let msg = b
        .wait_text("#flash-text", "Shipment created successfully. AWB: ", SECS)
        .await;
    let awb = b.text("#awb").await;
    assert_eq!(msg, format!("Shipment created successfully. AWB: {awb}"));
    assert!(b.count("#tracking-link").await == 1);
    assert!(b.text("#timeline").await.contains("Shipped"));
    // A chosen courier.
    b.goto(&format!("{}/orders/{c}", app.base)).await;
    b.click("#mark-processing").await;
    b.wait_text("#flash-text", "Processing", SECS).await;
    b.click("#choose-courier").await;
    b.wait_for("input[name=courier_id]:checked", SECS).await;
    let options = b
        .client
        .find_all(fantoccini::Locator::Css("label.courier"))
        .await
        .unwrap();
    assert!(options.len() >= 2, "a choice of couriers");
    let last = options.last().unwrap();
    let name = last
        .find(fantoccini::Locator::Css(".c-name"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    last.click().await.unwrap();
    b.click("#ship-chosen").await;
    b.wait_text("#flash-text", "Shipment created successfully. AWB: ", SECS)
        .await;
    let via = b.text("#shipping-h + p").await;
    assert!(
        via.contains(name.split(" Recommended").next().unwrap().trim()),
        "{via} / {name}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_shipment_is_found_fixed_and_retried() {
    let app = app().await;
    let remote = SimConfig::default().unserviceable[0].clone();
    let mut env = common::envelope(106);
    env["data"]["shipping_address"]["pincode"] = serde_json::json!(remote);
    assert_eq!(app.post_event(&env.to_string()).await.status(), 201);
    let n = env["data"]["order_number"].as_str().unwrap().to_string();
    let b = operator(&app).await;
    b.goto(&format!("{}/orders/{n}", app.base)).await;
    b.click("#mark-processing").await;
    b.wait_text("#flash-text", "Processing", SECS).await;
    b.click("#ship-recommended").await;
    let msg = b
        .wait_text("#flash-text", "Shipment generation failed: ", SECS)
        .await;
    assert!(
        msg.ends_with(". Please verify address and try again."),
        "{msg}"
    );
    assert_eq!(b.text("#order-status").await, "Processing");
    b.click("#back-to-list").await;
    b.click("a[data-tab=failed]").await;
    b.wait_for(&row(&n), SECS).await;
    assert!(b.text(&row(&n)).await.contains("Shipment Failed"));
    b.click(&format!("{} td.number a", row(&n))).await;
    b.click("#edit-address summary").await;
    b.fill("#a-line1", "12 MG Road").await;
    b.fill("#a-city", "Bengaluru").await;
    b.fill("#a-state", "Karnataka").await;
    b.fill("#a-pincode", "560001").await;
    b.click("#save-address").await;
    b.wait_text("#flash-text", "Shipping address updated.", SECS)
        .await;
    b.click("#retry-shipment").await;
    b.wait_text("#flash-text", "Shipment created successfully. AWB: ", SECS)
        .await;
    assert_eq!(b.text("#order-status").await, "Shipped");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_of_five_shows_progress_to_the_end() {
    let app = app().await;
    let mut numbers = Vec::new();
    for seq in 110..115 {
        numbers.push(place(&app, seq, None).await.0);
    }
    let b = operator(&app).await;
    for n in &numbers {
        b.click(&format!("{} td.pick input", row(n))).await;
    }
    b.click("button[value=generate_shipments]").await;
    b.wait_for("#batch-progress", SECS).await;
    let done = b
        .wait_text(
            "#batch-progress",
            "5 of 5 shipments created",
            Duration::from_secs(30),
        )
        .await;
    assert!(done.contains("finished"), "{done}");
    assert_eq!(
        b.js("return document.getElementById('batch-bar').value;")
            .await,
        5
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_an_order_with_a_shipment_warns_and_cancels_it() {
    let app = app().await;
    let (n, awb) = shipped(&app, 120).await;
    let b = operator(&app).await;
    b.goto(&format!("{}/orders/{n}", app.base)).await;
    b.click("#cancel-open").await;
    let warning = b.text("#cancel-warning").await;
    assert!(warning.contains(&awb) && warning.contains("cancels the shipment with Shiprocket"));
    b.click("#cancel-confirm").await;
    b.wait_text("#flash-text", "Order cancelled.", SECS).await;
    assert_eq!(b.text("#order-status").await, "Cancelled");
    assert!(app.sim().control().count("orders/cancel/shipment/awbs") >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_sees_no_action_buttons() {
    let app = app().await;
    let (n, _) = place(&app, 121, None).await;
    add_user(&app, "viewer@example.in", Role::Viewer).await;
    let b = browser(1280, 800).await;
    b.sign_in(&app.base, "viewer@example.in", PASSWORD).await;
    b.wait_for(&row(&n), SECS).await;
    assert_eq!(b.count("#bulk button").await, 0);
    assert_eq!(b.count("input[name=orders]").await, 0);
    b.goto(&format!("{}/orders/{n}", app.base)).await;
    b.wait_for("#timeline", SECS).await;
    assert_eq!(b.count("main form").await, 0, "no forms for a viewer");
    assert_eq!(b.count("main button:not(.copy):not(.dismiss)").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_name_with_markup_shows_as_text() {
    let app = app().await;
    let evil = "<img src=x onerror=alert(1)>";
    let (n, _) = place(&app, 122, Some(evil)).await;
    let b = operator(&app).await;
    assert_eq!(b.text(&format!("{} td.customer", row(&n))).await, evil);
    assert_eq!(b.count("td.customer img").await, 0);
    b.goto(&format!("{}/orders/{n}", app.base)).await;
    assert_eq!(b.text("#customer-name").await, evil);
    assert_eq!(b.count("main img").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mobile_viewport_shows_stacked_cards_without_sideways_scrolling() {
    let app = app().await;
    let (n, _) = place(&app, 123, None).await;
    add_user(&app, "ops@example.in", Role::Operator).await;
    let b = browser(375, 812).await;
    b.sign_in(&app.base, "ops@example.in", PASSWORD).await;
    b.wait_for(&row(&n), SECS).await;
    let display = b
        .js(&format!(
            "return getComputedStyle(document.querySelector('{}')).display;",
            row(&n).replace('\'', "\\'")
        ))
        .await;
    assert_eq!(display, "block", "rows are cards");
    let wide = b
        .js("return document.documentElement.scrollWidth <= window.innerWidth;")
        .await;
    assert_eq!(wide, true, "no sideways scrolling");
    for cell in ["td.number", "td.status", "td.total"] {
        let visible = b
            .js(&format!(
                "var r = document.querySelector('{} {cell}').getBoundingClientRect(); return r.right <= window.innerWidth && r.top < window.innerHeight;",
                row(&n).replace('\'', "\\'")
            ))
            .await;
        assert_eq!(visible, true, "{cell} visible without scrolling");
    }
    let small = b
        .js("return Array.from(document.querySelectorAll('main a.btn, main button, .tabs a, td.pick input')).filter(e => e.offsetParent && e.getBoundingClientRect().height < 44).length;")
        .await;
    assert_eq!(small, 0, "tap targets are at least 44 px");
}

/// Saves the README screenshots: list and detail, desktop (1280×800) and mobile (375×812), and checks
/// that each shows what it is for: the orders and the live status on the list, the AWB, status and
/// note on the detail page, the first row and the status inside the viewport, no sideways scrolling.
/// `ORDERLY_UPDATE_SCREENSHOTS=1 cargo test -p orderly --test browser screenshots` refreshes them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn screenshots_of_the_list_and_the_detail_page() {
    let app = app().await;
    for seq in 130..150 {
        place(&app, seq, None).await;
    }
    let (n, awb) = shipped(&app, 150).await;
    let (m, _) = shipped(&app, 151).await;
    let note = Actor::user("ops@example.in");
    let text = "Customer asked for delivery after 6 pm.";
    actions::add_note(&app.state, &n, text, &note)
        .await
        .unwrap();
    add_user(&app, "ops@example.in", Role::Operator).await;
    // The committed README images are rewritten only on request, so test runs leave the tree clean.
    let dir = if std::env::var_os("ORDERLY_UPDATE_SCREENSHOTS").is_some() {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots")
    } else {
        std::env::temp_dir().join("orderly-screenshots")
    };
    for (w, h, label) in [(1280, 800, "desktop"), (375, 812, "mobile")] {
        let b = browser(w, h).await;
        b.sign_in(&app.base, "ops@example.in", PASSWORD).await;
        b.wait_text("#live-status", "Live", SECS).await;
        // All 22 orders are listed, the first one and the live status are on screen.
        assert_eq!(b.count("tr.order-row").await, 22, "{label}");
        assert_eq!(b.count(&row(&m)).await, 1, "{label}");
        assert_in_view(&b, "tr.order-row:first-of-type td.number", label).await;
        assert_in_view(&b, "#live-status", label).await;
        assert_fits_width(&b, w, label).await;
        let list = dir.join(format!("orders-{label}.png"));
        b.screenshot(&list).await;
        assert_png_width(&list, w);

        b.goto(&format!("{}/orders/{n}", app.base)).await;
        b.wait_for("#awb", SECS).await;
        assert_eq!(b.text("#awb").await, awb, "{label}");
        assert_eq!(b.text("#order-status").await, "Shipped", "{label}");
        assert_in_view(&b, "#order-status", label).await;
        assert!(b.text("main").await.contains(text), "{label}: the note");
        assert_fits_width(&b, w, label).await;
        let detail = dir.join(format!("order-{label}.png"));
        b.screenshot(&detail).await;
        assert_png_width(&detail, w);
    }
}

/// `selector` is rendered, visible and inside the viewport (so the screenshot shows it).
async fn assert_in_view(b: &Browser, selector: &str, label: &str) {
    let script = format!(
        "var e = document.querySelector('{}'); if (!e) return 'missing'; \
         var r = e.getBoundingClientRect(), s = getComputedStyle(e); \
         if (r.width === 0 || r.height === 0 || s.visibility === 'hidden') return 'hidden'; \
         return (r.left >= 0 && r.top >= 0 && r.right <= window.innerWidth && r.bottom <= window.innerHeight) ? 'ok' : 'outside';",
        selector.replace('\'', "\\'")
    );
    assert_eq!(b.js(&script).await, "ok", "{label}: {selector}");
}

/// The page is exactly the viewport's width: no sideways scrolling.
async fn assert_fits_width(b: &Browser, width: u32, label: &str) {
    let widths = b
        .js("return [window.innerWidth, document.documentElement.scrollWidth];")
        .await;
    let wider = b
        .js(&format!(
            "return Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > {width}) \
             .slice(0, 5).map(e => e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right));"
        ))
        .await;
    assert_eq!(
        widths,
        serde_json::json!([width, width]),
        "{label}: viewport and page width; wider than {width} px: {wider}"
    );
}

/// The PNG's width (IHDR) is the viewport's.
fn assert_png_width(path: &std::path::Path, width: u32) {
    let png = std::fs::read(path).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{path:?} is a PNG");
    let w = u32::from_be_bytes(png[16..20].try_into().unwrap());
    assert_eq!(w, width, "{path:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_order_page_follows_a_change_made_elsewhere() {
    let app = app().await;
    let (n, _) = place(&app, 124, None).await;
    let b = operator(&app).await;
    b.goto(&format!("{}/orders/{n}", app.base)).await;
    b.wait_text("#live-status", "Live", SECS).await;
    b.js("window.__same_page = 7; return 1;").await;
    // Someone else (here: the action called directly) marks it processing.
    actions::mark_processing(&app.state, &n, None, &Actor::user("other@example.in"))
        .await
        .unwrap();
    b.wait_text("#order-status", "Processing", Duration::from_secs(2))
        .await;
    assert!(b.text("#timeline").await.contains("user:other@example.in"));
    assert_eq!(b.js("return window.__same_page;").await, 7, "no reload");
}
