//! Property tests: intake never panics, and every error points into the body it was given.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use orderly_domain::Phone;
use orderly_domain::intake::{IntakeError, order_placed_json, parse_order_placed};
use proptest::prelude::*;
use serde_json::{Value, json};

const EXAMPLE: &str = include_str!("fixtures/order_placed.json");

/// Every JSON pointer to a leaf or container inside `v`.
fn pointers(v: &Value, base: &str, out: &mut Vec<String>) {
    out.push(base.to_owned());
    match v {
        Value::Object(m) => m
            .iter()
            .for_each(|(k, c)| pointers(c, &format!("{base}/{k}"), out)),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, c)| pointers(c, &format!("{base}/{i}"), out)),
        _ => {}
    }
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,30}".prop_map(Value::from),
        Just(json!("+91 98765 43210")),
        Just(json!("411001")),
    ];
    leaf.prop_recursive(2, 8, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn replacing_any_field_with_any_value_never_panics_and_errors_point_into_the_body(
        pick in any::<prop::sample::Index>(),
        replacement in any_json(),
    ) {
        let mut v: Value = serde_json::from_str(EXAMPLE).unwrap();
        let mut all = Vec::new();
        pointers(&v, "", &mut all);
        let target = pick.get(&all[1..]).clone();
        *v.pointer_mut(&target).unwrap() = replacement;
        match parse_order_placed(&serde_json::to_vec(&v).unwrap()) {
            Ok(ev) => {
                let again = order_placed_json(&ev.id, ev.occurred_at, &ev.order);
                prop_assert_eq!(parse_order_placed(&serde_json::to_vec(&again).unwrap()).unwrap(), ev);
            }
            Err(IntakeError::Invalid(errs)) => {
                prop_assert!(!errs.is_empty());
                for e in errs {
                    // The pointer names the field itself or a missing member of an existing object.
                    let parent = e.pointer.rsplit_once('/').map_or("", |(p, _)| p);
                    prop_assert!(v.pointer(&e.pointer).is_some() || v.pointer(parent).is_some(),
                        "{} does not point into the body", e.pointer);
                }
            }
            Err(IntakeError::Malformed(m)) => prop_assert!(false, "a JSON object was called malformed: {m}"),
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = parse_order_placed(&body);
    }

    #[test]
    fn a_parsed_phone_is_always_ten_digits_starting_six_to_nine(raw in "[+0-9 ().-]{0,20}") {
        if let Ok(p) = Phone::parse(&raw) {
            prop_assert_eq!(p.as_str().len(), 10);
            prop_assert!(p.as_str().bytes().all(|b| b.is_ascii_digit()));
            prop_assert!(matches!(p.as_str().as_bytes()[0], b'6'..=b'9'));
            prop_assert_eq!(Phone::parse(&p.display_e164()).unwrap(), p);
        }
    }
}
