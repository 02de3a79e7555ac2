//! The dashboard's forms over plain HTTP, on SQLite and PostgreSQL: the actions and their sentences,
//! CSRF refusal, and what each role may do.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;
mod dashboard;

use common::TestApp;
use dashboard::{PASSWORD, place, sign_in};
use orderly_store::Engine;
use orderly_store::accounts::Role;

stories!(
    the_action_forms_show_the_specs_sentences,
    a_viewer_sees_no_action_buttons_and_cannot_act,
    a_form_without_the_sessions_csrf_token_is_refused,
    only_admins_manage_users,
    only_admins_see_and_switch_webhook_endpoints,
);

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
    app.finish().await;
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
    app.finish().await;
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
    app.finish().await;
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
    app.finish().await;
}

async fn only_admins_see_and_switch_webhook_endpoints(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let endpoint = orderly_store::delivery::create_endpoint(
        &app.store,
        &orderly_store::delivery::NewEndpoint {
            url: "http://127.0.0.1:9/hook",
            secret: "whsec-test-0123456789abcdef",
            description: Some("ERP"),
        },
        time::OffsetDateTime::now_utc(),
        "test",
    )
    .await
    .unwrap();
    let op = sign_in(&app, "ops@example.in", Role::Operator).await;
    assert_eq!(op.get("/settings/webhooks").await.status(), 403);
    let path = format!("/settings/webhooks/{}/disable", endpoint.id);
    assert_eq!(op.post(&path, &[("csrf", &op.csrf)]).await.status(), 403);
    let admin = sign_in(&app, "admin@example.in", Role::Admin).await;
    let html = admin.html("/settings/webhooks").await;
    assert!(html.contains("http://127.0.0.1:9/hook") && html.contains("Enabled"));
    assert!(
        !html.contains("whsec-test"),
        "the secret is never shown again"
    );
    assert_eq!(admin.post(&path, &[("csrf", "wrong")]).await.status(), 403);
    assert_eq!(
        admin.post(&path, &[("csrf", &admin.csrf)]).await.status(),
        303
    );
    assert!(admin.html("/settings/webhooks").await.contains("Disabled"));
    app.finish().await;
}
