//! `POST /api/v1/order-events` through the front door, on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use common::{NEXT_SECRET, OLD_SECRET, SECRET, TestApp, envelope};
use orderly_store::Engine;
use serde_json::{Value, json};
use time::OffsetDateTime;

stories!(
    a_signed_order_is_stored_as_placed_and_answered_201,
    a_redelivered_event_gets_200_with_the_same_body,
    a_new_event_with_an_identical_order_gets_200,
    the_same_order_number_with_different_content_gets_409_and_changes_nothing,
    a_hundred_concurrent_redeliveries_store_one_order,
    signatures_missing_malformed_wrong_stale_or_retired_get_401,
    a_replayed_signature_on_another_body_gets_401,
    a_second_active_secret_is_accepted_during_rotation,
    malformed_json_gets_400_and_non_json_gets_415,
    a_two_mebibyte_body_gets_413,
    a_client_still_sending_a_too_large_body_reads_the_413,
    every_invalid_field_is_listed_with_its_pointer,
    missing_fields_are_all_listed,
    extra_fields_are_ignored,
    unicode_rtl_and_injection_strings_are_stored_verbatim,
    ten_phone_spellings_are_normalised_and_searchable,
    invalid_pincodes_negative_or_fractional_paise_are_refused,
    totals_that_do_not_add_up_name_the_difference,
    duplicate_skus_and_zero_items_are_refused,
    an_unknown_pincode_is_accepted_but_flagged_address_suspect,
);

async fn a_signed_order_is_stored_as_placed_and_answered_201(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let env = envelope(1);
    let r = app.post_event(&env.to_string()).await;
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["order_number"], env["data"]["order_number"]);
    assert_eq!(body["status"], "placed");
    assert_eq!(body["total_paise"], env["data"]["total_paise"]);
    let key = app.api_key(&["orders:read"]).await;
    let (status, detail) = app
        .get_json(
            &format!("/api/v1/orders/{}", body["order_number"].as_str().unwrap()),
            &key,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(detail["history"][0]["to"], "placed");
    assert_eq!(detail["history"][0]["actor"], "intake");
    assert_eq!(
        detail["items"].as_array().unwrap().len(),
        env["data"]["items"].as_array().unwrap().len()
    );
    let audit = orderly_store::audit::for_entity(
        &app.store,
        "order",
        body["order_number"].as_str().unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(audit.len(), 1);
    app.finish().await;
}

async fn a_redelivered_event_gets_200_with_the_same_body(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let body = envelope(2).to_string();
    let first = app.post_event(&body).await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again = app.post_event(&body).await;
    assert_eq!(again.status(), 200);
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    assert_eq!(
        orderly_store::orders::count_all(&app.store).await.unwrap(),
        1
    );
    app.finish().await;
}

async fn a_new_event_with_an_identical_order_gets_200(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let mut env = envelope(3);
    assert_eq!(app.post_event(&env.to_string()).await.status(), 201);
    env["id"] = json!("another-event-id");
    assert_eq!(app.post_event(&env.to_string()).await.status(), 200);
    assert_eq!(
        orderly_store::orders::count_all(&app.store).await.unwrap(),
        1
    );
    app.finish().await;
}

async fn the_same_order_number_with_different_content_gets_409_and_changes_nothing(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let mut env = envelope(4);
    assert_eq!(app.post_event(&env.to_string()).await.status(), 201);
    let key = app.api_key(&["orders:read"]).await;
    let path = format!(
        "/api/v1/orders/{}",
        env["data"]["order_number"].as_str().unwrap()
    );
    let before = app.get_json(&path, &key).await.1;
    env["id"] = json!("evt-different");
    env["data"]["customer"]["name"] = json!("Somebody Else");
    let r = app.post_event(&env.to_string()).await;
    assert_eq!(r.status(), 409);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "conflict");
    assert_eq!(app.get_json(&path, &key).await.1, before);
    app.finish().await;
}

async fn a_hundred_concurrent_redeliveries_store_one_order(engine: Engine) {
    let app = std::sync::Arc::new(TestApp::spawn(engine).await);
    let body = envelope(5).to_string();
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let (app, body) = (app.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            app.post_event(&body).await.status().as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 200),
        "{statuses:?}"
    );
    assert_eq!(
        orderly_store::orders::count_all(&app.store).await.unwrap(),
        1
    );
}

async fn signatures_missing_malformed_wrong_stale_or_retired_get_401(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let body = envelope(6).to_string();
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let missing = app
        .client
        .post(app.url("/api/v1/order-events"))
        .header("content-type", "application/json")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 401);
    for bad in [
        "garbage".to_string(),
        format!("t={now}"),
        format!("t={now},v1=nothex"),
        orderly::signature::sign("a-wrong-secret-0123456789", now, body.as_bytes()),
        orderly::signature::sign(SECRET, now - 301, body.as_bytes()),
        orderly::signature::sign(SECRET, now + 400, body.as_bytes()),
        orderly::signature::sign(OLD_SECRET, now, body.as_bytes()),
    ] {
        let r = app.post_event_signed(&body, &bad).await;
        assert_eq!(r.status(), 401, "{bad}");
        assert_eq!(r.json::<Value>().await.unwrap()["error"], "unauthorized");
    }
    assert_eq!(
        orderly_store::orders::count_all(&app.store).await.unwrap(),
        0
    );
    app.finish().await;
}

async fn a_replayed_signature_on_another_body_gets_401(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let body = envelope(7).to_string();
    let sig = orderly::signature::sign(
        SECRET,
        OffsetDateTime::now_utc().unix_timestamp(),
        body.as_bytes(),
    );
    assert_eq!(app.post_event_signed(&body, &sig).await.status(), 201);
    let other = envelope(8).to_string();
    assert_eq!(app.post_event_signed(&other, &sig).await.status(), 401);
    // Replaying the exact request is harmless: idempotent.
    assert_eq!(app.post_event_signed(&body, &sig).await.status(), 200);
    app.finish().await;
}

async fn a_second_active_secret_is_accepted_during_rotation(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let body = envelope(9).to_string();
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let next = orderly::signature::sign(NEXT_SECRET, now, body.as_bytes());
    assert_eq!(app.post_event_signed(&body, &next).await.status(), 201);
    // A header carrying signatures by a retired and an active secret passes on the active one.
    let body = envelope(19).to_string();
    let old = orderly::signature::sign(OLD_SECRET, now, body.as_bytes());
    let good = orderly::signature::sign(SECRET, now, body.as_bytes());
    let both = format!("{old},{}", good.split_once(',').unwrap().1);
    assert_eq!(app.post_event_signed(&body, &both).await.status(), 201);
    app.finish().await;
}

async fn malformed_json_gets_400_and_non_json_gets_415(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let r = app.post_event("{\"id\": \"x\", ").await;
    assert_eq!(r.status(), 400);
    let r = app
        .client
        .post(app.url("/api/v1/order-events"))
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    let r = app.post_event("[1, 2, 3]").await;
    assert!(r.status() == 400 || r.status() == 422, "{}", r.status());
    app.finish().await;
}

async fn a_two_mebibyte_body_gets_413(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let mut env = envelope(10);
    env["data"]["padding"] = json!("x".repeat(2 * 1024 * 1024));
    let body = env.to_string();
    // A client that sends its whole body before reading reads the 413 (not a reset connection),
    // every time.
    for _ in 0..3 {
        let r = app.post_event(&body).await;
        assert_eq!(r.status(), 413);
        assert_eq!(r.headers()["connection"], "close");
        let answer: Value = r.json().await.unwrap();
        assert_eq!(answer["error"], "payload_too_large", "{answer}");
    }
    // Without a Content-Length (chunked), the limit still holds.
    let stream = futures_core_stream::chunks(body.clone().into_bytes());
    let sig = orderly::signature::sign(
        SECRET,
        OffsetDateTime::now_utc().unix_timestamp(),
        body.as_bytes(),
    );
    let r = app
        .client
        .post(app.url("/api/v1/order-events"))
        .header("content-type", "application/json")
        .header("orderly-signature", sig)
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    app.finish().await;
}

/// The race behind the flaky 413, made certain: the body is sent only after the server has had
/// time to answer from the headers. The server must still be reading, so every write succeeds and
/// the client then reads a 413 that closes the connection.
async fn a_client_still_sending_a_too_large_body_reads_the_413(engine: Engine) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::spawn(engine).await;
    let body = vec![b'x'; 2 * 1024 * 1024];
    let chunked = |b: &[u8]| {
        let mut out = Vec::new();
        for c in b.chunks(64 * 1024) {
            out.extend_from_slice(format!("{:x}\r\n", c.len()).as_bytes());
            out.extend_from_slice(c);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"0\r\n\r\n");
        out
    };
    for (framing, sent) in [
        (format!("Content-Length: {}", body.len()), body.clone()),
        ("Transfer-Encoding: chunked".to_string(), chunked(&body)),
    ] {
        let mut tcp = tokio::net::TcpStream::connect(app.base.trim_start_matches("http://"))
            .await
            .unwrap();
        // Signed like every checkout request: the header is checked before the body is read, so an
        // unsigned one would be refused 401 (tests/abuse.rs); a signed one too large gets the 413.
        let sig =
            orderly::signature::sign(SECRET, OffsetDateTime::now_utc().unix_timestamp(), &body);
        let head = format!(
            "POST /api/v1/order-events HTTP/1.1\r\nHost: orderly\r\nContent-Type: application/json\r\nOrderly-Signature: {sig}\r\n{framing}\r\n\r\n"
        );
        tcp.write_all(head.as_bytes()).await.unwrap();
        tcp.write_all(&sent[..64 * 1024]).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        for part in sent[64 * 1024..].chunks(256 * 1024) {
            tcp.write_all(part)
                .await
                .unwrap_or_else(|e| panic!("{framing}: the server stopped reading: {e}"));
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let mut answer = Vec::new();
        tokio::time::timeout(
            std::time::Duration::from_secs(10),
            tcp.read_to_end(&mut answer),
        )
        .await
        .expect("the server closes after answering")
        .unwrap_or_else(|e| panic!("{framing}: {e}"));
        let answer = String::from_utf8_lossy(&answer).to_ascii_lowercase();
        assert!(answer.starts_with("http/1.1 413"), "{framing}: {answer}");
        assert!(answer.contains("connection: close"), "{answer}");
        assert!(answer.contains("payload_too_large"), "{answer}");
    }
    app.finish().await;
}

mod futures_core_stream {
    //! A tiny chunked body so the request carries no Content-Length.
    pub use futures_util::stream::Stream;
    pub fn chunks(
        bytes: Vec<u8>,
    ) -> impl Stream<Item = Result<Vec<u8>, std::io::Error>> + Send + 'static {
        let parts: Vec<Result<Vec<u8>, std::io::Error>> =
            bytes.chunks(64 * 1024).map(|c| Ok(c.to_vec())).collect();
        futures_util::stream::iter(parts)
    }
}

async fn every_invalid_field_is_listed_with_its_pointer(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let mut env = envelope(11);
    env["data"]["customer"]["email"] = json!(42);
    env["data"]["customer"]["phone"] = json!("12345");
    env["data"]["items"][0]["units"] = json!("two");
    env["data"]["payment"]["method"] = json!("barter");
    let r = app.post_event(&env.to_string()).await;
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    let pointers: Vec<&str> = body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["pointer"].as_str().unwrap())
        .collect();
    for p in [
        "/data/customer/email",
        "/data/customer/phone",
        "/data/items/0/units",
        "/data/payment/method",
    ] {
        assert!(pointers.contains(&p), "{p} missing from {pointers:?}");
    }
    app.finish().await;
}

async fn missing_fields_are_all_listed(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let mut env = envelope(12);
    let data = env["data"].as_object_mut().unwrap();
    data.remove("order_number");
    data.remove("customer");
    data.remove("total_paise");
    let r = app.post_event(&env.to_string()).await;
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    let pointers: Vec<&str> = body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["pointer"].as_str().unwrap())
        .collect();
    for p in ["/data/order_number", "/data/customer", "/data/total_paise"] {
        assert!(pointers.contains(&p), "{p} missing from {pointers:?}");
    }
    app.finish().await;
}

async fn extra_fields_are_ignored(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let mut env = envelope(13);
    env["data"]["gift_wrap"] = json!(true);
    env["data"]["customer"]["loyalty_tier"] = json!("gold");
    env["trace"] = json!({"span": 1});
    assert_eq!(app.post_event(&env.to_string()).await.status(), 201);
    app.finish().await;
}

async fn unicode_rtl_and_injection_strings_are_stored_verbatim(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let key = app.api_key(&["orders:read"]).await;
    for (seq, name) in [
        (14, "प्रिया शर्मा"),
        (15, "محمد عبد الله"),
        (16, "Robert'); DROP TABLE orders;--"),
        (17, "<img src=x onerror=alert(1)>"),
        (18, "தமிழ் செல்வி 🙂"),
    ] {
        let mut env = envelope(seq);
        env["data"]["customer"]["name"] = json!(name);
        env["data"]["shipping_address"]["line1"] = json!(name);
        assert_eq!(
            app.post_event(&env.to_string()).await.status(),
            201,
            "{name}"
        );
        let n = env["data"]["order_number"].as_str().unwrap();
        let (_, detail) = app.get_json(&format!("/api/v1/orders/{n}"), &key).await;
        assert_eq!(detail["customer_name"], name);
        assert_eq!(detail["shipping_address"]["line1"], name);
    }
    assert_eq!(
        orderly_store::orders::count_all(&app.store).await.unwrap(),
        5
    );
    app.finish().await;
}

async fn ten_phone_spellings_are_normalised_and_searchable(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let key = app.api_key(&["orders:read"]).await;
    let spellings = [
        "9876543210",
        "+91 98765 43210",
        "+91-98765-43210",
        "+919876543210",
        "919876543210",
        "09876543210",
        "098765-43210",
        "(+91) 98765 43210",
        "98765.43210",
        "+91 (987) 654-3210",
    ];
    for (i, phone) in spellings.iter().enumerate() {
        let mut env = envelope(100 + i as u64);
        env["data"]["customer"]["phone"] = json!(phone);
        assert_eq!(
            app.post_event(&env.to_string()).await.status(),
            201,
            "{phone}"
        );
    }
    for q in ["9876543210", "+91%2098765%2043210", "098765-43210"] {
        let (status, list) = app
            .get_json(&format!("/api/v1/orders?q={q}&limit=100"), &key)
            .await;
        assert_eq!(status, 200);
        assert_eq!(list["orders"].as_array().unwrap().len(), 10, "{q}");
        assert!(
            list["orders"]
                .as_array()
                .unwrap()
                .iter()
                .all(|o| o["phone"] == "9876543210")
        );
    }
    app.finish().await;
}

async fn invalid_pincodes_negative_or_fractional_paise_are_refused(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    for (pointer, value) in [
        ("/data/shipping_address/pincode", json!("012345")),
        ("/data/shipping_address/pincode", json!("41100")),
        ("/data/shipping_address/pincode", json!("ABCDEF")),
        ("/data/shipping_paise", json!(-100)),
        ("/data/shipping_paise", json!(49.5)),
        ("/data/items/0/unit_price_paise", json!(-1)),
        ("/data/items/0/unit_price_paise", json!(12.25)),
    ] {
        let mut env = envelope(20);
        *env.pointer_mut(pointer).unwrap() = value.clone();
        let r = app.post_event(&env.to_string()).await;
        assert_eq!(r.status(), 422, "{pointer} = {value}");
        let body: Value = r.json().await.unwrap();
        assert!(
            body["fields"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["pointer"] == pointer),
            "{pointer} = {value}: {body}"
        );
    }
    assert_eq!(
        orderly_store::orders::count_all(&app.store).await.unwrap(),
        0
    );
    app.finish().await;
}

async fn totals_that_do_not_add_up_name_the_difference(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let mut env = envelope(21);
    let total = env["data"]["total_paise"].as_i64().unwrap();
    env["data"]["total_paise"] = json!(total + 7);
    let r = app.post_event(&env.to_string()).await;
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    let field = body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["pointer"] == "/data/total_paise")
        .unwrap()
        .clone();
    let message = field["message"].as_str().unwrap();
    assert!(
        message.contains(&total.to_string()) && message.contains('7'),
        "{message}"
    );
    app.finish().await;
}

async fn duplicate_skus_and_zero_items_are_refused(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let mut env = envelope(22);
    let first = env["data"]["items"][0].clone();
    env["data"]["items"].as_array_mut().unwrap().push(first);
    let r = app.post_event(&env.to_string()).await;
    assert_eq!(r.status(), 422);
    let mut env = envelope(23);
    env["data"]["items"] = json!([]);
    let r = app.post_event(&env.to_string()).await;
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["fields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["pointer"] == "/data/items"),
        "{body}"
    );
    app.finish().await;
}

async fn an_unknown_pincode_is_accepted_but_flagged_address_suspect(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let mut env = envelope(24);
    env["data"]["shipping_address"]["pincode"] = json!("999999");
    let r = app.post_event(&env.to_string()).await;
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    let reason = body["flags"]["address_suspect"].as_str().unwrap();
    assert!(reason.contains("999999"), "{reason}");
    app.finish().await;
}
