//! The dashboard over plain HTTP (no browser), on SQLite and PostgreSQL: sessions, roles, CSRF,
//! the login rate limit, security headers, escaping, filters, search and the live stream.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;
mod dashboard;

use std::time::Duration;

use common::TestApp;
use dashboard::{PASSWORD, add_user, place, sign_in, try_sign_in};
use futures_util::StreamExt;
use orderly_store::Engine;
use orderly_store::accounts::Role;

stories!(
    every_dashboard_route_redirects_to_login_without_a_session,
    an_operator_signs_in_and_sees_an_order_placed_through_the_intake,
    a_wrong_password_is_refused_without_saying_which_part_was_wrong,
    the_sixth_failed_sign_in_within_fifteen_minutes_is_refused_with_a_clear_message,
    a_form_without_the_sessions_csrf_token_is_refused,
    a_viewer_sees_no_action_buttons_and_cannot_act,
    html_pages_carry_a_strict_content_security_policy_and_no_inline_script,
    session_cookies_are_http_only_and_same_site_lax,
    a_customer_name_with_markup_is_shown_as_text,
    the_status_tabs_filter_and_count_orders,
    search_finds_an_order_by_number_and_by_phone_in_another_spelling,
    opening_an_order_stops_highlighting_it_as_new,
    the_live_stream_announces_a_new_order_within_two_seconds,
    a_reconnecting_stream_catches_up_with_last_event_id,
    static_assets_are_cached_for_a_year_and_compressed,
    signing_out_ends_the_session,
    only_admins_manage_users,
    the_action_forms_show_the_specs_sentences,
);

/// Two `orderly serve` instances on one PostgreSQL database: a change made through one reaches a
/// dashboard connected to the other (LISTEN/NOTIFY).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_postgresql_share_live_updates() {
    let a = TestApp::spawn(Engine::Postgres).await;
    let mut settings = orderly::Settings::local_defaults();
    settings.bind = "127.0.0.1:0".parse().unwrap();
    settings.database_url = a.database_url.clone();
    let store =
        orderly_store::Store::connect(&a.database_url, orderly_store::StoreOptions::default())
            .await
            .unwrap();
    let b = orderly::Application::build_with_store(settings, store)
        .await
        .unwrap();
    let b_base = format!("http://{}", b.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(b.run_until(async move {
        let _ = stopped.await;
    }));
    // Sessions live in the shared database: a cookie from A works on B.
    let op = sign_in(&a, "ops@example.in", Role::Operator).await;
    let stream = op
        .client
        .get(format!("{b_base}/events"))
        .header("cookie", &op.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    let placing = async {
        // Give B's listener a moment to be subscribed.
        tokio::time::sleep(Duration::from_millis(500)).await;
        place(&a, 40, None).await.0
    };
    let (seen, number) = tokio::join!(
        read_until(stream, "\"kind\":\"placed\"", Duration::from_secs(3)),
        placing
    );
    assert!(seen.contains(&number), "B heard about {number}: {seen}");
    let _ = stop.send(());
}

async fn the_action_forms_show_the_specs_sentences(engine: Engine) {
    let app = TestApp::spawn_with_sim(engine, shiprocket_sim::SimConfig::default()).await;
    let (n, _) = place(&app, 42, None).await;
    let op = sign_in(&app, "ops@example.in", Role::Operator).await;
    let page = op.html(&format!("/orders/{n}")).await;
    let version = page
        .split("name=\"expected_version\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    // A stale version is refused and the order page says so.
    let r = op
        .post(
            &format!("/orders/{n}/process"),
            &[("csrf", &op.csrf), ("expected_version", "999")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert!(
        op.html(&to)
            .await
            .contains("This order changed while you were looking at it")
    );
    let r = op
        .post(
            &format!("/orders/{n}/process"),
            &[("csrf", &op.csrf), ("expected_version", &version)],
        )
        .await;
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert!(op.html(&to).await.contains("Order marked as Processing."));
    let r = op
        .post(
            &format!("/orders/{n}/notes"),
            &[
                ("csrf", &op.csrf),
                ("text", "Customer contacted for address correction"),
            ],
        )
        .await;
    let to = r.headers()["location"].to_str().unwrap().to_string();
    let html = op.html(&to).await;
    assert!(
        html.contains("Note added.") && html.contains("Customer contacted for address correction")
    );
    let r = op
        .post(&format!("/orders/{n}/ship"), &[("csrf", &op.csrf)])
        .await;
    let to = r.headers()["location"].to_str().unwrap().to_string();
    let html = op.html(&to).await;
    let awb = html
        .split("id=\"awb\">")
        .nth(1)
        .unwrap_or_else(|| panic!("no AWB after {to}"))
        .split('<')
        .next()
        .unwrap();
    assert!(html.contains(&format!("Shipment created successfully. AWB: {awb}")));
    assert!(html.contains("Attempt 1"), "the attempt is listed");
    // Shipping again is refused with a sentence, not an internal error.
    let r = op
        .post(&format!("/orders/{n}/ship"), &[("csrf", &op.csrf)])
        .await;
    assert_eq!(r.status(), 409);
}

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
}

async fn a_form_without_the_sessions_csrf_token_is_refused(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (number, _) = place(&app, 2, None).await;
    let op = sign_in(&app, "ops@example.in", Role::Operator).await;
    for token in ["", "0000", "forged-token"] {
        let r = op
            .post(&format!("/orders/{number}/process"), &[("csrf", token)])
            .await;
        assert_eq!(r.status(), 403, "csrf {token:?}");
    }
    let r = op.post("/logout", &[("csrf", "wrong")]).await;
    assert_eq!(r.status(), 403);
    // The session still works: nothing happened.
    assert_eq!(op.get("/orders").await.status(), 200);
    // The login form's own token must match its cookie.
    let r = dashboard::no_redirects()
        .post(app.url("/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(dashboard::form(&[
            ("email", "ops@example.in"),
            ("password", PASSWORD),
            ("csrf", "x"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

async fn a_viewer_sees_no_action_buttons_and_cannot_act(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (number, _) = place(&app, 3, None).await;
    let viewer = sign_in(&app, "viewer@example.in", Role::Viewer).await;
    let list = viewer.html("/orders").await;
    assert!(!list.contains("Generate Shipments"));
    assert!(!list.contains("name=\"orders\""));
    let detail = viewer.html(&format!("/orders/{number}")).await;
    for action in [
        "Mark as Processing",
        "Generate",
        "Cancel Order",
        "Add note",
        "Edit shipping address",
    ] {
        assert!(!detail.contains(action), "a viewer sees {action:?}");
    }
    for path in ["process", "ship", "retry", "cancel", "notes"] {
        let r = viewer
            .post(
                &format!("/orders/{number}/{path}"),
                &[("csrf", &viewer.csrf), ("reason", "x"), ("text", "x")],
            )
            .await;
        assert_eq!(r.status(), 403, "viewer POST {path}");
    }
    let r = viewer
        .post(
            "/orders/bulk",
            &[
                ("csrf", &viewer.csrf),
                ("orders", &number),
                ("kind", "mark_processing"),
            ],
        )
        .await;
    assert_eq!(r.status(), 403);
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
    let all = op.html("/orders?tab=all").await;
    assert!(all.contains("data-count=\"all\">2<"), "count of all");
    let failed = op.html("/orders?tab=failed").await;
    assert!(failed.contains("No orders match"));
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
}

async fn opening_an_order_stops_highlighting_it_as_new(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (a, _) = place(&app, 10, None).await;
    let op = sign_in(&app, "ops@example.in", Role::Operator).await;
    assert!(op.html("/orders").await.contains("order-row new"));
    op.html(&format!("/orders/{a}")).await;
    assert!(!op.html("/orders").await.contains("order-row new"));
}

/// Reads SSE frames until one contains `needle`, or fails after `within`.
async fn read_until(r: reqwest::Response, needle: &str, within: Duration) -> String {
    let mut body = r.bytes_stream();
    let mut seen = String::new();
    tokio::time::timeout(within, async {
        while let Some(chunk) = body.next().await {
            seen.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
            if seen.contains(needle) {
                return;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no {needle:?} within {within:?}; got {seen:?}"));
    seen
}

async fn the_live_stream_announces_a_new_order_within_two_seconds(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let op = sign_in(&app, "ops@example.in", Role::Operator).await;
    let stream = op.get("/events").await;
    assert_eq!(stream.status(), 200);
    assert!(
        stream.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let started = std::time::Instant::now();
    let placing = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        place(&app, 11, None).await.0
    };
    let (seen, number) = tokio::join!(
        read_until(stream, "\"kind\":\"placed\"", Duration::from_secs(2)),
        placing
    );
    assert!(seen.contains(&number));
    assert!(started.elapsed() < Duration::from_secs(2));
}

async fn a_reconnecting_stream_catches_up_with_last_event_id(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let op = sign_in(&app, "ops@example.in", Role::Operator).await;
    let stream = op.get("/events").await;
    let placing = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        place(&app, 12, None).await.0
    };
    let (seen, _) = tokio::join!(
        read_until(stream, "\"kind\":\"placed\"", Duration::from_secs(3)),
        placing
    );
    let id = seen
        .lines()
        .find_map(|l| l.strip_prefix("id:"))
        .unwrap()
        .trim()
        .to_string();
    // Disconnected; meanwhile another order arrives.
    let (missed, _) = place(&app, 13, None).await;
    let again = op
        .client
        .get(app.url("/events"))
        .header("cookie", &op.cookie)
        .header("last-event-id", &id)
        .send()
        .await
        .unwrap();
    let replay = read_until(again, &missed, Duration::from_secs(2)).await;
    assert!(replay.contains("event: change") || replay.contains("event:change"));
    // An id from another instance asks for a resync.
    let other = op.get("/events?since=deadbeef-1").await;
    read_until(other, "resync", Duration::from_secs(2)).await;
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
}

async fn signing_out_ends_the_session(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let op = sign_in(&app, "ops@example.in", Role::Operator).await;
    let r = op.post("/logout", &[("csrf", &op.csrf)]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(op.get("/orders").await.status(), 303);
}

async fn only_admins_manage_users(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let op = sign_in(&app, "ops@example.in", Role::Operator).await;
    assert_eq!(op.get("/settings/users").await.status(), 403);
    let r = op
        .post(
            "/settings/users",
            &[
                ("csrf", &op.csrf),
                ("email", "x@example.in"),
                ("role", "admin"),
                ("password", "long-enough-password"),
            ],
        )
        .await;
    assert_eq!(r.status(), 403);
    let admin = sign_in(&app, "admin@example.in", Role::Admin).await;
    let r = admin
        .post(
            "/settings/users",
            &[
                ("csrf", &admin.csrf),
                ("email", "new@example.in"),
                ("role", "viewer"),
                ("password", "long-enough-password"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert!(
        admin
            .html("/settings/users")
            .await
            .contains("new@example.in")
    );
}
