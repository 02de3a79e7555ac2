//! Tests for the synthetic order generator.

use super::*;
use orderly_domain::intake::parse_order_placed;
use orderly_domain::pincodes::check_address;
use std::collections::HashSet;
use time::macros::datetime;

#[test]
fn ten_thousand_orders_round_trip_through_intake_and_pass_the_address_check() {
    let mut synth = Synth::new(42);
    let start = datetime!(2026-11-01 00:00 UTC);
    for seq in 0..10_000u64 {
        let placed_at = start + time::Duration::seconds(seq as i64 * 37);
        let order = synth.order(seq, placed_at);
        let env = synth.envelope(&order);
        let body = serde_json::to_vec(&env).unwrap();
        let parsed = parse_order_placed(&body)
            .unwrap_or_else(|e| panic!("order {seq} rejected: {e}\n{env:#}"));
        assert_eq!(parsed.order, order, "order {seq}");
        assert_eq!(parsed.occurred_at, placed_at);
        assert_eq!(check_address(&order.shipping_address), None, "order {seq}");
        if let Some(billing) = &order.billing_address {
            assert_eq!(check_address(billing), None, "order {seq} billing");
        }
    }
}

#[test]
fn the_same_seed_gives_the_same_orders() {
    let at = datetime!(2026-11-25 04:44:58 UTC);
    let (mut a, mut b) = (Synth::new(7), Synth::new(7));
    for seq in 0..100 {
        let (x, y) = (a.order(seq, at), b.order(seq, at));
        assert_eq!(x, y);
        assert_eq!(a.envelope(&x), b.envelope(&y));
    }
    assert_ne!(Synth::new(8).order(0, at), Synth::new(7).order(0, at));
}

/// The orders a fixed seed gives are pinned: a change here changes every seeded demo, benchmark
/// and test database, so it must be deliberate (re-baseline these values with it).
#[test]
fn a_fixed_seed_gives_these_exact_orders() {
    let at = datetime!(2026-11-25 04:44:58 UTC);
    let mut s = Synth::new(42);
    let got: Vec<String> = (0..3)
        .map(|seq| {
            let o = s.order(seq, at);
            format!(
                "{} {} {} {} {:?}",
                o.customer.name,
                o.shipping_address.pincode.as_u32(),
                o.items.len(),
                o.total.paise(),
                o.payment_method
            )
        })
        .collect();
    assert_eq!(got, GOLDEN_ORDERS_42);
}

const GOLDEN_ORDERS_42: [&str; 3] = [
    "Sneha Mishra 127026 1 57645 Prepaid",
    "Jithin Nambiar 560094 2 264395 Cod",
    "Joseph Pereira 247666 2 264271 Cod",
];

#[test]
fn order_numbers_are_zero_padded_to_seven_digits() {
    let at = datetime!(2026-11-25 04:44:58 UTC);
    let mut s = Synth::new(1);
    assert_eq!(s.order(1234, at).order_number.as_str(), "ORD-0001234");
    assert_eq!(
        s.order(12_345_678, at).order_number.as_str(),
        "ORD-12345678"
    );
}

#[test]
fn the_mix_of_orders_looks_like_a_real_d2c_brand() {
    let at = datetime!(2026-11-25 04:44:58 UTC);
    let mut s = Synth::new(3);
    let n = 10_000;
    let orders: Vec<NewOrder> = (0..n).map(|i| s.order(i, at)).collect();
    let cod = orders
        .iter()
        .filter(|o| o.payment_method == PaymentMethod::Cod)
        .count();
    assert!((3_200..3_800).contains(&cod), "COD share {cod}/{n}");
    assert!(orders.iter().all(|o| match o.payment_method {
        PaymentMethod::Cod => o.payment_status == PaymentStatus::Pending,
        PaymentMethod::Prepaid => o.payment_status == PaymentStatus::Paid,
    }));
    assert!(orders.iter().all(|o| (1..=4).contains(&o.items.len())));
    for o in &orders {
        let gross = o.items_subtotal().paise() + o.tax_total().paise();
        assert_eq!(
            o.shipping_charges.paise() == 0,
            gross >= FREE_SHIPPING_FROM,
            "{o:?}"
        );
        assert!(o.total.paise() > 0);
    }
    let discounted = orders.iter().filter(|o| o.discount.paise() > 0).count();
    assert!((800..2_500).contains(&discounted), "{discounted}");
    let states: HashSet<_> = orders
        .iter()
        .map(|o| o.shipping_address.state.as_str())
        .collect();
    assert_eq!(
        states.len(),
        orderly_domain::pincodes::STATES.len(),
        "{states:?}"
    );
    let metro = orders
        .iter()
        .filter(|o| {
            [110, 400, 560, 600, 700, 500, 411, 380]
                .contains(&(o.shipping_address.pincode.as_u32() / 1000))
        })
        .count();
    assert!(metro > n as usize * 2 / 5, "metro share {metro}");
    for o in &orders {
        let Some(pkg) = o.package else { continue };
        let items_g: u32 = o
            .items
            .iter()
            .map(|i| PRODUCTS.iter().find(|p| p.sku == i.sku).unwrap().weight_g * i.units)
            .sum();
        assert_eq!(pkg.weight_g, Some(items_g + 60));
    }
    let products: HashSet<_> = orders
        .iter()
        .flat_map(|o| o.items.iter().map(|i| &i.sku))
        .collect();
    assert_eq!(products.len(), PRODUCTS.len());
}

#[test]
fn envelopes_carry_a_uuid_v7_and_vary_the_phone_spelling() {
    let at = datetime!(2026-11-25 04:44:58 UTC);
    let mut s = Synth::new(5);
    let mut spellings = HashSet::new();
    for i in 0..200 {
        let o = s.order(i, at);
        let env = s.envelope(&o);
        let id = uuid::Uuid::parse_str(env["id"].as_str().unwrap()).unwrap();
        assert_eq!(id.get_version_num(), 7);
        let phone = env["data"]["customer"]["phone"].as_str().unwrap();
        spellings.insert(phone.replace(|c: char| c.is_ascii_digit(), "d"));
    }
    assert!(spellings.len() >= 8, "{spellings:?}");
}
