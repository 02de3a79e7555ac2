//! Intake of bad `OrderPlaced` payloads: every error is reported, each at its JSON pointer.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use orderly_domain::intake::{FieldError, IntakeError, parse_order_placed};
use serde_json::{Value, json};

const EXAMPLE: &str = include_str!("fixtures/order_placed.json");

fn example() -> Value {
    serde_json::from_str(EXAMPLE).unwrap()
}

fn errors(v: &Value) -> Vec<FieldError> {
    match parse_order_placed(&serde_json::to_vec(v).unwrap()) {
        Err(IntakeError::Invalid(errs)) => errs,
        other => panic!("expected Invalid, got {other:?}"),
    }
}

/// The single error for `v`, asserting it is at `pointer` and mentions `needle`.
fn only_error(v: &Value, pointer: &str, needle: &str) {
    let errs = errors(v);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert_eq!(errs[0].pointer, pointer, "{errs:#?}");
    assert!(
        errs[0].message.contains(needle),
        "{:?} lacks {needle:?}",
        errs[0].message
    );
}

#[test]
fn bodies_that_are_not_json_objects_are_malformed() {
    for body in [
        &b""[..],
        b"{",
        b"not json",
        b"{\"id\": }",
        b"[1,2]",
        b"\"text\"",
        b"42",
        b"\xff\xfe",
    ] {
        match parse_order_placed(body) {
            Err(IntakeError::Malformed(msg)) => assert!(!msg.is_empty()),
            other => panic!("{body:?}: expected Malformed, got {other:?}"),
        }
    }
}

#[test]
fn a_wrong_envelope_is_reported_field_by_field() {
    let v = json!({"id": "", "type": "OrderShipped", "version": 2, "occurred_at": "yesterday", "data": []});
    let errs = errors(&v);
    let pointers: Vec<_> = errs.iter().map(|e| e.pointer.as_str()).collect();
    assert_eq!(
        pointers,
        ["/id", "/type", "/version", "/occurred_at", "/data"],
        "{errs:#?}"
    );
    assert!(errs[1].message.contains("\"OrderShipped\""));
    assert!(errs[2].message.contains("unsupported version 2"));
    assert!(errs[4].message.contains("expected an object, got an array"));
}

#[test]
fn missing_fields_are_each_reported_as_required() {
    let v = json!({"id": "e1", "type": "OrderPlaced", "version": 1,
        "occurred_at": "2026-11-25T04:45:01Z", "data": {}});
    let errs = errors(&v);
    let mut pointers: Vec<_> = errs.iter().map(|e| e.pointer.as_str()).collect();
    pointers.sort_unstable();
    assert_eq!(
        pointers,
        [
            "/data/customer",
            "/data/discount_paise",
            "/data/items",
            "/data/order_number",
            "/data/payment",
            "/data/placed_at",
            "/data/shipping_address",
            "/data/shipping_paise",
            "/data/total_paise",
        ]
    );
    assert!(errs.iter().all(|e| e.message == "is required"));
}

#[test]
fn every_invalid_field_is_reported_not_just_the_first() {
    let mut v = example();
    v["data"]["customer"]["email"] = json!("not-an-email");
    v["data"]["customer"]["phone"] = json!("12345");
    v["data"]["shipping_address"]["pincode"] = json!("011001");
    v["data"]["items"][1]["units"] = json!(0);
    v["data"]["payment"]["method"] = json!("upi");
    let pointers: Vec<_> = errors(&v).into_iter().map(|e| e.pointer).collect();
    assert_eq!(
        pointers,
        [
            "/data/customer/email",
            "/data/customer/phone",
            "/data/shipping_address/pincode",
            "/data/items/1/units",
            "/data/payment/method",
        ]
    );
}

#[test]
fn wrong_types_are_named_in_the_message() {
    let cases = [
        (
            "/data/items/0/units",
            json!("2"),
            "expected a whole number of units, got a string",
        ),
        (
            "/data/items/0/units",
            json!(1.5),
            "expected a whole number of units, got 1.5",
        ),
        (
            "/data/items/0/unit_price_paise",
            json!(499.5),
            "expected an integer number of paise, got 499.5",
        ),
        (
            "/data/items/0/unit_price_paise",
            json!("49900"),
            "expected an integer number of paise, got a string",
        ),
        ("/data/shipping_paise", json!(true), "got a boolean (true)"),
        (
            "/data/customer/name",
            json!(42),
            "expected a string, got 42",
        ),
        (
            "/data/customer",
            json!("Priya"),
            "expected an object, got a string",
        ),
        (
            "/data/items",
            json!({"sku": "X"}),
            "expected an array of items, got an object",
        ),
        (
            "/data/items/0/tax_rate",
            json!("18%"),
            "expected a GST rate in percent",
        ),
        (
            "/data/placed_at",
            json!(1_764_045_898),
            "expected an RFC 3339 time string",
        ),
        (
            "/data/shipping_address/pincode",
            json!([411_001]),
            "expected a 6-digit PIN code, got an array",
        ),
        (
            "/data/package/weight_kg",
            json!("0.5kg"),
            "expected a number of kg, got a string",
        ),
    ];
    for (pointer, bad, needle) in cases {
        let mut v = example();
        *v.pointer_mut(pointer).unwrap() = bad;
        only_error(&v, pointer, needle);
    }
}

#[test]
fn negative_and_fractional_paise_are_rejected() {
    for (bad, needle) in [
        (json!(-1), "must not be negative, got -1"),
        (json!(0.5), "got 0.5"),
        (json!(1e3), "got 1000.0"),
        (json!(10_000_000_001_i64), "at most 10000000000 paise"),
    ] {
        let mut v = example();
        v["data"]["discount_paise"] = bad;
        only_error(&v, "/data/discount_paise", needle);
    }
}

#[test]
fn totals_that_do_not_add_up_name_the_expected_figure_and_the_difference() {
    let mut v = example();
    v["data"]["total_paise"] = json!(142_900);
    let errs = errors(&v);
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].pointer, "/data/total_paise");
    assert_eq!(
        errs[0].message,
        "total does not add up: expected 142958 paise (items 134700 + GST 18258 + shipping 0 \
         − discount 10000), got 142900 paise, a difference of -58 paise"
    );
    v["data"]["total_paise"] = json!(142_959);
    assert!(errors(&v)[0].message.ends_with("a difference of +1 paise"));
}

#[test]
fn a_zero_total_is_refused_when_something_costs_money() {
    let mut v = example();
    v["data"]["discount_paise"] = json!(152_958);
    v["data"]["total_paise"] = json!(0);
    only_error(&v, "/data/total_paise", "must be greater than 0");
}

#[test]
fn duplicate_skus_are_reported_at_the_duplicate() {
    let mut v = example();
    v["data"]["items"][1]["sku"] = json!("TEE-BLK-M");
    only_error(&v, "/data/items/1/sku", "already at /data/items/0");
}

#[test]
fn zero_items_and_too_many_items_are_rejected() {
    let mut v = example();
    v["data"]["items"] = json!([]);
    only_error(&v, "/data/items", "at least one item");
    let many: Vec<Value> = (0..501)
        .map(|i| json!({"sku": format!("S{i}"), "name": "n", "units": 1, "unit_price_paise": 1, "tax_rate": 0}))
        .collect();
    v["data"]["items"] = Value::Array(many);
    only_error(&v, "/data/items", "at most 500 items");
}

#[test]
fn item_limits_are_enforced() {
    let cases = [
        ("/data/items/0/units", json!(0), "between 1 and 10000"),
        ("/data/items/0/units", json!(10_001), "between 1 and 10000"),
        ("/data/items/0/units", json!(-3), "between 1 and 10000"),
        (
            "/data/items/0/sku",
            json!("x".repeat(65)),
            "at most 64 characters",
        ),
        ("/data/items/0/sku", json!("   "), "must not be empty"),
        ("/data/items/0/name", json!("a\u{0}b"), "control characters"),
        ("/data/items/0/tax_rate", json!(28.01), "between 0 and 28"),
        ("/data/items/0/tax_rate", json!(-5), "between 0 and 28"),
        (
            "/data/items/0/tax_rate",
            json!(12.345),
            "at most two decimals",
        ),
        ("/data/items/0/hsn_code", json!("61A9"), "2 to 8 digits"),
    ];
    for (pointer, bad, needle) in cases {
        let mut v = example();
        *v.pointer_mut(pointer).unwrap() = bad;
        only_error(&v, pointer, needle);
    }
}

#[test]
fn invalid_pincodes_are_rejected() {
    for bad in [
        json!("41100"),
        json!("4110011"),
        json!("011001"),
        json!("41A001"),
        json!(""),
        json!(11_001),
        json!(1_000_000),
        json!(-411_001),
        json!(411_001.5),
    ] {
        let mut v = example();
        v["data"]["shipping_address"]["pincode"] = bad.clone();
        only_error(&v, "/data/shipping_address/pincode", "PIN code");
    }
}

#[test]
fn address_and_name_limits_are_enforced() {
    let cases = [
        (
            "/data/customer/name",
            json!("x".repeat(201)),
            "at most 200 characters (got 201)",
        ),
        (
            "/data/customer/name",
            json!("Priya\nSharma"),
            "control characters",
        ),
        (
            "/data/shipping_address/line1",
            json!(""),
            "must not be empty",
        ),
        (
            "/data/shipping_address/city",
            json!("c".repeat(101)),
            "at most 100",
        ),
        ("/data/shipping_address/country", json!("US"), "only India"),
        ("/data/order_number", json!("ORD 1"), "only letters, digits"),
        (
            "/data/payment/status",
            json!("captured"),
            "payment status must be one of",
        ),
    ];
    for (pointer, bad, needle) in cases {
        let mut v = example();
        *v.pointer_mut(pointer).unwrap() = bad;
        only_error(&v, pointer, needle);
    }
}

#[test]
fn ten_phone_spellings_are_accepted_and_bad_ones_rejected() {
    let good = [
        "9876543210",
        "+91 98765 43210",
        "+91-98765-43210",
        "0 98765 43210",
        "098765-43210",
        "91 9876543210",
        "919876543210",
        "(+91) 98765 43210",
        "98765.43210",
        "+91 (987) 654-3210",
    ];
    for phone in good {
        let mut v = example();
        v["data"]["customer"]["phone"] = json!(phone);
        let ev = parse_order_placed(&serde_json::to_vec(&v).unwrap()).unwrap();
        assert_eq!(ev.order.customer.phone.as_str(), "9876543210", "{phone}");
    }
    let mut v = example();
    v["data"]["customer"]["phone"] = json!(919_876_543_210_u64);
    let ev = parse_order_placed(&serde_json::to_vec(&v).unwrap()).unwrap();
    assert_eq!(ev.order.customer.phone.as_str(), "9876543210");
    for phone in [
        json!("5876543210"),
        json!("+44 20 7946 0958"),
        json!("98765"),
        json!(98_765.432_1),
    ] {
        let mut v = example();
        v["data"]["customer"]["phone"] = phone;
        let errs = errors(&v);
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].pointer, "/data/customer/phone");
        assert!(!errs[0].message.contains("98765"), "{}", errs[0].message);
    }
}

#[test]
fn package_dimensions_come_all_together_or_not_at_all() {
    let mut v = example();
    v["data"]["package"] = json!({"weight_kg": 0.5, "length_cm": 30});
    only_error(&v, "/data/package", "missing: breadth_cm, height_cm");
    v["data"]["package"] = json!({"weight_kg": 0});
    only_error(&v, "/data/package/weight_kg", "more than 0");
    v["data"]["package"] = json!({"weight_kg": 1000.5});
    only_error(&v, "/data/package/weight_kg", "at most 1000");
    v["data"]["package"] = json!({"weight_kg": 0.0001});
    only_error(&v, "/data/package/weight_kg", "too small");
    v["data"]["package"] = json!({"length_cm": 501, "breadth_cm": 1, "height_cm": 1});
    only_error(&v, "/data/package/length_cm", "at most 500");
}

#[test]
fn field_errors_serialise_as_pointer_and_message() {
    let e = FieldError {
        pointer: "/data/items/1/units".into(),
        message: "is required".into(),
    };
    assert_eq!(
        serde_json::to_value(&e).unwrap(),
        json!({"pointer": "/data/items/1/units", "message": "is required"})
    );
    let err = IntakeError::Invalid(vec![e]);
    assert_eq!(
        err.to_string(),
        "1 invalid field(s): /data/items/1/units is required"
    );
}
