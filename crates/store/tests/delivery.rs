//! Delivery storage conformance: outbox reading, endpoints, leases, retries, auto-disable, replays
//! and cursors, on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::time::Duration as StdDuration;

use orderly_store::delivery::{self, Attempt, MAX_ATTEMPTS, NewEndpoint};
use orderly_store::{Engine, Store, StoreOptions, outbox, testing};
use time::{Duration, OffsetDateTime};

async fn store(engine: Engine) -> Store {
    let url = testing::fresh_database(engine).await.unwrap();
    Store::connect(&url, StoreOptions::default()).await.unwrap()
}

async fn append(s: &Store, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        let mut tx = s.begin().await.unwrap();
        let e = outbox::append(
            &mut tx,
            outbox::types::ORDER_STATUS_CHANGED,
            1,
            None,
            OffsetDateTime::now_utc(),
            serde_json::json!({ "i": i }),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        ids.push(e.id);
    }
    ids
}

fn attempt(seq: i64, ok: bool) -> Attempt {
    Attempt {
        seq,
        event_id: format!("e{seq}"),
        ok,
        status_code: Some(if ok { 200 } else { 503 }),
        error: (!ok).then(|| "HTTP 503".to_string()),
        duration: StdDuration::from_millis(3),
    }
}

async fn endpoint(s: &Store) -> delivery::Endpoint {
    let new = NewEndpoint {
        url: "http://127.0.0.1:9/hook",
        secret: "whsec-0123456789abcdef",
        description: Some("test"),
    };
    delivery::create_endpoint(s, &new, OffsetDateTime::now_utc(), "test")
        .await
        .unwrap()
}

macro_rules! stories {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(super::Engine::Sqlite).await })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(super::Engine::Postgres).await })*
        }
    };
}

stories!(
    pending_events_come_in_seq_order_after_the_cursor,
    a_rolled_back_event_leaves_no_hole_that_blocks_the_reader,
    an_uncommitted_event_is_not_pending_until_it_commits,
    a_new_endpoint_starts_at_the_head_of_the_outbox,
    only_one_worker_holds_an_endpoint_lease,
    a_failed_attempt_schedules_the_next_try_with_backoff_and_logs_it,
    an_event_is_given_up_after_the_last_attempt_and_the_cursor_moves_on,
    twenty_consecutive_failures_disable_the_endpoint,
    a_replay_is_queued_claimed_once_and_logged,
    a_named_cursor_is_claimed_by_one_worker_and_only_moves_forward,
);

/// PostgreSQL only: SQLite has one writer, so a later event cannot commit while an earlier one is
/// still in flight (the story that can happen there is `an_uncommitted_event_is_not_pending_…`).
/// Named so the runner shows it as PostgreSQL's alone rather than a SQLite pass that ran nothing.
mod postgres_only {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_event_still_committing_holds_back_the_ones_after_it() {
        super::an_event_still_committing_holds_back_the_ones_after_it(super::Engine::Postgres).await
    }
}

async fn pending_events_come_in_seq_order_after_the_cursor(engine: Engine) {
    let s = store(engine).await;
    let ids = append(&s, 5).await;
    let all = delivery::pending(&s, 0, 100).await.unwrap();
    assert_eq!(
        all.iter().map(|e| &e.event_id).collect::<Vec<_>>(),
        ids.iter().collect::<Vec<_>>()
    );
    let after = delivery::pending(&s, all[1].seq, 2).await.unwrap();
    assert_eq!(after.len(), 2);
    assert_eq!(after[0].seq, all[2].seq);
    let env: serde_json::Value = serde_json::from_str(&after[0].payload).unwrap();
    assert_eq!(env["id"], ids[2].as_str());
    assert_eq!(env["type"], "OrderStatusChanged");
    assert_eq!(delivery::head_seq(&s).await.unwrap(), all[4].seq);
    let found = delivery::event_by_id(&s, &ids[3]).await.unwrap().unwrap();
    assert_eq!(found.seq, all[3].seq);
}

async fn a_rolled_back_event_leaves_no_hole_that_blocks_the_reader(engine: Engine) {
    let s = store(engine).await;
    append(&s, 1).await;
    let mut tx = s.begin().await.unwrap();
    outbox::append(
        &mut tx,
        "X",
        1,
        None,
        OffsetDateTime::now_utc(),
        serde_json::json!({}),
    )
    .await
    .unwrap();
    tx.rollback().await.unwrap();
    let ids = append(&s, 2).await;
    let first = delivery::pending(&s, 0, 100).await.unwrap();
    let seen = delivery::pending(&s, first[0].seq, 100).await.unwrap();
    assert_eq!(
        seen.iter().map(|e| &e.event_id).collect::<Vec<_>>(),
        ids.iter().collect::<Vec<_>>()
    );
}

async fn an_uncommitted_event_is_not_pending_until_it_commits(engine: Engine) {
    let s = store(engine).await;
    let mut tx = s.begin().await.unwrap();
    let event = outbox::append(
        &mut tx,
        "X",
        1,
        None,
        OffsetDateTime::now_utc(),
        serde_json::json!({}),
    )
    .await
    .unwrap();
    assert!(
        delivery::pending(&s, 0, 100).await.unwrap().is_empty(),
        "an event is not delivered before its transaction commits"
    );
    tx.commit().await.unwrap();
    let seen = delivery::pending(&s, 0, 100).await.unwrap();
    let ids: Vec<&str> = seen.iter().map(|e| e.event_id.as_str()).collect();
    assert_eq!(ids, vec![event.id.as_str()]);
}

async fn an_event_still_committing_holds_back_the_ones_after_it(engine: Engine) {
    let s = store(engine).await;
    let mut slow = s.begin().await.unwrap();
    let first = outbox::append(
        &mut slow,
        "X",
        1,
        None,
        OffsetDateTime::now_utc(),
        serde_json::json!({}),
    )
    .await
    .unwrap();
    let later = append(&s, 1).await;
    assert!(
        delivery::pending(&s, 0, 100).await.unwrap().is_empty(),
        "seq 1 may still commit"
    );
    slow.commit().await.unwrap();
    let seen = delivery::pending(&s, 0, 100).await.unwrap();
    let ids: Vec<&str> = seen.iter().map(|e| e.event_id.as_str()).collect();
    assert_eq!(ids, vec![first.id.as_str(), later[0].as_str()]);
}

async fn a_new_endpoint_starts_at_the_head_of_the_outbox(engine: Engine) {
    let s = store(engine).await;
    append(&s, 3).await;
    let e = endpoint(&s).await;
    assert_eq!(e.cursor, delivery::head_seq(&s).await.unwrap());
    assert!(e.enabled);
    let now = OffsetDateTime::now_utc();
    assert!(delivery::due_endpoints(&s, now).await.unwrap().is_empty());
    append(&s, 1).await;
    assert_eq!(delivery::due_endpoints(&s, now).await.unwrap().len(), 1);
    let listed = delivery::list_endpoints(&s).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(!format!("{:?}", listed[0]).contains("whsec"));
}

async fn only_one_worker_holds_an_endpoint_lease(engine: Engine) {
    let s = store(engine).await;
    let e = endpoint(&s).await;
    let now = OffsetDateTime::now_utc();
    let until = now + Duration::seconds(30);
    assert!(
        delivery::claim_endpoint(&s, e.id, "a", now, until)
            .await
            .unwrap()
    );
    assert!(
        !delivery::claim_endpoint(&s, e.id, "b", now, until)
            .await
            .unwrap()
    );
    assert!(
        delivery::claim_endpoint(&s, e.id, "a", now, until)
            .await
            .unwrap()
    );
    // Recording under a lost lease changes nothing.
    assert!(
        delivery::record_attempts(&s, e.id, "b", &[attempt(1, true)], now)
            .await
            .is_err()
    );
    delivery::release_endpoint(&s, e.id, "a").await.unwrap();
    assert!(
        delivery::claim_endpoint(&s, e.id, "b", now, until)
            .await
            .unwrap()
    );
    // An expired lease can be taken over.
    let later = until + Duration::seconds(1);
    assert!(
        delivery::claim_endpoint(&s, e.id, "c", later, later + Duration::seconds(30))
            .await
            .unwrap()
    );
}

async fn a_failed_attempt_schedules_the_next_try_with_backoff_and_logs_it(engine: Engine) {
    let s = store(engine).await;
    let e = endpoint(&s).await;
    append(&s, 3).await;
    let events = delivery::pending(&s, e.cursor, 10).await.unwrap();
    let now = orderly_store::from_micros(orderly_store::to_micros(OffsetDateTime::now_utc()));
    assert!(
        delivery::claim_endpoint(&s, e.id, "w", now, now + Duration::seconds(30))
            .await
            .unwrap()
    );
    let batch = [attempt(events[0].seq, true), attempt(events[1].seq, false)];
    let out = delivery::record_attempts(&s, e.id, "w", &batch, now)
        .await
        .unwrap();
    assert_eq!(out.delivered, 1);
    assert!(!out.dead && !out.disabled);
    let e2 = delivery::get_endpoint(&s, e.id).await.unwrap().unwrap();
    assert_eq!(e2.cursor, events[0].seq);
    assert_eq!(e2.head_attempts, 1);
    assert_eq!(e2.consecutive_failures, 1);
    assert_eq!(to_secs(e2.next_attempt_at - now), 60);
    // Not due again until the backoff has passed.
    delivery::release_endpoint(&s, e.id, "w").await.unwrap();
    assert!(delivery::due_endpoints(&s, now).await.unwrap().is_empty());
    assert_eq!(
        delivery::due_endpoints(&s, now + Duration::minutes(1))
            .await
            .unwrap()
            .len(),
        1
    );
    let log = delivery::deliveries(&s, e.id, 10).await.unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].outcome, "failed");
    assert_eq!(log[0].status_code, Some(503));
    assert_eq!(log[1].outcome, "delivered");
    assert_eq!(delivery::backoff(2), Some(Duration::minutes(2)));
    let total: i64 = (1..MAX_ATTEMPTS)
        .map(|n| delivery::backoff(n).unwrap().whole_minutes())
        .sum();
    assert_eq!(total, 240, "eight retries over about four hours");
}

fn to_secs(d: Duration) -> i64 {
    d.whole_seconds()
}

async fn an_event_is_given_up_after_the_last_attempt_and_the_cursor_moves_on(engine: Engine) {
    let s = store(engine).await;
    let e = endpoint(&s).await;
    append(&s, 2).await;
    let events = delivery::pending(&s, e.cursor, 10).await.unwrap();
    let now = OffsetDateTime::now_utc();
    delivery::claim_endpoint(&s, e.id, "w", now, now + Duration::seconds(30))
        .await
        .unwrap();
    let mut last = None;
    for _ in 0..MAX_ATTEMPTS {
        last = Some(
            delivery::record_attempts(&s, e.id, "w", &[attempt(events[0].seq, false)], now)
                .await
                .unwrap(),
        );
    }
    assert!(last.unwrap().dead);
    let e2 = delivery::get_endpoint(&s, e.id).await.unwrap().unwrap();
    assert_eq!(
        e2.cursor, events[0].seq,
        "the dead event no longer blocks the next one"
    );
    assert_eq!(e2.head_attempts, 0);
    assert!(e2.enabled);
    assert_eq!(
        delivery::deliveries(&s, e.id, 1).await.unwrap()[0].outcome,
        "dead"
    );
}

async fn twenty_consecutive_failures_disable_the_endpoint(engine: Engine) {
    let s = store(engine).await;
    let e = endpoint(&s).await;
    append(&s, 5).await;
    let now = OffsetDateTime::now_utc();
    delivery::claim_endpoint(&s, e.id, "w", now, now + Duration::seconds(30))
        .await
        .unwrap();
    let mut disabled_at = None;
    for n in 1..=20 {
        let cur = delivery::get_endpoint(&s, e.id).await.unwrap().unwrap();
        let next = delivery::pending(&s, cur.cursor, 1).await.unwrap();
        let out = delivery::record_attempts(&s, e.id, "w", &[attempt(next[0].seq, false)], now)
            .await
            .unwrap();
        if out.disabled {
            disabled_at = Some(n);
            break;
        }
    }
    assert_eq!(disabled_at, Some(20));
    let e2 = delivery::get_endpoint(&s, e.id).await.unwrap().unwrap();
    assert!(!e2.enabled);
    assert!(e2.disabled_reason.unwrap().contains("20 consecutive"));
    assert!(
        delivery::due_endpoints(&s, now + Duration::days(1))
            .await
            .unwrap()
            .is_empty()
    );
    let back = delivery::set_enabled(&s, e.id, true, None, now, "test")
        .await
        .unwrap()
        .unwrap();
    assert!(back.enabled);
    assert_eq!(back.consecutive_failures, 0);
}

async fn a_replay_is_queued_claimed_once_and_logged(engine: Engine) {
    let s = store(engine).await;
    let ids = append(&s, 1).await;
    let e = endpoint(&s).await;
    let now = OffsetDateTime::now_utc();
    assert_eq!(
        delivery::replay(&s, "nope", None, now, "t").await.unwrap(),
        None
    );
    let queued = delivery::replay(&s, &ids[0], None, now, "t")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(queued, vec![e.id]);
    let lease = Duration::seconds(60);
    let due = delivery::due_replays(&s, now, lease, 10).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].event.event_id, ids[0]);
    assert!(
        delivery::due_replays(&s, now, lease, 10)
            .await
            .unwrap()
            .is_empty(),
        "claimed once"
    );
    let mut a = attempt(due[0].event.seq, true);
    a.event_id = ids[0].clone();
    delivery::record_replay(&s, &due[0], &a, now).await.unwrap();
    let log = delivery::deliveries(&s, e.id, 10).await.unwrap();
    assert!(log[0].replay);
    assert_eq!(log[0].outcome, "delivered");
    assert!(
        delivery::due_replays(&s, now + Duration::hours(9), lease, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn a_named_cursor_is_claimed_by_one_worker_and_only_moves_forward(engine: Engine) {
    let s = store(engine).await;
    let now = OffsetDateTime::now_utc();
    let until = now + Duration::seconds(30);
    assert_eq!(
        delivery::claim_cursor(&s, "nats", "a", now, until, 0)
            .await
            .unwrap(),
        Some(0)
    );
    assert_eq!(
        delivery::claim_cursor(&s, "nats", "b", now, until, 0)
            .await
            .unwrap(),
        None
    );
    delivery::advance_cursor(&s, "nats", "a", 7, now)
        .await
        .unwrap();
    assert!(
        delivery::advance_cursor(&s, "nats", "a", 3, now)
            .await
            .is_err()
    );
    assert!(
        delivery::advance_cursor(&s, "nats", "b", 9, now)
            .await
            .is_err()
    );
    delivery::release_cursor(&s, "nats", "a").await.unwrap();
    assert_eq!(
        delivery::claim_cursor(&s, "nats", "b", now, until, 0)
            .await
            .unwrap(),
        Some(7)
    );
    append(&s, 2).await;
    let lags = delivery::lags(&s, now).await.unwrap();
    let nats = lags.iter().find(|l| l.consumer == "nats").unwrap();
    assert_eq!(nats.events, 0, "seqs 1..=7 do not exist; only 8.. count");
}
