//! The storage conformance suite: every story runs against SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use orderly_domain::order::NewOrder;
use orderly_store::orders::{self, IntakeOutcome, ListQuery, PlacedMeta, Search, View};
use orderly_store::{Engine, Store, StoreOptions, api_keys, audit, bulk, testing};
use orderly_synth::Synth;
use time::OffsetDateTime;

async fn store(engine: Engine) -> Store {
    let url = testing::fresh_database(engine).await.unwrap();
    Store::connect(&url, StoreOptions::default()).await.unwrap()
}

fn order(seq: u64) -> NewOrder {
    Synth::new(seq).order(
        seq,
        OffsetDateTime::now_utc() - time::Duration::minutes(seq as i64),
    )
}

fn meta(event_id: &str) -> PlacedMeta<'_> {
    PlacedMeta {
        event_id,
        source: "test",
        actor: "intake",
        received_at: OffsetDateTime::now_utc(),
        address_suspect: None,
    }
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
    a_placed_order_is_stored_with_items_history_and_audit,
    a_redelivered_event_is_a_duplicate_and_stores_nothing_twice,
    a_new_event_for_a_stored_identical_order_is_a_duplicate,
    a_different_order_under_a_stored_number_is_a_conflict_and_changes_nothing,
    an_event_id_reused_for_another_order_is_refused,
    a_hundred_concurrent_identical_deliveries_store_one_order,
    the_list_filters_searches_and_pages_without_gaps_or_repeats,
    the_audit_chain_verifies_and_detects_an_edited_row,
    api_keys_verify_only_when_exact_and_carry_scopes,
    bulk_loading_skips_stored_orders_and_keeps_history,
    migrations_run_once,
    an_unknown_status_step_or_payment_method_read_back_is_an_error_naming_the_row,
);

async fn a_placed_order_is_stored_with_items_history_and_audit(engine: Engine) {
    let s = store(engine).await;
    let o = order(1);
    let out = orders::place(&s, &o, &meta("evt-1")).await.unwrap();
    let IntakeOutcome::Created(summary) = out else {
        panic!("expected Created, got {out:?}")
    };
    assert_eq!(summary.status, orderly_domain::OrderStatus::Placed);
    assert_eq!(summary.total_paise, o.total.paise());
    let detail = orders::get(&s, o.order_number.as_str())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(detail.items.len(), o.items.len());
    assert_eq!(detail.items[0].sku, o.items[0].sku);
    assert_eq!(detail.history.len(), 1);
    assert_eq!(detail.history[0].to, "placed");
    assert_eq!(
        detail.shipping_address.pincode,
        o.shipping_address.pincode.as_str()
    );
    assert_eq!(
        detail.placed_at_micros(),
        orderly_store::to_micros(o.placed_at)
    );
    let entries = audit::for_entity(&s, "order", o.order_number.as_str())
        .await
        .unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].action, "order.placed");
}

trait Micros {
    fn placed_at_micros(&self) -> i64;
}
impl Micros for orders::OrderDetail {
    fn placed_at_micros(&self) -> i64 {
        orderly_store::to_micros(self.summary.placed_at)
    }
}

async fn a_redelivered_event_is_a_duplicate_and_stores_nothing_twice(engine: Engine) {
    let s = store(engine).await;
    let o = order(2);
    assert!(matches!(
        orders::place(&s, &o, &meta("evt-2")).await.unwrap(),
        IntakeOutcome::Created(_)
    ));
    for _ in 0..3 {
        assert!(matches!(
            orders::place(&s, &o, &meta("evt-2")).await.unwrap(),
            IntakeOutcome::Duplicate(_)
        ));
    }
    assert_eq!(orders::count_all(&s).await.unwrap(), 1);
    let detail = orders::get(&s, o.order_number.as_str())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(detail.history.len(), 1);
    assert_eq!(audit::verify(&s).await.unwrap().rows, 1);
}

async fn a_new_event_for_a_stored_identical_order_is_a_duplicate(engine: Engine) {
    let s = store(engine).await;
    let o = order(3);
    orders::place(&s, &o, &meta("evt-3a")).await.unwrap();
    let out = orders::place(&s, &o, &meta("evt-3b")).await.unwrap();
    assert!(matches!(out, IntakeOutcome::Duplicate(_)), "{out:?}");
    assert_eq!(orders::count_all(&s).await.unwrap(), 1);
}

async fn a_different_order_under_a_stored_number_is_a_conflict_and_changes_nothing(engine: Engine) {
    let s = store(engine).await;
    let o = order(4);
    orders::place(&s, &o, &meta("evt-4a")).await.unwrap();
    let before = orders::get(&s, o.order_number.as_str())
        .await
        .unwrap()
        .unwrap();
    let mut changed = o.clone();
    changed.customer.name = "Someone Else".into();
    let out = orders::place(&s, &changed, &meta("evt-4b")).await.unwrap();
    assert!(matches!(out, IntakeOutcome::Conflict(_)), "{out:?}");
    let after = orders::get(&s, o.order_number.as_str())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(before, after);
    // The refused event id was not recorded: a corrected redelivery under it would still be judged on content.
    let again = orders::place(&s, &o, &meta("evt-4b")).await.unwrap();
    assert!(matches!(again, IntakeOutcome::Duplicate(_)), "{again:?}");
}

async fn an_event_id_reused_for_another_order_is_refused(engine: Engine) {
    let s = store(engine).await;
    orders::place(&s, &order(5), &meta("evt-5")).await.unwrap();
    let out = orders::place(&s, &order(6), &meta("evt-5")).await.unwrap();
    assert!(matches!(out, IntakeOutcome::EventIdReused(_)), "{out:?}");
    assert_eq!(orders::count_all(&s).await.unwrap(), 1);
}

async fn a_hundred_concurrent_identical_deliveries_store_one_order(engine: Engine) {
    let s = store(engine).await;
    let o = order(7);
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let (s, o) = (s.clone(), o.clone());
        tasks.push(tokio::spawn(async move {
            orders::place(&s, &o, &meta("evt-7")).await
        }));
    }
    let mut created = 0;
    for t in tasks {
        match t.await.unwrap().unwrap() {
            IntakeOutcome::Created(_) => created += 1,
            IntakeOutcome::Duplicate(_) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(created, 1);
    assert_eq!(orders::count_all(&s).await.unwrap(), 1);
    assert_eq!(
        audit::verify(&s).await.unwrap(),
        audit::Verification {
            rows: 1,
            broken: None
        }
    );
}

async fn the_list_filters_searches_and_pages_without_gaps_or_repeats(engine: Engine) {
    let s = store(engine).await;
    let all: Vec<NewOrder> = (100..160).map(order).collect();
    let suspects = vec![None; all.len()];
    assert_eq!(
        bulk::insert_orders(&s, &all, &suspects, "test")
            .await
            .unwrap(),
        60
    );
    // Page through everything, 7 at a time: newest first, no repeats, no gaps.
    let mut seen = Vec::new();
    let mut q = ListQuery {
        limit: 7,
        ..ListQuery::default()
    };
    loop {
        let page = orders::list(&s, &q).await.unwrap();
        seen.extend(
            page.orders
                .iter()
                .map(|o| (o.placed_at, o.order_number.clone())),
        );
        match page.next {
            Some(c) => q.cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(seen.len(), 60);
    assert!(seen.windows(2).all(|w| w[0].0 >= w[1].0), "newest first");
    let mut numbers: Vec<_> = seen.iter().map(|x| x.1.clone()).collect();
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), 60);

    let target = &all[17];
    let by = |search: Search| ListQuery {
        search: Some(search),
        limit: 25,
        ..ListQuery::default()
    };
    for search in [
        Search {
            order_numbers: vec![target.order_number.as_str().to_string()],
            ..Search::default()
        },
        Search {
            email: Some(target.customer.email.as_str().to_string()),
            ..Search::default()
        },
        Search {
            phone: Some(target.customer.phone.as_str().to_string()),
            ..Search::default()
        },
    ] {
        let page = orders::list(&s, &by(search.clone())).await.unwrap();
        assert!(
            page.orders
                .iter()
                .any(|o| o.order_number == target.order_number.as_str()),
            "{search:?}"
        );
    }
    let placed = orders::list(
        &s,
        &ListQuery {
            status: Some("placed".into()),
            limit: 100,
            ..ListQuery::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(placed.orders.len(), 60);
    let shipped = orders::list(
        &s,
        &ListQuery {
            status: Some("shipped".into()),
            limit: 100,
            ..ListQuery::default()
        },
    )
    .await
    .unwrap();
    assert!(shipped.orders.is_empty());
    let failed = orders::list(
        &s,
        &ListQuery {
            view: Some(View::FailedShipments),
            limit: 100,
            ..ListQuery::default()
        },
    )
    .await
    .unwrap();
    assert!(failed.orders.is_empty());
    // A date range keeps exactly the orders inside it.
    let from = all[30].placed_at;
    let to = all[20].placed_at;
    let ranged = orders::list(
        &s,
        &ListQuery {
            placed_from: Some(from),
            placed_to: Some(to),
            limit: 100,
            ..ListQuery::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(ranged.orders.len(), 10);
    let counts = orders::count_by_status(&s).await.unwrap();
    assert_eq!(counts, vec![("placed".to_string(), 60)]);
}

async fn the_audit_chain_verifies_and_detects_an_edited_row(engine: Engine) {
    let s = store(engine).await;
    for i in 0..5 {
        orders::place(&s, &order(200 + i), &meta(&format!("evt-a{i}")))
            .await
            .unwrap();
    }
    assert_eq!(
        audit::verify(&s).await.unwrap(),
        audit::Verification {
            rows: 5,
            broken: None
        }
    );
    sqlx::query("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3")
        .execute(s.writer())
        .await
        .unwrap();
    let v = audit::verify(&s).await.unwrap();
    assert_eq!(v.broken.map(|b| b.0), Some(3));
}

async fn api_keys_verify_only_when_exact_and_carry_scopes(engine: Engine) {
    let s = store(engine).await;
    let key = api_keys::create(&s, "reporting", &["orders:read".to_string()], "test")
        .await
        .unwrap();
    let p = api_keys::verify(&s, &key.key).await.unwrap().unwrap();
    assert!(p.has_scope("orders:read"));
    assert!(!p.has_scope("orders:write"));
    let mut wrong = key.key.clone();
    wrong.push('x');
    assert!(api_keys::verify(&s, &wrong).await.unwrap().is_none());
    assert!(
        api_keys::verify(&s, "ok_nope_nope")
            .await
            .unwrap()
            .is_none()
    );
    assert!(api_keys::verify(&s, "garbage").await.unwrap().is_none());
}

async fn bulk_loading_skips_stored_orders_and_keeps_history(engine: Engine) {
    let s = store(engine).await;
    let batch: Vec<NewOrder> = (300..320).map(order).collect();
    let none = vec![None; batch.len()];
    assert_eq!(
        bulk::insert_orders(&s, &batch, &none, "seed")
            .await
            .unwrap(),
        20
    );
    assert_eq!(
        bulk::insert_orders(&s, &batch, &none, "seed")
            .await
            .unwrap(),
        0
    );
    assert_eq!(orders::count_all(&s).await.unwrap(), 20);
    let d = orders::get(&s, batch[5].order_number.as_str())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d.items.len(), batch[5].items.len());
    assert_eq!(d.history.len(), 1);
    // A later single placement still gets a fresh id after bulk-assigned ones.
    let out = orders::place(&s, &order(400), &meta("evt-400"))
        .await
        .unwrap();
    assert!(matches!(out, IntakeOutcome::Created(_)));
    assert_eq!(audit::verify(&s).await.unwrap().broken, None);
}

async fn migrations_run_once(engine: Engine) {
    let s = store(engine).await;
    assert_eq!(s.migrate().await.unwrap(), 0);
}

async fn an_unknown_status_step_or_payment_method_read_back_is_an_error_naming_the_row(
    engine: Engine,
) {
    use orderly_store::fulfilment;
    let s = store(engine).await;
    let o = order(1);
    let IntakeOutcome::Created(summary) = orders::place(&s, &o, &meta("evt-1")).await.unwrap()
    else {
        panic!("expected Created")
    };
    let id = summary.id;
    let mut tx = s.begin().await.unwrap();
    let sh = fulfilment::insert_attempt(
        &mut tx,
        id,
        o.order_number.as_str(),
        "balanced",
        None,
        None,
        "test",
        OffsetDateTime::now_utc(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let corrupt = |sql: &'static str, row: i64| {
        let s = s.clone();
        async move {
            sqlx::query(sql)
                .bind(row)
                .execute(s.writer())
                .await
                .unwrap();
        }
    };

    corrupt(
        "UPDATE shipments SET step = 'shipped-ish' WHERE id = $1",
        sh.id,
    )
    .await;
    let mut conn = s.reader().acquire().await.unwrap();
    let err = fulfilment::load_shipment(&mut conn, sh.id)
        .await
        .unwrap_err();
    drop(conn);
    let text = err.to_string();
    assert!(
        text.contains(&format!("shipment {}", sh.id)) && text.contains("shipped-ish"),
        "{text}"
    );

    corrupt("UPDATE orders SET status = 'lost' WHERE id = $1", id).await;
    let err = orders::get(&s, o.order_number.as_str()).await.unwrap_err();
    assert!(err.to_string().contains(&format!("order {id}")), "{err}");

    corrupt(
        "UPDATE orders SET status = 'placed', payment_method = 'upi' WHERE id = $1",
        id,
    )
    .await;
    let err = orders::get(&s, o.order_number.as_str()).await.unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains(&format!("order {id}")) && text.contains("upi"),
        "{text}"
    );
}
