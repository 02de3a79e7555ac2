//! Feature flag storage and shipment figures, on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use orderly_domain::feature::{FlagState, ORDER_FULFILLMENT, Stage};
use orderly_store::flags::{self, Change};
use orderly_store::orders::{self, PlacedMeta};
use orderly_store::{Engine, Store, StoreError, StoreOptions, audit, testing, to_micros};
use orderly_synth::Synth;
use sqlx::Row;
use time::{Duration, OffsetDateTime};

async fn store(engine: Engine) -> Store {
    let url = testing::fresh_database(engine).await.unwrap();
    Store::connect(&url, StoreOptions::default()).await.unwrap()
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
    a_flag_never_set_reads_as_absent,
    every_change_is_kept_in_history_and_the_audit_chain,
    a_change_against_a_stale_version_is_a_conflict,
    a_rollback_keeps_its_figures_until_the_next_change,
    the_window_counts_only_settled_attempts_inside_it,
    stage_figures_give_orders_fulfilled_and_time_to_ship,
);

fn change<'a>(state: &'a FlagState, reason: &'a str, at: OffsetDateTime) -> Change<'a> {
    Change {
        state,
        actor: "user:admin@brand.in",
        reason,
        at,
        rollback_figures: None,
    }
}

/// Places order `seq` placed at `placed_at`; returns its id.
async fn order(s: &Store, seq: u64, placed_at: OffsetDateTime) -> i64 {
    let o = Synth::new(seq).order(seq, placed_at);
    let meta = PlacedMeta {
        event_id: &format!("evt-{seq}"),
        source: "test",
        actor: "intake",
        received_at: placed_at,
        address_suspect: None,
    };
    orders::place(s, &o, &meta).await.unwrap();
    sqlx::query("SELECT id FROM orders WHERE order_number = $1")
        .bind(o.order_number.as_str())
        .fetch_one(s.reader())
        .await
        .unwrap()
        .try_get("id")
        .unwrap()
}

/// Inserts a shipment attempt directly.
async fn shipment(
    s: &Store,
    order_id: i64,
    attempt: i64,
    step: &str,
    class: Option<&str>,
    at: OffsetDateTime,
) {
    let awb = (step != "failed").then(|| format!("AWB{order_id}{attempt}"));
    sqlx::query(
        "INSERT INTO shipments (order_id, attempt, step, channel_order_id, failure_class, awb, actor, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'test', $7, $7)",
    )
    .bind(order_id)
    .bind(attempt)
    .bind(step)
    .bind(format!("C-{order_id}-{attempt}"))
    .bind(class)
    .bind(awb)
    .bind(to_micros(at))
    .execute(s.writer())
    .await
    .unwrap();
}

async fn a_flag_never_set_reads_as_absent(engine: Engine) {
    let s = store(engine).await;
    assert_eq!(flags::get(&s, ORDER_FULFILLMENT).await.unwrap(), None);
    assert!(
        flags::history(&s, ORDER_FULFILLMENT, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn every_change_is_kept_in_history_and_the_audit_chain(engine: Engine) {
    let s = store(engine).await;
    let t0 = OffsetDateTime::now_utc();
    let internal = FlagState::parse_config("internal:asha@brand.in").unwrap();
    let first = flags::set(
        &s,
        ORDER_FULFILLMENT,
        &change(&internal, "alpha starts", t0),
    )
    .await
    .unwrap();
    assert_eq!(first.version, 1);
    assert_eq!(first.state, internal);
    let percent = FlagState::parse_config("percent:20").unwrap();
    let second = flags::set(
        &s,
        ORDER_FULFILLMENT,
        &change(&percent, "beta", t0 + Duration::hours(1)),
    )
    .await
    .unwrap();
    assert_eq!(second.version, 2);
    assert_eq!(second.updated_by, "user:admin@brand.in");
    assert_eq!(second.reason, "beta");
    let stored = flags::get(&s, ORDER_FULFILLMENT).await.unwrap().unwrap();
    assert_eq!(stored, second);

    let history = flags::history(&s, ORDER_FULFILLMENT, 10).await.unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].from_stage, Some(Stage::Internal));
    assert_eq!(history[0].to_stage, Stage::Percent);
    assert_eq!(history[0].to_percent, 20);
    assert_eq!(history[1].from_stage, None);
    assert_eq!(history[1].staff, vec!["asha@brand.in"]);
    assert!(!history[0].automatic);

    let entries = audit::for_entity(&s, "feature_flag", ORDER_FULFILLMENT)
        .await
        .unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[1].action, "feature_flag.changed");
    assert_eq!(entries[1].detail["from"]["stage"], "internal");
    assert_eq!(entries[1].detail["to"]["percent"], 20);
    assert_eq!(entries[1].detail["reason"], "beta");
    assert_eq!(audit::verify(&s).await.unwrap().broken, None);
}

async fn a_change_against_a_stale_version_is_a_conflict(engine: Engine) {
    let s = store(engine).await;
    let on = FlagState::parse_config("on").unwrap();
    let now = OffsetDateTime::now_utc();
    flags::set(&s, ORDER_FULFILLMENT, &change(&on, "go", now))
        .await
        .unwrap();
    let mut tx = s.begin().await.unwrap();
    let stale = flags::set_in(
        &mut tx,
        ORDER_FULFILLMENT,
        Some(7),
        &change(&FlagState::off(), "stop", now),
    )
    .await;
    assert!(matches!(stale, Err(StoreError::Conflict(_))), "{stale:?}");
    let absent = flags::set_in(
        &mut tx,
        ORDER_FULFILLMENT,
        None,
        &change(&FlagState::off(), "stop", now),
    )
    .await;
    assert!(matches!(absent, Err(StoreError::Conflict(_))), "{absent:?}");
    drop(tx);
    assert_eq!(
        flags::get(&s, ORDER_FULFILLMENT)
            .await
            .unwrap()
            .unwrap()
            .state
            .stage,
        Stage::On
    );
    assert_eq!(
        flags::history(&s, ORDER_FULFILLMENT, 10)
            .await
            .unwrap()
            .len(),
        1
    );
}

async fn a_rollback_keeps_its_figures_until_the_next_change(engine: Engine) {
    let s = store(engine).await;
    let now = OffsetDateTime::now_utc();
    let on = FlagState::parse_config("on").unwrap();
    flags::set(&s, ORDER_FULFILLMENT, &change(&on, "go", now))
        .await
        .unwrap();
    let figures = serde_json::json!({"settled": 40, "errors": 4});
    let off = FlagState::off();
    let rolled = flags::set(
        &s,
        ORDER_FULFILLMENT,
        &Change {
            state: &off,
            actor: "rollback-guard",
            reason: "Error rate 10.0 % is over the 1.0 % threshold",
            at: now,
            rollback_figures: Some(figures.clone()),
        },
    )
    .await
    .unwrap();
    let rb = rolled.rolled_back.unwrap();
    assert_eq!(rb.figures, figures);
    assert!(rb.reason.starts_with("Error rate"));
    let history = flags::history(&s, ORDER_FULFILLMENT, 10).await.unwrap();
    assert!(history[0].automatic);
    let entries = audit::for_entity(&s, "feature_flag", ORDER_FULFILLMENT)
        .await
        .unwrap();
    assert_eq!(entries[1].action, "feature_flag.rolled_back");
    assert_eq!(entries[1].detail["figures"]["errors"], 4);

    let again = flags::set(
        &s,
        ORDER_FULFILLMENT,
        &change(&on, "Shiprocket is back", now),
    )
    .await
    .unwrap();
    assert_eq!(again.rolled_back, None);
}

async fn the_window_counts_only_settled_attempts_inside_it(engine: Engine) {
    let s = store(engine).await;
    let now = OffsetDateTime::now_utc();
    let old = now - Duration::hours(3);
    let id = order(&s, 1, old).await;
    shipment(&s, id, 1, "failed", Some("server_error"), old).await;
    shipment(
        &s,
        id,
        2,
        "failed",
        Some("not_serviceable"),
        now - Duration::minutes(5),
    )
    .await;
    shipment(&s, id, 3, "failed", None, now - Duration::minutes(4)).await;
    shipment(&s, id, 4, "cancelled", None, now - Duration::minutes(3)).await;
    shipment(
        &s,
        id,
        5,
        "courier_chosen",
        None,
        now - Duration::minutes(2),
    )
    .await;
    shipment(&s, id, 6, "done", None, now - Duration::minutes(1)).await;
    shipment(&s, id, 7, "awb_assigned", None, now - Duration::minutes(1)).await;
    let w = flags::window_stats(&s, now - Duration::hours(1), now)
        .await
        .unwrap();
    assert_eq!(w.settled, 4);
    assert_eq!(w.succeeded, 2);
    assert_eq!(w.failed, 2);
    assert_eq!(
        w.errors, 1,
        "not_serviceable is an order problem, a class-less failure an error"
    );
}

async fn stage_figures_give_orders_fulfilled_and_time_to_ship(engine: Engine) {
    let s = store(engine).await;
    let now = OffsetDateTime::now_utc();
    let start = now - Duration::days(2);
    // Orders shipped 10, 20, 30 and 50 hours after placement, one failure, and one attempt outside.
    for (seq, hours) in [(1u64, 10i64), (2, 20), (3, 30), (4, 50)] {
        let placed = start - Duration::hours(hours);
        let id = order(&s, seq, placed).await;
        shipment(&s, id, 1, "done", None, start + Duration::hours(1)).await;
        sqlx::query("UPDATE orders SET shipped_at = $1 WHERE id = $2")
            .bind(to_micros(placed + Duration::hours(hours)))
            .bind(id)
            .execute(s.writer())
            .await
            .unwrap();
    }
    let failed = order(&s, 5, start).await;
    shipment(
        &s,
        failed,
        1,
        "failed",
        Some("timeout"),
        start + Duration::hours(2),
    )
    .await;
    let outside = order(&s, 6, start).await;
    shipment(&s, outside, 1, "done", None, start - Duration::hours(1)).await;

    let periods = [
        (start, start + Duration::hours(1) + Duration::seconds(1)),
        (start + Duration::hours(2), now),
    ];
    let f = flags::stage_figures(&s, &periods, Duration::hours(24))
        .await
        .unwrap();
    assert_eq!(f.stats.settled, 5);
    assert_eq!(f.stats.succeeded, 4);
    assert_eq!(f.stats.errors, 1);
    assert_eq!(f.orders_fulfilled, 4);
    assert_eq!(f.awbs, 4);
    assert_eq!(f.shipped_orders, 4);
    assert_eq!(f.median_ship_secs, Some(25 * 3600));
    assert_eq!(f.mean_ship_secs, Some(((10 + 20 + 30 + 50) * 3600) / 4));
    assert_eq!(f.on_time, 2);

    let none = flags::stage_figures(&s, &[], Duration::hours(24))
        .await
        .unwrap();
    assert_eq!(none.stats.settled, 0);
}
