//! Intake of valid `OrderPlaced` events, and the round trip through `order_placed_json`.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use orderly_domain::intake::{order_placed_json, parse_order_placed};
use orderly_domain::order::{PaymentMethod, PaymentStatus};
use serde_json::{Value, json};

const EXAMPLE: &str = include_str!("fixtures/order_placed.json");

fn example() -> Value {
    serde_json::from_str(EXAMPLE).unwrap()
}

fn parse(v: &Value) -> orderly_domain::intake::OrderPlaced {
    parse_order_placed(&serde_json::to_vec(v).unwrap()).unwrap()
}

#[test]
fn the_documented_example_is_accepted() {
    let ev = parse_order_placed(EXAMPLE.as_bytes()).unwrap();
    let o = &ev.order;
    assert_eq!(ev.id, "0193a1f2-7c4e-7b1a-9d2e-5f6a7b8c9d0e");
    assert_eq!(o.order_number.as_str(), "ORD-1000234");
    assert_eq!(o.placed_at.unix_timestamp(), 1_795_581_898);
    assert_eq!(o.customer.phone.as_str(), "9876543210");
    assert_eq!(o.customer.id.as_deref(), Some("cus_8812"));
    assert_eq!(o.shipping_address.pincode.as_str(), "411001");
    assert_eq!(o.billing_address, None);
    assert_eq!(o.items.len(), 2);
    assert_eq!(o.items[0].tax_rate_bps, 1200);
    assert_eq!(o.items_subtotal().paise(), 134_700);
    assert_eq!(o.tax_total().paise(), 18_258);
    assert_eq!(o.total.format_inr(), "₹1,429.58");
    assert_eq!(o.payment_method, PaymentMethod::Prepaid);
    assert_eq!(o.payment_status, PaymentStatus::Paid);
    let pkg = o.package.unwrap();
    assert_eq!(
        (pkg.weight_g, pkg.length_mm, pkg.breadth_mm, pkg.height_mm),
        (Some(750), Some(300), Some(200), Some(55))
    );
    assert_eq!(
        orderly_domain::pincodes::check_address(&o.shipping_address),
        None
    );
}

#[test]
fn emitting_and_parsing_again_gives_back_the_same_event() {
    let ev = parse_order_placed(EXAMPLE.as_bytes()).unwrap();
    let again = parse(&order_placed_json(&ev.id, ev.occurred_at, &ev.order));
    assert_eq!(again, ev);
    assert_eq!(again.order.content_hash(), ev.order.content_hash());
}

#[test]
fn optional_fields_may_be_left_out_or_null() {
    let mut v = example();
    let d = v["data"].as_object_mut().unwrap();
    d.remove("package");
    d.remove("billing_address");
    d["customer"].as_object_mut().unwrap().remove("id");
    d["shipping_address"]
        .as_object_mut()
        .unwrap()
        .remove("country");
    d["shipping_address"]["line2"] = Value::Null;
    d["items"][0].as_object_mut().unwrap().remove("hsn_code");
    let ev = parse(&v);
    assert_eq!(ev.order.package, None);
    assert_eq!(ev.order.customer.id, None);
    assert_eq!(ev.order.shipping_address.country, "IN");
    assert_eq!(ev.order.shipping_address.line2, None);
    assert_eq!(ev.order.items[0].hsn_code, None);
    let again = parse(&order_placed_json(&ev.id, ev.occurred_at, &ev.order));
    assert_eq!(again, ev);
}

#[test]
fn a_separate_billing_address_and_numeric_pincodes_are_accepted() {
    let mut v = example();
    v["data"]["shipping_address"]["pincode"] = json!(411_001);
    v["data"]["billing_address"] = json!({"name": "Acme Pvt Ltd", "line1": "Plot 4, MIDC",
        "city": "Bengaluru", "state": "Karnataka", "pincode": 560_001});
    let ev = parse(&v);
    let billing = ev.order.billing_address.clone().unwrap();
    assert_eq!(billing.pincode.as_str(), "560001");
    assert_eq!(ev.order.effective_billing_address(), &billing);
    assert_eq!(
        parse(&order_placed_json(&ev.id, ev.occurred_at, &ev.order)),
        ev
    );
}

#[test]
fn unknown_fields_are_ignored_everywhere() {
    let mut v = example();
    v["order_id"] = json!("whatever");
    v["data"]["utm_source"] = json!({"nested": [1, 2, 3]});
    v["data"]["customer"]["loyalty_tier"] = json!("gold");
    v["data"]["items"][0]["colour"] = json!("black");
    v["data"]["payment"]["gateway"] = json!("razorpay");
    assert_eq!(parse(&v), parse(&example()));
}

#[test]
fn unicode_and_right_to_left_names_are_kept() {
    let mut v = example();
    for name in [
        "प्रिया शर्मा",
        "பிரியா",
        "প্রিয়া",
        "محمد عبد الله",
        "ജോസഫ് മാത്യു",
        "Zoë O'Brien-Núñez",
    ] {
        v["data"]["customer"]["name"] = json!(name);
        v["data"]["shipping_address"]["line1"] = json!(format!("{name}, गली 3"));
        let ev = parse(&v);
        assert_eq!(ev.order.customer.name, name);
        assert_eq!(ev.order.shipping_address.line1, format!("{name}, गली 3"));
    }
}

#[test]
fn sql_and_html_injection_strings_are_kept_verbatim() {
    let mut v = example();
    let nasty = [
        "Robert'); DROP TABLE orders;--",
        "<script>alert('x')</script>",
        "\" OR 1=1 --",
        "<img src=x onerror=alert(1)>",
        "${jndi:ldap://x}",
    ];
    for s in nasty {
        v["data"]["customer"]["name"] = json!(s);
        v["data"]["items"][0]["name"] = json!(s);
        v["data"]["shipping_address"]["line2"] = json!(s);
        let ev = parse(&v);
        assert_eq!(ev.order.customer.name, s);
        assert_eq!(ev.order.items[0].name, s);
        assert_eq!(ev.order.shipping_address.line2.as_deref(), Some(s));
    }
}

#[test]
fn fractional_gst_rates_with_two_decimals_are_accepted() {
    let mut v = example();
    v["data"]["items"] = json!([{"sku": "GOLD-1", "name": "Gold coin", "units": 1,
        "unit_price_paise": 100_000, "tax_rate": 0.25}]);
    v["data"]["discount_paise"] = json!(0);
    v["data"]["total_paise"] = json!(100_250);
    let ev = parse(&v);
    assert_eq!(ev.order.items[0].tax_rate_bps, 25);
    assert_eq!(
        parse(&order_placed_json(&ev.id, ev.occurred_at, &ev.order)),
        ev
    );
}

#[test]
fn a_zero_total_is_accepted_when_every_item_is_free() {
    let mut v = example();
    v["data"]["items"] = json!([{"sku": "SAMPLE", "name": "Free sample", "units": 1,
        "unit_price_paise": 0, "tax_rate": 18}]);
    v["data"]["discount_paise"] = json!(0);
    v["data"]["total_paise"] = json!(0);
    assert_eq!(parse(&v).order.total.paise(), 0);
}

#[test]
fn the_content_hash_changes_when_any_field_changes() {
    let base = parse(&example()).order;
    let h = base.content_hash();
    assert_eq!(h.len(), 64);
    let mut o = base.clone();
    o.customer.name.push('!');
    assert_ne!(o.content_hash(), h);
    let mut o = base.clone();
    o.items[1].units += 1;
    assert_ne!(o.content_hash(), h);
    let mut o = base.clone();
    o.billing_address = Some(o.shipping_address.clone());
    assert_ne!(o.content_hash(), h);
    let mut o = base.clone();
    o.placed_at += time::Duration::nanoseconds(1);
    assert_ne!(o.content_hash(), h);
    let mut o = base;
    o.package = None;
    assert_ne!(o.content_hash(), h);
}

#[test]
fn debug_output_does_not_leak_personal_details() {
    let o = parse(&example()).order;
    let dbg = format!("{o:?}");
    for pii in ["Priya", "9876543210", "priya.sharma", "Lotus"] {
        assert!(!dbg.contains(pii), "{pii} in {dbg}");
    }
    assert!(dbg.contains("411001"));
}
