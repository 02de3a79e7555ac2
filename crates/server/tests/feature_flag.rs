//! The fulfilment rollout flag through the front door, on SQLite and PostgreSQL: each stage's gating
//! at `feature::check` and the API, the stable percent stage, the API, the settings page and the CLI,
//! and intake that never depends on the flag. The rollback guard is in `feature_rollback.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;
mod dashboard;
mod feature_flag_support;

use common::TestApp;
use feature_flag_support::*;
use orderly::feature;
use orderly_domain::feature::{ORDER_FULFILLMENT, bucket};
use orderly_store::Engine;
use orderly_store::accounts::Role;
use serde_json::{Value, json};

stories!(
    intake_is_unaffected_in_every_stage,
    the_flag_starts_from_config_until_someone_sets_it,
    each_stage_opens_fulfilment_to_the_right_people_and_orders,
    the_percent_stage_is_stable_for_an_order,
    the_api_reads_the_flag_and_only_admins_change_it_with_a_reason,
    the_settings_page_shows_the_stage_and_admins_change_it,
    the_settings_page_states_the_configured_rollback_limits,
    the_cli_sets_and_shows_the_flag_with_a_reason,
    the_api_refuses_fulfilment_actions_outside_the_flag,
);

async fn intake_is_unaffected_in_every_stage(engine: Engine) {
    let app = spawn(engine, None).await;
    for (seq, stage) in [
        (1u64, "off"),
        (2, "internal:a@brand.in"),
        (3, "percent:0"),
        (4, "on"),
    ] {
        set(&app, stage).await;
        let n = app.place(seq).await;
        assert_eq!(status_of(&app, &n).await, "placed", "{stage}");
    }
    app.finish().await;
}

async fn the_flag_starts_from_config_until_someone_sets_it(engine: Engine) {
    let app = spawn(engine, Some("percent:30")).await;
    let key = app.api_key(&["orders:read"]).await;
    let (status, flag) = app
        .get_json("/api/v1/feature-flags/order-fulfillment", &key)
        .await;
    assert_eq!(status, 200, "{flag}");
    assert_eq!(flag["stage"], "percent");
    assert_eq!(flag["percent"], 30);
    assert_eq!(flag["source"], "config");
    assert_eq!(flag["version"], 0);
    set(&app, "off").await;
    let (_, flag) = app
        .get_json("/api/v1/feature-flags/order-fulfillment", &key)
        .await;
    assert_eq!(flag["stage"], "off");
    assert_eq!(flag["source"], "database");

    let unset = spawn(engine, None).await;
    let key = unset.api_key(&["orders:read"]).await;
    let (_, flag) = unset
        .get_json("/api/v1/feature-flags/order-fulfillment", &key)
        .await;
    assert_eq!(
        flag["stage"], "off",
        "never set and not configured means off"
    );
    assert_eq!(flag["source"], "default");
    app.finish().await;
}

async fn each_stage_opens_fulfilment_to_the_right_people_and_orders(engine: Engine) {
    let app = spawn(engine, None).await;
    let staff = "user:asha@brand.in";
    let other = "user:ravi@brand.in";
    let key = "apikey:ok_ab12cd";
    // Off: nobody.
    let refused = feature::check(&app.state, "ORD-1", staff)
        .await
        .unwrap_err();
    assert!(
        refused.reason.contains("switched off"),
        "{}",
        refused.reason
    );
    // Internal: listed emails and key prefixes only.
    set(&app, "internal:asha@brand.in,ok_ab12cd").await;
    assert!(feature::check(&app.state, "ORD-1", staff).await.is_ok());
    assert!(feature::check(&app.state, "ORD-1", key).await.is_ok());
    let refused = feature::check(&app.state, "ORD-1", other)
        .await
        .unwrap_err();
    assert!(refused.reason.contains("internal staff"));
    // Percent: the order's bucket decides.
    set(&app, "percent:50").await;
    let (inside, outside) = two_orders_around(50);
    assert!(feature::check(&app.state, &inside, other).await.is_ok());
    let refused = feature::check(&app.state, &outside, other)
        .await
        .unwrap_err();
    assert!(refused.reason.contains("50 %"), "{}", refused.reason);
    // On: everyone.
    set(&app, "on").await;
    assert!(feature::check(&app.state, &outside, other).await.is_ok());
    assert!(feature::check(&app.state, &outside, "worker").await.is_ok());
    app.finish().await;
}

async fn the_percent_stage_is_stable_for_an_order(engine: Engine) {
    let app = spawn(engine, Some("percent:30")).await;
    let orders: Vec<String> = (0..200).map(|i| format!("BRD-{i:05}")).collect();
    let first: Vec<bool> =
        futures_util::future::join_all(orders.iter().map(|o| feature::decide(&app.state, o, None)))
            .await
            .into_iter()
            .map(|d| d.allowed)
            .collect();
    // Same answers after the value is written to the database and the cache is dropped.
    set(&app, "percent:30").await;
    feature::invalidate(&app.state.settings);
    for (o, was) in orders.iter().zip(&first) {
        assert_eq!(
            feature::decide(&app.state, o, None).await.allowed,
            *was,
            "{o}"
        );
        assert_eq!(*was, bucket(o) < 30);
    }
    // Widening keeps every order that was in.
    set(&app, "percent:60").await;
    for (o, was) in orders.iter().zip(&first) {
        if *was {
            assert!(
                feature::decide(&app.state, o, None).await.allowed,
                "{o} left at 60 %"
            );
        }
    }
    let share = first.iter().filter(|a| **a).count();
    assert!((30..=90).contains(&share), "{share} of 200 at 30 %");
    app.finish().await;
}

async fn the_api_reads_the_flag_and_only_admins_change_it_with_a_reason(engine: Engine) {
    let app = spawn(engine, None).await;
    let r = app
        .client
        .get(app.url("/api/v1/feature-flags/order-fulfillment"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let reader = app.api_key(&["orders:read", "orders:write"]).await;
    let admin = app.api_key(&["admin"]).await;
    let (status, body) = put(&app, &reader, json!({"stage": "on", "reason": "go"})).await;
    assert_eq!((status, body["error"].as_str()), (403, Some("forbidden")));
    let (status, body) = put(&app, &admin, json!({"stage": "on", "reason": "  "})).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["fields"][0]["pointer"], "/reason");
    let (status, body) = put(&app, &admin, json!({"stage": "percent", "reason": "beta"})).await;
    assert_eq!(
        (status, body["fields"][0]["pointer"].as_str()),
        (422, Some("/percent"))
    );
    let (status, body) = put(
        &app,
        &admin,
        json!({"stage": "internal", "reason": "alpha"}),
    )
    .await;
    assert_eq!(
        (status, body["fields"][0]["pointer"].as_str()),
        (422, Some("/staff"))
    );
    let (status, body) = put(&app, &admin, json!({"stage": "sometimes", "reason": "x"})).await;
    assert_eq!(
        (status, body["fields"][0]["pointer"].as_str()),
        (422, Some("/stage"))
    );

    let (status, body) = put(
        &app,
        &admin,
        json!({"stage": "internal", "staff": ["Asha@Brand.in"], "reason": "alpha starts", "expected_version": 0}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["stage"], "internal");
    assert_eq!(body["staff"], json!(["asha@brand.in"]));
    assert_eq!(body["version"], 1);
    assert!(body["updated_by"].as_str().unwrap().starts_with("apikey:"));
    assert_eq!(body["history"][0]["reason"], "alpha starts");
    // A change against an old version is refused.
    let (status, body) = put(
        &app,
        &admin,
        json!({"stage": "on", "reason": "ga", "expected_version": 0}),
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (409, Some("stale")));
    let (status, body) = put(
        &app,
        &admin,
        json!({"stage": "percent", "percent": 25, "reason": "beta", "expected_version": 1}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["history"][0]["from_stage"], "internal");
    assert_eq!(body["history"][0]["to_percent"], 25);
    // Audited in the hash chain.
    let audit = orderly_store::audit::for_entity(&app.store, "feature_flag", ORDER_FULFILLMENT)
        .await
        .unwrap();
    assert_eq!(audit.len(), 2);
    assert!(audit[1].actor.starts_with("apikey:"));
    assert_eq!(
        orderly_store::audit::verify(&app.store)
            .await
            .unwrap()
            .broken,
        None
    );
    // The OpenAPI document describes both operations.
    let doc: Value = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let path = &doc["paths"]["/api/v1/feature-flags/order-fulfillment"];
    assert!(path["get"].is_object() && path["put"].is_object());
    app.finish().await;
}

async fn the_settings_page_states_the_configured_rollback_limits(engine: Engine) {
    let env = |k: &str| {
        match k {
            "ORDERLY_ROLLBACK_WINDOW_SECS" => Some("1800"),
            "ORDERLY_ROLLBACK_MIN_SAMPLE" => Some("7"),
            "ORDERLY_ROLLBACK_MAX_ERROR_PCT" => Some("2.5"),
            "ORDERLY_ROLLBACK_MIN_SUCCESS_PCT" => Some("80"),
            _ => None,
        }
        .map(str::to_string)
    };
    let rollback = feature::RollbackSettings::from_lookup(&env).unwrap();
    let app = TestApp::builder(engine)
        .web_only()
        .settings(move |s| s.feature_rollback = rollback)
        .spawn()
        .await;
    let viewer = dashboard::sign_in(&app, "viewer@brand.in", Role::Viewer).await;
    let html = viewer.html("/settings/fulfilment").await;
    for (id, shown) in [
        ("rollback-window", "30 minutes"),
        ("rollback-min-sample", "7"),
        ("rollback-max-error", "2.5"),
        ("rollback-min-success", "80"),
    ] {
        assert!(
            html.contains(&format!("<span id=\"{id}\">{shown}</span>")),
            "{id} should read {shown:?}: {html}"
        );
    }
    assert!(!html.contains("over 1 %"), "{html}");
    app.finish().await;
}

async fn the_settings_page_shows_the_stage_and_admins_change_it(engine: Engine) {
    let app = spawn(engine, Some("on")).await;
    let viewer = dashboard::sign_in(&app, "viewer@brand.in", Role::Viewer).await;
    let html = viewer.html("/settings/fulfilment").await;
    assert!(html.contains("data-stage=\"on\""), "{html}");
    assert!(
        !html.contains("id=\"flag-form\""),
        "viewers see no change form"
    );
    let r = viewer
        .post(
            "/settings/fulfilment",
            &[("csrf", &viewer.csrf), ("stage", "off"), ("reason", "x")],
        )
        .await;
    assert_eq!(r.status(), 403);

    let admin = dashboard::sign_in(&app, "admin@brand.in", Role::Admin).await;
    let html = admin.html("/settings/fulfilment").await;
    assert!(html.contains("id=\"flag-form\""));
    let csrf = dashboard::csrf_in(&html);
    let r = admin
        .post(
            "/settings/fulfilment",
            &[
                ("csrf", "wrong"),
                ("stage", "off"),
                ("reason", "x"),
                ("version", "0"),
            ],
        )
        .await;
    assert_eq!(
        r.status(),
        403,
        "a form without the session's CSRF token is refused"
    );
    let r = admin
        .post(
            "/settings/fulfilment",
            &[
                ("csrf", &csrf),
                ("stage", "off"),
                ("reason", ""),
                ("version", "0"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422, "a reason is required");
    let r = admin
        .post(
            "/settings/fulfilment",
            &[
                ("csrf", &csrf),
                ("stage", "internal"),
                ("staff", "asha@brand.in, ravi@brand.in"),
                ("reason", "alpha <week 1>"),
                ("version", "0"),
            ],
        )
        .await;
    assert!(r.status().is_redirection(), "{}", r.status());
    let html = viewer.html("/settings/fulfilment").await;
    assert!(html.contains("data-stage=\"internal\""));
    assert!(
        !html.contains("<week 1>")
            && (html.contains("alpha &lt;week 1&gt;") || html.contains("alpha &#60;week 1&#62;")),
        "the reason is in the history, escaped"
    );
    assert!(html.contains("user:admin@brand.in"));
    // A form rendered before that change is refused as stale.
    let r = admin
        .post(
            "/settings/fulfilment",
            &[
                ("csrf", &csrf),
                ("stage", "on"),
                ("reason", "ga"),
                ("version", "0"),
            ],
        )
        .await;
    assert!(r.headers()["location"].to_str().unwrap().contains("stale"));
    assert_eq!(
        feature::current(&app.state)
            .await
            .unwrap()
            .state
            .stage
            .as_str(),
        "internal"
    );
    app.finish().await;
}

async fn the_cli_sets_and_shows_the_flag_with_a_reason(engine: Engine) {
    let app = spawn(engine, None).await;
    let url = app.database_url.clone();
    let out = tokio::task::spawn_blocking(move || {
        let refused = cli(&url, &["flag", "set", "percent", "--reason", "beta"]);
        let no_reason = cli(&url, &["flag", "set", "on", "--reason", " "]);
        let set = cli(
            &url,
            &[
                "flag",
                "set",
                "internal",
                "--staff",
                "asha@brand.in,ok_ab12",
                "--reason",
                "alpha starts",
            ],
        );
        let get = cli(&url, &["flag", "get"]);
        (refused, no_reason, set, get)
    })
    .await
    .unwrap();
    let (refused, no_reason, set, get) = out;
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--percent"));
    assert!(!no_reason.status.success());
    assert!(
        set.status.success(),
        "{}",
        String::from_utf8_lossy(&set.stderr)
    );
    assert!(String::from_utf8_lossy(&set.stdout).contains("internal (2 staff)"));
    let shown = String::from_utf8_lossy(&get.stdout).to_string();
    assert!(shown.contains("asha@brand.in, ok_ab12"), "{shown}");
    assert!(shown.contains("alpha starts"), "{shown}");
    // This process drops its cached value at once; other processes see the change within CACHE_TTL.
    feature::invalidate(&app.state.settings);
    let current = feature::current(&app.state).await.unwrap();
    assert_eq!(current.state.stage.as_str(), "internal");
    assert_eq!(current.stored.unwrap().updated_by, "cli");
    app.finish().await;
}

async fn the_api_refuses_fulfilment_actions_outside_the_flag(engine: Engine) {
    let app = spawn(engine, None).await;
    let key = app.api_key(&["orders:read", "orders:write"]).await;
    let other = app.api_key(&["orders:read", "orders:write"]).await;
    let prefix = key.split('_').nth(1).unwrap().to_string();
    let processing = |n: String, key: String| {
        let app = &app;
        async move {
            app.post_json(&format!("/api/v1/orders/{n}/processing"), &key, json!({}))
                .await
        }
    };
    // Off: refused, and the order stays placed.
    let n = app.place(1).await;
    let (status, body) = processing(n.clone(), key.clone()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("feature_disabled")),
        "{body}"
    );
    assert!(body["message"].as_str().unwrap().contains("switched off"));
    assert_eq!(status_of(&app, &n).await, "placed");
    // Internal: only the listed key.
    set(&app, &format!("internal:{prefix}")).await;
    let (status, _) = processing(n.clone(), other.clone()).await;
    assert_eq!(status, 403);
    let (status, body) = processing(n.clone(), key.clone()).await;
    assert_eq!(status, 200, "{body}");
    // Percent: the order's bucket decides.
    set(&app, "percent:50").await;
    let (inside, outside) = seqs_around(50);
    let out_n = app.place(outside).await;
    let (status, body) = processing(out_n.clone(), other.clone()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("feature_disabled"))
    );
    let in_n = app.place(inside).await;
    let (status, _) = processing(in_n, other.clone()).await;
    assert_eq!(status, 200);
    // On: everyone.
    set(&app, "on").await;
    let (status, _) = processing(out_n, other).await;
    assert_eq!(status, 200);
    app.finish().await;
}
