//! Calling discipline against a local stub: token cache and re-login, retries, Retry-After,
//! budgets, the circuit breaker, the rate limiter and the observer hook.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Canned, Stub, fixture};
use shiprocket::{BreakerState, CallOptions, CallRecord, Client, ErrorKind};

const OK_PICKUPS: &str = "settings-company-pickup.200.json";

#[tokio::test]
async fn the_token_is_cached_across_calls_and_clones() {
    let stub = Stub::start().await;
    stub.always(fixture(OK_PICKUPS));
    let c = stub.client();
    c.pickup_locations().await.unwrap();
    c.with_budget(Duration::from_secs(1))
        .pickup_locations()
        .await
        .unwrap();
    c.clone().pickup_locations().await.unwrap();
    assert_eq!(stub.logins(), 1);
    let seen = stub.seen();
    assert!(
        seen.iter()
            .all(|s| s.bearer.as_deref().is_some_and(|b| b.ends_with("-1")))
    );
}

#[tokio::test]
async fn concurrent_first_calls_log_in_once() {
    let stub = Stub::start().await;
    stub.always(fixture(OK_PICKUPS));
    let c = stub.client();
    let calls: Vec<_> = (0..8)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.pickup_locations().await })
        })
        .collect();
    for h in calls {
        h.await.unwrap().unwrap();
    }
    assert_eq!(stub.logins(), 1);
}

#[tokio::test]
async fn a_401_forces_one_re_login_and_a_retry() {
    let stub = Stub::start().await;
    stub.then(Canned::new(
        401,
        r#"{"message":"Token has expired","status_code":401}"#,
    ));
    stub.always(fixture(OK_PICKUPS));
    let c = stub.client();
    c.pickup_locations().await.unwrap();
    assert_eq!(stub.logins(), 2);
    let seen = stub.seen();
    assert_eq!(seen.len(), 2);
    assert_ne!(
        seen[0].bearer, seen[1].bearer,
        "the retry uses the new token"
    );
}

#[tokio::test]
async fn a_persistent_401_is_unauthorized_after_one_re_login() {
    let stub = Stub::start().await;
    stub.always(Canned::new(401, r#"{"message":"Unauthenticated."}"#));
    let err = stub.client().pickup_locations().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    assert_eq!(stub.logins(), 2);
    assert_eq!(stub.seen().len(), 2);
    assert!(err.ops_message().contains("ORDERLY_SHIPROCKET_EMAIL"));
}

#[tokio::test]
async fn bad_credentials_are_unauthorized_and_never_echo_the_password() {
    let stub = Stub::start().await;
    *stub.state.login_override.lock().unwrap() = Some(Canned::new(
        400,
        r#"{"message":"Invalid email and password combination"}"#,
    ));
    let mut cfg = stub.config();
    cfg.password = "hunter2-secret".into();
    let c = Client::new(cfg).unwrap();
    let err = c.pickup_locations().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    assert!(!format!("{err:?} {} {c:?}", err.ops_message()).contains("hunter2"));
    assert!(stub.seen().is_empty(), "no API call without a token");
    assert_eq!(stub.logins(), 1, "refused credentials are not retried");
}

#[tokio::test]
async fn a_token_near_its_expiry_is_refreshed_before_use() {
    let stub = Stub::start().await;
    *stub.state.token_ttl_secs.lock().unwrap() = Some(2);
    stub.always(fixture(OK_PICKUPS));
    let c = stub.client();
    c.pickup_locations().await.unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    c.pickup_locations().await.unwrap();
    assert_eq!(
        stub.logins(),
        2,
        "a 2 s token is refreshed after half its life"
    );
}

#[tokio::test]
async fn transient_5xx_are_retried_until_success() {
    let stub = Stub::start().await;
    stub.then(Canned::new(502, "<html>502 Bad Gateway</html>"));
    stub.then(Canned::new(503, r#"{"message":"Service Unavailable"}"#));
    stub.always(fixture(OK_PICKUPS));
    stub.client().pickup_locations().await.unwrap();
    assert_eq!(stub.seen().len(), 3);
}

#[tokio::test]
async fn retries_stop_at_max_attempts() {
    let stub = Stub::start().await;
    stub.always(Canned::new(503, "down"));
    let c = stub.client();
    let err = c.pickup_locations().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServerError);
    assert!(err.is_retryable());
    assert_eq!(stub.seen().len(), 4);
    let one = c.with_options(CallOptions {
        max_attempts: Some(1),
        ..Default::default()
    });
    one.pickup_locations().await.unwrap_err();
    assert_eq!(stub.seen().len(), 5);
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let stub = Stub::start().await;
    stub.then(
        Canned::new(
            429,
            r#"{"message":"You have exceeded the API call rate limit"}"#,
        )
        .header("retry-after", "1"),
    );
    stub.always(fixture(OK_PICKUPS));
    let started = Instant::now();
    stub.client().pickup_locations().await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(990),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(stub.seen().len(), 2);
}

#[tokio::test]
async fn a_retry_after_beyond_the_budget_returns_rate_limited_at_once() {
    let stub = Stub::start().await;
    stub.always(
        Canned::new(
            429,
            r#"{"message":"You have exceeded the API call rate limit"}"#,
        )
        .header("retry-after", "30"),
    );
    let started = Instant::now();
    let err = stub
        .client()
        .with_budget(Duration::from_secs(5))
        .pickup_locations()
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(30)));
    assert!(err.ops_message().contains("30 s"));
}

#[tokio::test]
async fn a_slow_answer_times_out_within_the_per_call_budget() {
    let stub = Stub::start().await;
    stub.always(fixture(OK_PICKUPS).delay(Duration::from_secs(3)));
    let c = stub.client();
    c.login().await.unwrap();
    let started = Instant::now();
    let err = c
        .with_budget(Duration::from_millis(400))
        .pickup_locations()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_refused_connection_is_a_retryable_transport_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let mut cfg =
        shiprocket::ClientConfig::new(format!("http://{addr}/v1/external"), "a@b.c", "pw");
    cfg.backoff_base = Duration::from_millis(1);
    let err = Client::new(cfg)
        .unwrap()
        .pickup_locations()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport);
    assert!(err.is_retryable());
}

#[tokio::test]
async fn the_breaker_opens_after_consecutive_failures_and_recovers() {
    let stub = Stub::start().await;
    stub.always(fixture(OK_PICKUPS));
    let mut cfg = stub.config();
    cfg.breaker_failure_threshold = 3;
    cfg.breaker_cooldown = Duration::from_millis(300);
    cfg.max_attempts = 1;
    let c = Client::new(cfg).unwrap();
    c.login().await.unwrap();
    stub.always(Canned::new(503, "down"));
    for _ in 0..3 {
        assert_eq!(
            c.pickup_locations().await.unwrap_err().kind(),
            ErrorKind::ServerError
        );
    }
    assert!(matches!(c.breaker_state(), BreakerState::Open { .. }));
    let sent = stub.seen().len();
    let err = c.pickup_locations().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CircuitOpen);
    assert_eq!(stub.seen().len(), sent, "an open breaker sends nothing");
    assert!(err.ops_message().contains("paused"));
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(c.breaker_state(), BreakerState::HalfOpen);
    stub.always(fixture(OK_PICKUPS));
    c.pickup_locations().await.unwrap();
    assert_eq!(c.breaker_state(), BreakerState::Closed);
}

#[tokio::test]
async fn non_retryable_refusals_do_not_open_the_breaker() {
    let stub = Stub::start().await;
    stub.always(fixture("courier-generate-pickup.400-invalid-data.json"));
    let mut cfg = stub.config();
    cfg.breaker_failure_threshold = 2;
    let c = Client::new(cfg).unwrap();
    for _ in 0..5 {
        assert_eq!(
            c.generate_pickup(&[1]).await.unwrap_err().kind(),
            ErrorKind::Rejected
        );
    }
    assert_eq!(c.breaker_state(), BreakerState::Closed);
}

#[tokio::test]
async fn the_rate_limiter_paces_calls_shared_by_clones() {
    let stub = Stub::start().await;
    stub.always(fixture(OK_PICKUPS));
    let mut cfg = stub.config();
    cfg.requests_per_minute = 240; // 4/s, burst 20
    let c = Client::new(cfg).unwrap();
    let started = Instant::now();
    let calls: Vec<_> = (0..23)
        .map(|i| {
            let c = if i % 2 == 0 {
                c.clone()
            } else {
                c.with_budget(Duration::from_secs(10))
            };
            tokio::spawn(async move { c.pickup_locations().await })
        })
        .collect();
    for h in calls {
        h.await.unwrap().unwrap();
    }
    // 24 requests (login + 23) with a burst of 20 at 4/s need about 1 s.
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(900), "{took:?}");
    assert!(took < Duration::from_secs(3), "{took:?}");
}

#[tokio::test]
async fn the_observer_sees_every_attempt_with_endpoint_status_and_outcome() {
    let stub = Stub::start().await;
    stub.then(Canned::new(503, "down"));
    stub.always(fixture("courier-assign-awb.200.json"));
    let records: Arc<Mutex<Vec<CallRecord>>> = Arc::default();
    let sink = Arc::clone(&records);
    let mut cfg = stub.config();
    cfg.observer = Some(Arc::new(move |r: &CallRecord| {
        sink.lock().unwrap().push(*r)
    }));
    Client::new(cfg).unwrap().assign_awb(1, None).await.unwrap();
    let r = records.lock().unwrap().clone();
    let summary: Vec<_> = r
        .iter()
        .map(|r| (r.endpoint, r.status, r.outcome, r.attempt))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("auth/login", Some(200), Ok(()), 1),
            (
                "courier/assign/awb",
                Some(503),
                Err(ErrorKind::ServerError),
                1
            ),
            ("courier/assign/awb", Some(200), Ok(()), 2),
        ]
    );
}

#[tokio::test]
async fn a_server_429_holds_back_other_callers_of_the_same_client() {
    let stub = Stub::start().await;
    stub.then(
        Canned::new(
            429,
            r#"{"message":"You have exceeded the API call rate limit"}"#,
        )
        .header("retry-after", "1"),
    );
    stub.always(fixture(OK_PICKUPS));
    let c = stub.client();
    c.login().await.unwrap();
    let started = Instant::now();
    let first = {
        let c = c.clone();
        tokio::spawn(async move { c.pickup_locations().await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    c.pickup_locations().await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "the second caller waited out the pause: {:?}",
        started.elapsed()
    );
    first.await.unwrap().unwrap();
}

#[tokio::test]
async fn multi_awb_tracking_is_sent_in_chunks_of_fifty() {
    let stub = Stub::start().await;
    stub.always(fixture("courier-track-awbs.200.json"));
    let awbs: Vec<String> = (0..120).map(|i| format!("AWB{i:04}")).collect();
    let m = stub.client().track_awbs(&awbs).await.unwrap();
    let sizes: Vec<usize> = stub
        .seen()
        .iter()
        .map(|s| s.json()["awbs"].as_array().unwrap().len())
        .collect();
    assert_eq!(sizes, vec![50, 50, 20]);
    assert_eq!(
        m.len(),
        122,
        "120 asked for, plus the 2 the canned body names"
    );
}
