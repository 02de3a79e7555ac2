//! The dashboard over plain HTTP (no browser), on SQLite and PostgreSQL: sessions, roles, CSRF,
//! the login rate limit, security headers, escaping, filters, search and the live stream.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;
mod dashboard;

use common::TestApp;
use dashboard::{PASSWORD, add_user, place, sign_in, try_sign_in};
use orderly_store::Engine;
use orderly_store::accounts::Role;

stories!(
    every_dashboard_route_redirects_to_login_without_a_session,
    every_html_route_in_the_router_redirects_to_login_without_a_session,
    a_list_that_cannot_load_says_so_and_offers_retry,
    an_operator_signs_in_and_sees_an_order_placed_through_the_intake,
    a_wrong_password_is_refused_without_saying_which_part_was_wrong,
    the_sixth_failed_sign_in_within_fifteen_minutes_is_refused_with_a_clear_message,
    html_pages_carry_a_strict_content_security_policy_and_no_inline_script,
    session_cookies_are_http_only_and_same_site_lax,
    a_customer_name_with_markup_is_shown_as_text,
    the_status_tabs_filter_and_count_orders,
    search_finds_an_order_by_number_and_by_phone_in_another_spelling,
    opening_an_order_stops_highlighting_it_as_new,
    static_assets_are_cached_for_a_year_and_compressed,
    signing_out_ends_the_session,
);

async fn every_dashboard_route_redirects_to_login_without_a_session(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let client = dashboard::no_redirects();
    for (method, path) in orderly::web::AUTHENTICATED_ROUTES {
        let req = match *method {
            "GET" => client.get(app.url(path)),
            _ => client
                .post(app.url(path))
                .header("content-type", "application/x-www-form-urlencoded")
                .body("csrf=x"),
        };
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), 303, "{method} {path}");
        let to = r.headers()["location"].to_str().unwrap();
        assert!(to.starts_with("/login?next="), "{method} {path} -> {to}");
    }
    // And a made-up session cookie is no better than none.
    let r = client
        .get(app.url("/orders"))
        .header("cookie", "orderly_session=forged")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    app.finish().await;
}

async fn an_operator_signs_in_and_sees_an_order_placed_through_the_intake(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (number, _) = place(&app, 1, None).await;
    let op = sign_in(&app, "ops@example.in", Role::Operator).await;
    let html = op.html("/orders").await;
    assert!(html.contains(&number), "the list shows {number}");
    assert!(html.contains("badge-new"), "a new order is highlighted");
    let detail = op.html(&format!("/orders/{number}")).await;
    assert!(detail.contains("Mark as Processing"));
    assert!(detail.contains("Status history"));
    app.finish().await;
}

async fn a_wrong_password_is_refused_without_saying_which_part_was_wrong(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    add_user(&app, "ops@example.in", Role::Operator).await;
    let r = try_sign_in(&app, "ops@example.in", "not-the-password").await;
    assert_eq!(r.status(), 401);
    assert!(r.text().await.unwrap().contains(orderly::web::auth::WRONG));
    let r = try_sign_in(&app, "nobody@example.in", PASSWORD).await;
    assert_eq!(r.status(), 401);
    assert!(r.text().await.unwrap().contains(orderly::web::auth::WRONG));
    app.finish().await;
}

async fn the_sixth_failed_sign_in_within_fifteen_minutes_is_refused_with_a_clear_message(
    engine: Engine,
) {
    let app = TestApp::spawn(engine).await;
    add_user(&app, "ops@example.in", Role::Operator).await;
    for _ in 0..5 {
        assert_eq!(
            try_sign_in(&app, "ops@example.in", "wrong-password!")
                .await
                .status(),
            401
        );
    }
    // Even the right password is refused now.
    let r = try_sign_in(&app, "ops@example.in", PASSWORD).await;
    assert_eq!(r.status(), 429);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains(orderly::web::auth::TOO_MANY)
    );
    // Another account is not affected.
    add_user(&app, "other@example.in", Role::Viewer).await;
    assert_eq!(
        try_sign_in(&app, "other@example.in", PASSWORD)
            .await
            .status(),
        303
    );
    app.finish().await;
}

async fn html_pages_carry_a_strict_content_security_policy_and_no_inline_script(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (number, _) = place(&app, 4, None).await;
    let op = sign_in(&app, "ops@example.in", Role::Operator).await;
    for path in [
        "/orders".to_string(),
        format!("/orders/{number}"),
        "/login".to_string(),
    ] {
        let r = op.get(&path).await;
        let csp = r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"));
        assert_eq!(r.headers()["x-frame-options"], "DENY");
        assert_eq!(r.headers()["x-content-type-options"], "nosniff");
        let html = r.text().await.unwrap();
        for (i, _) in html.match_indices("<script") {
            let tag = &html[i..i + html[i..].find('>').unwrap()];
            assert!(
                tag.contains("src=\"/static/"),
                "{path}: inline or foreign script {tag}"
            );
        }
        assert!(!html.contains(" onclick="), "{path}: inline handler");
        assert!(
            !html.contains("http://") || !html.contains("<link rel=\"stylesheet\" href=\"http")
        );
    }
    app.finish().await;
}

async fn session_cookies_are_http_only_and_same_site_lax(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    add_user(&app, "ops@example.in", Role::Operator).await;
    let r = try_sign_in(&app, "ops@example.in", PASSWORD).await;
    let set: Vec<_> = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    let session = set
        .iter()
        .find(|c| c.starts_with("orderly_session="))
        .unwrap();
    assert!(session.contains("HttpOnly"));
    assert!(session.contains("SameSite=Lax"));
    assert!(!session.contains("Secure"), "plain http in tests");
    let token = session
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("orderly_session=");
    // Only a hash of the token is stored.
    let stored =
        orderly_store::accounts::session(&app.store, token, time::OffsetDateTime::now_utc())
            .await
            .unwrap();
    assert!(stored.is_some());
    app.finish().await;
}

async fn a_customer_name_with_markup_is_shown_as_text(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let evil = "<img src=x onerror=alert(1)>";
    let (number, _) = place(&app, 5, Some(evil)).await;
    let op = sign_in(&app, "ops@example.in", Role::Operator).await;
    for path in ["/orders".to_string(), format!("/orders/{number}")] {
        let html = op.html(&path).await;
        assert!(!html.contains(evil), "{path} carries raw markup");
        assert!(
            html.contains("&#60;img src=x onerror=alert(1)&#62;")
                || html.contains("&lt;img src=x onerror=alert(1)&gt;"),
            "{path}"
        );
    }
    app.finish().await;
}

async fn the_status_tabs_filter_and_count_orders(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (a, _) = place(&app, 6, None).await;
    let (b, _) = place(&app, 7, None).await;
    sqlx::query("UPDATE orders SET status = 'shipped' WHERE order_number = $1")
        .bind(&b)
        .execute(app.store.writer())
        .await
        .unwrap();
    let op = sign_in(&app, "ops@example.in", Role::Operator).await;
    let placed = op.html("/orders?tab=placed").await;
    assert!(placed.contains(&a) && !placed.contains(&format!(">{b}<")));
    let shipped = op.html("/orders?tab=shipped").await;
    assert!(shipped.contains(&format!(">{b}<")) && !shipped.contains(&format!(">{a}<")));
    // Tab counts are cached and refreshed in the background after a change (debounced, see
    // web/counts.rs), so they follow the intake within a moment rather than in the same request.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let all = op.html("/orders?tab=all").await;
        if all.contains("data-count=\"all\">2<") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the count of all never reached 2"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let failed = op.html("/orders?tab=failed").await;
    assert!(failed.contains("No orders match"));
    app.finish().await;
}

async fn search_finds_an_order_by_number_and_by_phone_in_another_spelling(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (a, env) = place(&app, 8, None).await;
    let (b, _) = place(&app, 9, None).await;
    let op = sign_in(&app, "ops@example.in", Role::Operator).await;
    let html = op
        .html(&format!("/orders?tab=all&q={}", a.to_lowercase()))
        .await;
    assert!(html.contains(&format!(">{a}<")) && !html.contains(&format!(">{b}<")));
    let phone: String = env["data"]["customer"]["phone"]
        .as_str()
        .unwrap()
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let last10 = &phone[phone.len() - 10..];
    let spelled = format!("+91 {} {}", &last10[..5], &last10[5..]);
    let html = op
        .html(&format!(
            "/orders?tab=all&q={}",
            orderly::web::urlencode(&spelled)
        ))
        .await;
    assert!(html.contains(&format!(">{a}<")), "phone search");
    app.finish().await;
}

async fn opening_an_order_stops_highlighting_it_as_new(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (a, _) = place(&app, 10, None).await;
    let op = sign_in(&app, "ops@example.in", Role::Operator).await;
    assert!(op.html("/orders").await.contains("order-row new"));
    op.html(&format!("/orders/{a}")).await;
    assert!(!op.html("/orders").await.contains("order-row new"));
    app.finish().await;
}

async fn static_assets_are_cached_for_a_year_and_compressed(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    for path in ["/static/app.css", "/static/app.js"] {
        let r = reqwest::Client::new()
            .get(app.url(path))
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(
            r.headers()["cache-control"]
                .to_str()
                .unwrap()
                .contains("max-age=31536000")
        );
        assert_eq!(r.headers()["content-encoding"], "gzip", "{path}");
    }
    assert_eq!(
        reqwest::get(app.url("/static/nope.js"))
            .await
            .unwrap()
            .status(),
        404
    );
    app.finish().await;
}

async fn signing_out_ends_the_session(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let op = sign_in(&app, "ops@example.in", Role::Operator).await;
    let r = op.post("/logout", &[("csrf", &op.csrf)]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(op.get("/orders").await.status(), 303);
    app.finish().await;
}

/// Walks `router.rs` itself, so a page added later without a session check fails here.
async fn every_html_route_in_the_router_redirects_to_login_without_a_session(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let client = dashboard::no_redirects();
    let router = include_str!("../src/router.rs");
    let mut checked = 0;
    for line in router
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with(".route(\""))
    {
        let path = line.split('"').nth(1).unwrap();
        if path.starts_with("/api/")
            || path == "/metrics"
            || orderly::router::PUBLIC_ROUTES.contains(&path)
        {
            continue;
        }
        let concrete = path
            .replace("{order_number}", "ORD-1")
            .replace("{id}", "1")
            .replace("{name}", "x")
            .replace("{action}", "disable");
        for (method, marker) in [("GET", "get("), ("POST", "post(")] {
            if !line.contains(marker) {
                continue;
            }
            let req = if method == "GET" {
                client.get(app.url(&concrete))
            } else {
                client
                    .post(app.url(&concrete))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body("csrf=x")
            };
            let r = req.send().await.unwrap();
            assert_eq!(r.status(), 303, "{method} {path}");
            let to = r.headers()["location"].to_str().unwrap();
            assert!(to.starts_with("/login?next="), "{method} {path} -> {to}");
            checked += 1;
        }
    }
    assert!(checked >= 18, "only {checked} routes found in router.rs");
    app.finish().await;
}

async fn a_list_that_cannot_load_says_so_and_offers_retry(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (number, _) = place(&app, 60, None).await;
    let op = sign_in(&app, "ops@example.in", Role::Operator).await;
    sqlx::query("ALTER TABLE orders RENAME TO orders_away")
        .execute(app.store.writer())
        .await
        .unwrap();
    let r = op.get("/orders?tab=placed").await;
    assert_eq!(r.status(), 503);
    let html = r.text().await.unwrap();
    assert!(html.contains(orderly::web::orders::LOAD_FAILED));
    assert!(html.contains("id=\"retry\""));
    sqlx::query("ALTER TABLE orders_away RENAME TO orders")
        .execute(app.store.writer())
        .await
        .unwrap();
    // Retry (the same URL) works again.
    assert!(op.html("/orders?tab=placed").await.contains(&number));
    app.finish().await;
}
