//! Access that ends when it should, on SQLite and PostgreSQL, through the front door: API keys are
//! listed and revoked (admin API, dashboard, command line), expire, and record their last use at
//! most once a minute; disabling a user or resetting their password signs them out everywhere;
//! live streams end on sign-out, disable, revocation and after their lifetime, and are capped per
//! user; cookies are `__Host-` and `Secure` off loopback, with HSTS behind https; HTML is never
//! compressed (BREACH).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;
mod dashboard;

use std::process::Command;
use std::time::Duration;

use common::TestApp;
use dashboard::{PASSWORD, add_user, csrf_in, form, no_redirects, set_cookie, sign_in};
use futures_util::StreamExt;
use orderly::clock::ManualClock;
use orderly_store::Engine;
use orderly_store::accounts::Role;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

stories!(
    an_admin_lists_and_revokes_a_key_over_the_api_and_it_is_refused_at_once,
    an_expired_key_answers_401_saying_it_expired,
    a_key_records_its_last_use_at_most_once_a_minute,
    an_admin_revokes_a_key_from_the_dashboard,
    the_command_line_lists_and_revokes_keys_and_disables_users,
    disabling_a_user_signs_them_out_and_ends_their_live_stream,
    a_password_reset_ends_the_users_sessions,
    signing_out_ends_the_live_stream_at_once,
    a_live_stream_ends_after_its_lifetime_and_when_its_session_is_gone,
    a_user_holds_at_most_the_configured_number_of_live_streams,
    a_revoked_key_ends_its_batch_progress_stream,
    off_loopback_cookies_are_host_prefixed_and_secure_and_https_sends_hsts,
    html_carrying_the_csrf_token_is_never_compressed,
);

/// Reads a stream until it ends (or `within` passes); returns everything it sent.
async fn read_to_end(r: reqwest::Response, within: Duration) -> String {
    let mut body = r.bytes_stream();
    let mut seen = String::new();
    tokio::time::timeout(within, async {
        while let Some(Ok(chunk)) = body.next().await {
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the stream was still open after {within:?}; got {seen:?}"));
    seen
}

async fn delete(app: &TestApp, path: &str, key: &str) -> (u16, Value) {
    let r = app
        .client
        .delete(app.url(path))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn prefix_of(key: &str) -> String {
    key.split('_').nth(1).unwrap().to_string()
}

fn key_row<'a>(list: &'a Value, prefix: &str) -> &'a Value {
    list["api_keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["prefix"] == prefix)
        .unwrap_or_else(|| panic!("{prefix} listed in {list}"))
}

async fn an_admin_lists_and_revokes_a_key_over_the_api_and_it_is_refused_at_once(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let admin = app.api_key(&["admin"]).await;
    let reader = app.api_key(&["orders:read"]).await;
    assert_eq!(app.get_json("/api/v1/orders", &reader).await.0, 200);

    let (status, list) = app.get_json("/api/v1/api-keys", &admin).await;
    assert_eq!(status, 200, "{list}");
    let row = key_row(&list, &prefix_of(&reader));
    assert_eq!(row["state"], "active");
    assert_eq!(row["scopes"], json!(["orders:read"]));
    assert!(row["created_at"].is_string() && row["last_used_at"].is_string());
    assert!(!list.to_string().contains(&reader), "never the key itself");

    // Only admins manage keys.
    let path = format!("/api/v1/api-keys/{}", prefix_of(&admin));
    assert_eq!(delete(&app, &path, &reader).await.0, 403);
    assert_eq!(app.get_json("/api/v1/api-keys", &reader).await.0, 403);

    let path = format!("/api/v1/api-keys/{}", prefix_of(&reader));
    let (status, revoked) = delete(&app, &path, &admin).await;
    assert_eq!(status, 200, "{revoked}");
    assert_eq!(revoked["state"], "revoked");
    assert!(revoked["revoked_at"].is_string());
    let (status, body) = app.get_json("/api/v1/orders", &reader).await;
    assert_eq!(status, 401, "a revoked key is refused at once: {body}");
    assert_eq!(delete(&app, &path, &admin).await.0, 200, "revoking twice");
    assert_eq!(
        delete(&app, "/api/v1/api-keys/nosuchkey", &admin).await.0,
        404
    );
}

async fn an_expired_key_answers_401_saying_it_expired(engine: Engine) {
    let clock = ManualClock::new(OffsetDateTime::now_utc());
    let app = TestApp::builder(engine).clock(clock.clone()).spawn().await;
    let admin = app.api_key(&["admin"]).await;
    let in_an_hour = (OffsetDateTime::now_utc() + time::Duration::hours(1))
        .format(&Rfc3339)
        .unwrap();
    let (status, created) = app
        .post_json(
            "/api/v1/api-keys",
            &admin,
            json!({ "name": "contractor", "scopes": ["orders:read"], "expires_at": in_an_hour }),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let key = created["key"].as_str().unwrap().to_string();
    assert_eq!(app.get_json("/api/v1/orders", &key).await.0, 200);

    clock.advance(time::Duration::hours(2));
    let (status, body) = app.get_json("/api/v1/orders", &key).await;
    assert_eq!(status, 401);
    assert!(
        body.to_string().contains("expired"),
        "the reason is given: {body}"
    );
    let (_, list) = app.get_json("/api/v1/api-keys", &admin).await;
    assert_eq!(key_row(&list, &prefix_of(&key))["state"], "expired");

    // Creating a key that is already expired, or with an unknown scope, is refused field by field.
    let (status, body) = app
        .post_json(
            "/api/v1/api-keys",
            &admin,
            json!({ "name": "x", "scopes": ["orders:read", "root"], "expires_at": "2020-01-01T00:00:00Z" }),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let text = body.to_string();
    assert!(
        text.contains("/expires_at") && text.contains("/scopes/1"),
        "{text}"
    );
}

async fn a_key_records_its_last_use_at_most_once_a_minute(engine: Engine) {
    let start = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let clock = ManualClock::new(start);
    let app = TestApp::builder(engine).clock(clock.clone()).spawn().await;
    let admin = app.api_key(&["admin"]).await;
    let reader = app.api_key(&["orders:read"]).await;
    let last_used = || async {
        let (_, list) = app.get_json("/api/v1/api-keys", &admin).await;
        let at = key_row(&list, &prefix_of(&reader))["last_used_at"].clone();
        at.as_str()
            .map(|s| OffsetDateTime::parse(s, &Rfc3339).unwrap())
    };
    assert_eq!(last_used().await, None, "never used yet");
    for _ in 0..3 {
        assert_eq!(app.get_json("/api/v1/orders", &reader).await.0, 200);
    }
    assert_eq!(last_used().await, Some(start));
    clock.advance(time::Duration::seconds(30));
    assert_eq!(app.get_json("/api/v1/orders", &reader).await.0, 200);
    assert_eq!(
        last_used().await,
        Some(start),
        "not written again within the minute"
    );
    clock.advance(time::Duration::seconds(40));
    assert_eq!(app.get_json("/api/v1/orders", &reader).await.0, 200);
    assert_eq!(last_used().await, Some(start + time::Duration::seconds(70)));
}

async fn an_admin_revokes_a_key_from_the_dashboard(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let reader = app.api_key(&["orders:read"]).await;
    let prefix = prefix_of(&reader);
    let admin = sign_in(&app, "admin@example.in", Role::Admin).await;
    let html = admin.html("/settings/api-keys").await;
    assert!(html.contains(&prefix) && html.contains("orders:read"));
    assert!(!html.contains(&reader), "never the key itself");

    let op = sign_in(&app, "ops@example.in", Role::Operator).await;
    assert_eq!(op.get("/settings/api-keys").await.status(), 403);
    let path = format!("/settings/api-keys/{prefix}/revoke");
    assert_eq!(
        op.post(&path, &[("csrf", &op.csrf)]).await.status(),
        403,
        "operators cannot revoke"
    );
    assert_eq!(
        admin.post(&path, &[("csrf", "forged")]).await.status(),
        403,
        "CSRF checked"
    );
    assert_eq!(app.get_json("/api/v1/orders", &reader).await.0, 200);

    let r = admin.post(&path, &[("csrf", &admin.csrf)]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(app.get_json("/api/v1/orders", &reader).await.0, 401);
    assert!(admin.html("/settings/api-keys").await.contains("Revoked"));
}

fn orderly(app: &TestApp, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_orderly"))
        .args(args)
        .env("ORDERLY_DATABASE_URL", &app.database_url)
        .env("ORDERLY_LOG", "warn")
        .output()
        .unwrap()
}

fn stdout(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

async fn the_command_line_lists_and_revokes_keys_and_disables_users(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let out = orderly(
        &app,
        &[
            "apikey",
            "create",
            "--name",
            "reporting",
            "--scope",
            "orders:read",
            "--expires-in",
            "30d",
        ],
    );
    let key = stdout(&out).trim().to_string();
    let prefix = prefix_of(&key);
    assert_eq!(app.get_json("/api/v1/orders", &key).await.0, 200);
    let list = stdout(&orderly(&app, &["apikey", "list"]));
    let line = list.lines().find(|l| l.contains(&prefix)).unwrap();
    assert!(
        line.contains("active") && line.contains("reporting") && !line.contains("expires never"),
        "{line}"
    );

    stdout(&orderly(&app, &["apikey", "revoke", &prefix]));
    assert_eq!(app.get_json("/api/v1/orders", &key).await.0, 401);
    let list = stdout(&orderly(&app, &["apikey", "list"]));
    assert!(
        list.lines()
            .any(|l| l.contains(&prefix) && l.contains("revoked"))
    );
    assert!(
        !orderly(&app, &["apikey", "revoke", "nosuchkey"])
            .status
            .success()
    );

    let op = sign_in(&app, "ops@example.in", Role::Operator).await;
    assert_eq!(op.get("/orders").await.status(), 200);
    stdout(&orderly(
        &app,
        &["user", "disable", "--email", "ops@example.in"],
    ));
    assert_eq!(op.get("/orders").await.status(), 303, "the session ended");
    assert_eq!(
        dashboard::try_sign_in(&app, "ops@example.in", PASSWORD)
            .await
            .status(),
        401,
        "a disabled user cannot sign in"
    );
}

/// The id in the users page's disable form for `email`.
fn user_id_in(html: &str, email: &str) -> String {
    let at = html
        .find(&format!("Disable {email}"))
        .expect("a disable button");
    let form = &html[..at];
    let start = form.rfind("/settings/users/").unwrap() + "/settings/users/".len();
    form[start..].split('/').next().unwrap().to_string()
}

async fn disabling_a_user_signs_them_out_and_ends_their_live_stream(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let admin = sign_in(&app, "admin@example.in", Role::Admin).await;
    let op = sign_in(&app, "ops@example.in", Role::Operator).await;
    let stream = op.get("/events").await;
    assert_eq!(stream.status(), 200);
    let html = admin.html("/settings/users").await;
    assert!(
        !html.contains("Disable admin@example.in"),
        "admins cannot disable themselves"
    );
    let id = user_id_in(&html, "ops@example.in");
    let path = format!("/settings/users/{id}/disable");
    assert_eq!(op.post(&path, &[("csrf", &op.csrf)]).await.status(), 403);

    let r = admin.post(&path, &[("csrf", &admin.csrf)]).await;
    assert_eq!(r.status(), 303);
    let seen = read_to_end(stream, Duration::from_secs(3)).await;
    assert!(seen.contains("account_changed"), "{seen:?}");
    assert_eq!(op.get("/orders").await.status(), 303, "signed out");
    assert_eq!(
        dashboard::try_sign_in(&app, "ops@example.in", PASSWORD)
            .await
            .status(),
        401
    );
    assert!(
        !admin
            .html("/settings/users")
            .await
            .contains("ops@example.in")
    );
}

async fn a_password_reset_ends_the_users_sessions(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let admin = sign_in(&app, "admin@example.in", Role::Admin).await;
    let op = sign_in(&app, "ops@example.in", Role::Operator).await;
    assert_eq!(op.get("/orders").await.status(), 200);
    let r = admin
        .post(
            "/settings/users",
            &[
                ("csrf", &admin.csrf),
                ("email", "ops@example.in"),
                ("role", "viewer"),
                ("password", "a-brand-new-password"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        op.get("/orders").await.status(),
        303,
        "the old session no longer works after a password and role change"
    );
    // The same through the store (the command line's `user add` on an existing user).
    add_user(&app, "admin@example.in", Role::Admin).await;
    assert_eq!(admin.get("/orders").await.status(), 303);
}

async fn signing_out_ends_the_live_stream_at_once(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let op = sign_in(&app, "ops@example.in", Role::Operator).await;
    let stream = op.get("/events").await;
    assert_eq!(stream.status(), 200);
    let other = op.get("/events").await;
    let r = op.post("/logout", &[("csrf", &op.csrf)]).await;
    assert_eq!(r.status(), 303);
    for s in [stream, other] {
        let seen = read_to_end(s, Duration::from_secs(2)).await;
        assert!(seen.contains("signed_out"), "{seen:?}");
    }
}

async fn a_live_stream_ends_after_its_lifetime_and_when_its_session_is_gone(engine: Engine) {
    let app = TestApp::builder(engine)
        .settings(|s| {
            s.streams.max_lifetime = Duration::from_secs(1);
            s.streams.recheck = Duration::from_millis(200);
        })
        .spawn()
        .await;
    let op = sign_in(&app, "ops@example.in", Role::Operator).await;
    let started = std::time::Instant::now();
    let seen = read_to_end(op.get("/events").await, Duration::from_secs(3)).await;
    assert!(seen.contains("expired"), "{seen:?}");
    assert!(started.elapsed() >= Duration::from_millis(900));

    // A session removed behind this instance's back (another instance signed it out) is noticed
    // at the next check.
    let stream = op.get("/events").await;
    let token = op.cookie.trim_start_matches("orderly_session=");
    orderly_store::accounts::delete_session(&app.store, token, OffsetDateTime::now_utc())
        .await
        .unwrap();
    let seen = read_to_end(stream, Duration::from_secs(2)).await;
    assert!(seen.contains("revoked"), "{seen:?}");
}

async fn a_user_holds_at_most_the_configured_number_of_live_streams(engine: Engine) {
    let app = TestApp::builder(engine)
        .settings(|s| s.streams.per_caller = 2)
        .spawn()
        .await;
    let op = sign_in(&app, "ops@example.in", Role::Operator).await;
    let first = op.get("/events").await;
    let _second = op.get("/events").await;
    assert_eq!(_second.status(), 200);
    let third = op.get("/events").await;
    assert_eq!(third.status(), 429);
    assert!(
        third
            .text()
            .await
            .unwrap()
            .contains("Close some Orderly tabs")
    );
    // Another user is not affected, and a closed stream gives its place back.
    let viewer = sign_in(&app, "viewer@example.in", Role::Viewer).await;
    assert_eq!(viewer.get("/events").await.status(), 200);
    drop(first);
    let mut again = 0;
    for _ in 0..20 {
        again = op.get("/events").await.status().as_u16();
        if again == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(again, 200);
}

async fn a_revoked_key_ends_its_batch_progress_stream(engine: Engine) {
    // A batch nobody works on (created in the store, no runner) keeps its progress stream open
    // until the batch finishes: revoking the key must end it instead.
    let app = TestApp::builder(engine).web_only().spawn().await;
    let reader = app.api_key(&["orders:read"]).await;
    let admin = app.api_key(&["admin"]).await;
    let number = app.place(41).await;
    let id = orderly_store::fulfilment::create_batch(
        &app.store,
        "mark_processing",
        "test",
        &[number],
        OffsetDateTime::now_utc(),
    )
    .await
    .unwrap();
    let stream = app
        .client
        .get(app.url(&format!("/api/v1/batches/{id}/events")))
        .bearer_auth(&reader)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    let reading = tokio::spawn(read_to_end(stream, Duration::from_secs(3)));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let path = format!("/api/v1/api-keys/{}", prefix_of(&reader));
    assert_eq!(delete(&app, &path, &admin).await.0, 200);
    let seen = reading.await.unwrap();
    assert!(seen.contains("progress"), "{seen:?}");
    assert!(seen.contains(r#""reason":"revoked""#), "{seen:?}");
}

async fn off_loopback_cookies_are_host_prefixed_and_secure_and_https_sends_hsts(engine: Engine) {
    let app = TestApp::builder(engine)
        .settings(|s| s.public_url = Some("https://orders.example.in".into()))
        .spawn()
        .await;
    add_user(&app, "ops@example.in", Role::Operator).await;
    let client = no_redirects();
    let page = client.get(app.url("/login")).send().await.unwrap();
    assert_eq!(
        page.headers()["strict-transport-security"],
        "max-age=31536000"
    );
    let raw: Vec<String> = page
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    let login = raw
        .iter()
        .find(|c| c.starts_with("__Host-orderly_login="))
        .unwrap_or_else(|| panic!("{raw:?}"));
    assert!(login.contains("; Secure") && login.contains("Path=/") && !login.contains("Domain"));
    let login_cookie = set_cookie(&page, "__Host-orderly_login").unwrap();
    let csrf = csrf_in(&page.text().await.unwrap());
    let r = client
        .post(app.url("/login"))
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
    assert_eq!(r.status(), 303);
    let set = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        set.starts_with("__Host-orderly_session=") && set.contains("; Secure"),
        "{set}"
    );
    let session = set_cookie(&r, "__Host-orderly_session").unwrap();
    let orders = client
        .get(app.url("/orders"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(orders.status(), 200);
    // The plain name is not accepted in its place.
    let plain = session.replace("__Host-orderly_session", "orderly_session");
    let r = client
        .get(app.url("/orders"))
        .header("cookie", plain)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
}

async fn html_carrying_the_csrf_token_is_never_compressed(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let op = sign_in(&app, "ops@example.in", Role::Operator).await;
    for path in ["/orders", "/settings/fulfilment"] {
        let r = op
            .client
            .get(app.url(path))
            .header("cookie", &op.cookie)
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.headers().get("content-encoding").is_none(), "{path}");
        assert!(r.text().await.unwrap().contains("name=\"csrf\""));
    }
    let login = reqwest::Client::new()
        .get(app.url("/login"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert!(login.headers().get("content-encoding").is_none());
    // Loopback in tests: plain names, no Secure, no HSTS.
    assert!(login.headers().get("strict-transport-security").is_none());
}
