//! Integration tests against the real simulator (`shiprocket-sim`): the whole shipment saga, error
//! paths, 429 with Retry-After, token expiry and an outage that opens the breaker.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::time::{Duration, Instant};

use shiprocket::{
    BreakerState, CallOptions, Client, ClientConfig, CreateOrderRequest, ErrorKind, OrderItem,
    PaymentMethod, ServiceabilityQuery,
};
use shiprocket_sim::{FaultConfig, SimConfig, Simulator};

async fn sim() -> Simulator {
    Simulator::spawn(SimConfig::default()).await.unwrap()
}

fn config(sim: &Simulator) -> ClientConfig {
    let (email, password) = sim.credentials();
    let mut cfg = ClientConfig::new(sim.base_url(), email, password);
    cfg.requests_per_minute = 0;
    cfg.backoff_base = Duration::from_millis(5);
    cfg.backoff_max = Duration::from_millis(50);
    cfg.retry_budget = Duration::from_secs(10);
    cfg
}

fn order(id: &str, cod: bool) -> CreateOrderRequest {
    CreateOrderRequest {
        order_id: id.to_owned(),
        order_date: "2026-11-25 10:30".into(),
        pickup_location: "Primary".into(),
        billing_customer_name: "Asha".into(),
        billing_last_name: "Verma".into(),
        billing_address: "12 MG Road".into(),
        billing_city: "Bengaluru".into(),
        billing_pincode: "560001".into(),
        billing_state: "Karnataka".into(),
        billing_country: "India".into(),
        billing_email: "asha@example.in".into(),
        billing_phone: "9876500001".into(),
        shipping_is_billing: true,
        order_items: vec![OrderItem {
            name: "Kurta".into(),
            sku: "KUR-1".into(),
            units: 2,
            selling_price: 450.0,
            ..Default::default()
        }],
        payment_method: if cod {
            PaymentMethod::Cod
        } else {
            PaymentMethod::Prepaid
        },
        sub_total: 900.0,
        length: 20.0,
        breadth: 15.0,
        height: 5.0,
        weight: 0.6,
        ..Default::default()
    }
}

#[tokio::test]
async fn the_whole_shipment_saga_runs_against_the_simulator() {
    let sim = sim().await;
    let c = Client::new(config(&sim)).unwrap();
    c.login().await.unwrap();

    let pickups = c.pickup_locations().await.unwrap();
    assert!(pickups.iter().any(|p| p.pickup_location == "Primary"));

    let created = c
        .create_adhoc_order(&order("ORD-1001", true))
        .await
        .unwrap();
    assert!(created.order_id > 0 && created.shipment_id > 0);
    assert!(!created.is_cancelled());
    let again = c
        .create_adhoc_order(&order("ORD-1001", true))
        .await
        .unwrap();
    assert_eq!(
        (again.order_id, again.shipment_id),
        (created.order_id, created.shipment_id),
        "create dedupes on our order id"
    );

    let q = ServiceabilityQuery {
        pickup_postcode: "110020".into(),
        delivery_postcode: "560001".into(),
        cod: Some(true),
        weight: Some(0.6),
        ..Default::default()
    };
    let s = c.serviceability(&q).await.unwrap();
    assert!(!s.couriers.is_empty());
    assert!(
        s.couriers
            .iter()
            .all(|q| q.courier_company_id > 0 && q.rate > 0.0 && q.cod)
    );
    let courier = s
        .recommended_courier_company_id
        .unwrap_or(s.couriers[0].courier_company_id);

    let awb = c
        .assign_awb(created.shipment_id, Some(courier))
        .await
        .unwrap();
    assert!(!awb.awb_code.is_empty());
    let repeat = c
        .assign_awb(created.shipment_id, Some(courier))
        .await
        .unwrap_err();
    assert_eq!(repeat.kind(), ErrorKind::AwbAlreadyAssigned, "{repeat:?}");
    let back = c.shipment(created.shipment_id).await.unwrap();
    assert_eq!(
        back.awb.as_deref(),
        Some(awb.awb_code.as_str()),
        "the saga can read an assigned AWB back"
    );

    let pickup = c.generate_pickup(&[created.shipment_id]).await.unwrap();
    assert!(pickup.pickup_scheduled_date.is_some() || pickup.pickup_token_number.is_some());
    for url in [
        c.generate_label(&[created.shipment_id]).await.unwrap(),
        c.generate_manifest(&[created.shipment_id]).await.unwrap(),
        c.print_invoice(&[created.order_id]).await.unwrap(),
    ] {
        assert!(url.starts_with("http"), "{url}");
    }
    let remanifest = c
        .generate_manifest(&[created.shipment_id])
        .await
        .unwrap_err();
    assert_eq!(
        remanifest.kind(),
        ErrorKind::AlreadyManifested,
        "{remanifest:?}"
    );

    let t = c.track_awb(&awb.awb_code).await.unwrap();
    assert!(t.track_status || t.no_activity.is_some());
    sim.control()
        .advance_clock(Duration::from_secs(3 * 24 * 3600))
        .await;
    let t = c.track_awb(&awb.awb_code).await.unwrap();
    assert!(t.track_status && !t.activities.is_empty(), "{t:?}");
    let status = t.shipment_status.unwrap();
    assert_eq!(
        Some(status.code()),
        sim.control().shipment_status(&awb.awb_code)
    );
    let many = c
        .track_awbs(&[awb.awb_code.clone(), "NOPE000".into()])
        .await
        .unwrap();
    assert_eq!(
        many[&awb.awb_code].as_ref().unwrap().shipment_status,
        Some(status)
    );
    assert!(many["NOPE000"].is_err());
}

#[tokio::test]
async fn cancelling_an_order_and_an_awb_works_and_a_cancelled_id_is_flagged() {
    let sim = sim().await;
    let c = Client::new(config(&sim)).unwrap();
    let a = c
        .create_adhoc_order(&order("ORD-2001", false))
        .await
        .unwrap();
    c.cancel_orders(&[a.order_id]).await.unwrap();
    let again = c
        .create_adhoc_order(&order("ORD-2001", false))
        .await
        .unwrap();
    assert!(again.is_cancelled(), "{again:?}");

    let b = c
        .create_adhoc_order(&order("ORD-2002", false))
        .await
        .unwrap();
    let awb = c.assign_awb(b.shipment_id, None).await.unwrap();
    c.cancel_awbs(std::slice::from_ref(&awb.awb_code))
        .await
        .unwrap();
}

#[tokio::test]
async fn simulator_refusals_map_to_actionable_errors() {
    let sim = sim().await;
    let c = Client::new(config(&sim)).unwrap();
    let mut wrong = order("ORD-3001", false);
    wrong.pickup_location = "primary ".into();
    let e = c.create_adhoc_order(&wrong).await.unwrap_err();
    assert!(
        matches!(
            e.kind(),
            ErrorKind::Rejected | ErrorKind::WrongPickupLocation
        ),
        "{e:?}"
    );

    let mut bad = order("ORD-3002", false);
    bad.billing_pincode = "12345".into();
    let e = c.create_adhoc_order(&bad).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation);
    assert!(
        e.ops_message().contains("billing_pincode"),
        "{}",
        e.ops_message()
    );

    let q = ServiceabilityQuery {
        pickup_postcode: "110020".into(),
        delivery_postcode: "744301".into(),
        cod: Some(false),
        weight: Some(1.0),
        ..Default::default()
    };
    assert_eq!(
        c.serviceability(&q).await.unwrap_err().kind(),
        ErrorKind::NotServiceable
    );

    sim.control().set_wallet_balance(0);
    let o = c
        .create_adhoc_order(&order("ORD-3003", false))
        .await
        .unwrap();
    let e = c.assign_awb(o.shipment_id, None).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InsufficientBalance, "{e:?}");
}

#[tokio::test]
async fn a_429_with_retry_after_is_honoured_against_the_simulator() {
    let sim = sim().await;
    let c = Client::new(config(&sim)).unwrap();
    c.login().await.unwrap();
    sim.control().set_faults(FaultConfig {
        rate_limit_rate: 1.0,
        retry_after_secs: 1,
        endpoints: vec!["settings/company/pickup".into()],
        ..Default::default()
    });
    let control = sim.control().clone();
    let clear = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        control.set_faults(FaultConfig::default());
    });
    let started = Instant::now();
    c.pickup_locations().await.unwrap();
    clear.await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "waited {:?}",
        started.elapsed()
    );
    let statuses: Vec<u16> = sim
        .control()
        .calls()
        .iter()
        .filter(|e| e.path.ends_with("settings/company/pickup"))
        .map(|e| e.status)
        .collect();
    assert_eq!(statuses, vec![429, 200], "one retry, after the Retry-After");
}

#[tokio::test]
async fn token_expiry_forces_exactly_one_re_login() {
    let sim = sim().await;
    let c = Client::new(config(&sim)).unwrap();
    c.pickup_locations().await.unwrap();
    sim.control().expire_all_tokens();
    c.pickup_locations().await.unwrap();
    c.pickup_locations().await.unwrap();
    assert_eq!(sim.control().count("auth/login"), 2);
}

#[tokio::test]
async fn an_outage_opens_the_breaker_and_recovery_closes_it() {
    let sim = sim().await;
    let mut cfg = config(&sim);
    cfg.breaker_failure_threshold = 3;
    cfg.breaker_cooldown = Duration::from_millis(300);
    let c = Client::new(cfg).unwrap();
    c.login().await.unwrap();
    sim.control().set_outage(None);
    let once = c.with_options(CallOptions {
        max_attempts: Some(1),
        ..Default::default()
    });
    for _ in 0..3 {
        let e = once.pickup_locations().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ServerError);
    }
    assert!(matches!(c.breaker_state(), BreakerState::Open { .. }));
    let before = sim.control().calls().len();
    assert_eq!(
        c.pickup_locations().await.unwrap_err().kind(),
        ErrorKind::CircuitOpen
    );
    assert_eq!(
        sim.control().calls().len(),
        before,
        "nothing is sent while open"
    );
    sim.control().clear_outage();
    tokio::time::sleep(Duration::from_millis(350)).await;
    c.pickup_locations().await.unwrap();
    assert_eq!(c.breaker_state(), BreakerState::Closed);
}

#[tokio::test]
async fn a_lost_response_to_create_is_safe_to_retry() {
    let sim = sim().await;
    let mut cfg = config(&sim);
    cfg.request_timeout = Duration::from_millis(300);
    let c = Client::new(cfg).unwrap();
    c.login().await.unwrap();
    sim.control().set_faults(FaultConfig {
        timeout_rate: 1.0,
        timeout_hold_ms: 2_000,
        endpoints: vec!["orders/create/adhoc".into()],
        ..Default::default()
    });
    let e = c
        .with_options(CallOptions {
            max_attempts: Some(1),
            ..Default::default()
        })
        .create_adhoc_order(&order("ORD-4001", false))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout);
    sim.control().set_faults(FaultConfig::default());
    let r = c
        .create_adhoc_order(&order("ORD-4001", false))
        .await
        .unwrap();
    assert_eq!(
        sim.control().shipment_count(),
        1,
        "the timed-out create happened once; the retry returned it"
    );
    assert!(r.order_id > 0 && !r.is_cancelled());
}
