//! Shipment leases with a holder token and the "waiting for Shiprocket" state, on SQLite and
//! PostgreSQL: one holder at a time, renewals only by the holder, takeover after expiry, and parked
//! attempts neither due nor lost until they are resumed.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use orderly_store::fulfilment;
use orderly_store::orders::{self, IntakeOutcome, PlacedMeta};
use orderly_store::{Engine, Store, StoreOptions, testing};
use orderly_synth::Synth;
use time::{Duration, OffsetDateTime};

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
    a_lease_has_one_holder_who_alone_renews_it_until_it_runs_out,
    a_parked_attempt_is_not_due_and_resumes_with_its_first_since,
);

/// A store with one order and one attempt in step `requested`; returns the attempt id.
async fn one_attempt(engine: Engine) -> (Store, i64) {
    let url = testing::fresh_database(engine).await.unwrap();
    let s = Store::connect(&url, StoreOptions::default()).await.unwrap();
    let now = OffsetDateTime::now_utc();
    let o = Synth::new(1).order(1, now);
    let meta = PlacedMeta {
        event_id: "evt-1",
        source: "test",
        actor: "intake",
        received_at: now,
        address_suspect: None,
    };
    let IntakeOutcome::Created(summary) = orders::place(&s, &o, &meta).await.unwrap() else {
        panic!("not created")
    };
    let mut tx = s.begin().await.unwrap();
    let sh = fulfilment::insert_attempt(
        &mut tx,
        summary.id,
        &summary.order_number,
        "cheapest",
        None,
        None,
        "test",
        now,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    (s, sh.id)
}

async fn a_lease_has_one_holder_who_alone_renews_it_until_it_runs_out(engine: Engine) {
    let (s, id) = one_attempt(engine).await;
    let t0 = OffsetDateTime::now_utc();
    let lease = Duration::seconds(15);
    assert!(
        fulfilment::claim_lease(&s, id, "a", t0, t0 + lease)
            .await
            .unwrap()
    );
    assert!(
        !fulfilment::claim_lease(&s, id, "b", t0, t0 + lease)
            .await
            .unwrap()
    );
    assert!(fulfilment::runnable(&s, t0, 10).await.unwrap().is_empty());
    // Only the holder renews; "b" cannot extend a lease it does not hold.
    assert!(
        fulfilment::renew_lease(&s, id, "a", t0 + Duration::seconds(25))
            .await
            .unwrap()
    );
    assert!(
        !fulfilment::renew_lease(&s, id, "b", t0 + Duration::seconds(99))
            .await
            .unwrap()
    );
    let t1 = t0 + Duration::seconds(20);
    assert!(
        !fulfilment::claim_lease(&s, id, "b", t1, t1 + lease)
            .await
            .unwrap()
    );
    // "a" dies: no more renewals; once the lease has run out "b" takes over, and "a" learns it.
    let t2 = t0 + Duration::seconds(26);
    assert_eq!(fulfilment::runnable(&s, t2, 10).await.unwrap(), vec![id]);
    assert!(
        fulfilment::claim_lease(&s, id, "b", t2, t2 + lease)
            .await
            .unwrap()
    );
    assert!(
        !fulfilment::renew_lease(&s, id, "a", t2 + lease)
            .await
            .unwrap()
    );
    // A stale holder's release leaves the new holder's lease alone.
    fulfilment::release_lease(&s, id, "a").await.unwrap();
    assert!(fulfilment::runnable(&s, t2, 10).await.unwrap().is_empty());
    fulfilment::release_lease(&s, id, "b").await.unwrap();
    assert_eq!(fulfilment::runnable(&s, t2, 10).await.unwrap(), vec![id]);
}

async fn a_parked_attempt_is_not_due_and_resumes_with_its_first_since(engine: Engine) {
    let (s, id) = one_attempt(engine).await;
    let t0 = OffsetDateTime::now_utc();
    assert_eq!(fulfilment::waiting(&s).await.unwrap(), None);
    let mut conn = s.writer().acquire().await.unwrap();
    assert!(
        fulfilment::park(&mut conn, id, "requested", "down (server_error)", t0)
            .await
            .unwrap()
    );
    // Parked again later (the probe failed, a retry failed): since-when stays the first time.
    let t1 = t0 + Duration::minutes(30);
    assert!(
        fulfilment::park(&mut conn, id, "requested", "down (circuit_open)", t1)
            .await
            .unwrap()
    );
    // Not parked when the attempt moved on meanwhile.
    assert!(
        !fulfilment::park(&mut conn, id, "courier_chosen", "x", t1)
            .await
            .unwrap()
    );
    drop(conn);
    let w = fulfilment::waiting(&s).await.unwrap().unwrap();
    assert_eq!(w.attempts, 1);
    assert!((w.since - t0).abs() < Duration::milliseconds(1));
    assert_eq!(w.reason.as_deref(), Some("down (circuit_open)"));
    assert!(
        fulfilment::runnable(&s, t1 + Duration::hours(1), 10)
            .await
            .unwrap()
            .is_empty(),
        "a parked attempt is not due"
    );
    assert_eq!(fulfilment::resume_waiting(&s, t1).await.unwrap(), 1);
    assert_eq!(fulfilment::waiting(&s).await.unwrap(), None);
    assert_eq!(fulfilment::runnable(&s, t1, 10).await.unwrap(), vec![id]);
}
