//! Contract tests for bodies with no HTTP call of their own: order list/detail, the webhook sample,
//! and the added pickup address.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use common::fixture_json;
use shiprocket::{OrderStatus, ShipmentDetails, ShipmentStatus, dates::parse_ist, parse_webhook};
use time::macros::datetime;

#[test]
fn an_added_pickup_address_decodes_as_a_pickup_location() {
    let body = fixture_json("settings-company-addpickup.200.json");
    let loc: shiprocket::PickupLocation = serde_json::from_value(body["address"].clone()).unwrap();
    assert_eq!(loc.id, 1_856_901);
    assert_eq!(loc.address_2, None);
    assert!(!loc.phone_verified);
}

#[test]
fn order_list_and_detail_bodies_decode_their_loose_fields() {
    for name in ["orders-list.200.json", "orders-list.200-no-parameters.json"] {
        let v = fixture_json(name);
        for order in v["data"].as_array().unwrap() {
            let code = OrderStatus::from_value(&order["status_code"]).unwrap();
            assert!(!matches!(code, OrderStatus::Unknown(_)), "{name}");
            assert!(
                parse_ist(order["created_at"].as_str().unwrap()).is_some(),
                "{name}"
            );
            for s in order["shipments"].as_array().unwrap() {
                let sh: ShipmentDetails = serde_json::from_value(s.clone()).unwrap();
                assert!(sh.id > 0);
                assert_eq!(sh.delivered_date, None);
            }
        }
    }
    let show = fixture_json("orders-show.200.json");
    assert_eq!(
        OrderStatus::from_value(&show["data"]["status_code"]),
        Some(OrderStatus::ReturnPending)
    );
    assert_eq!(
        parse_ist(show["data"]["created_at"].as_str().unwrap()),
        Some(datetime!(2022-09-21 17:28:00 +05:30))
    );
    let sh: ShipmentDetails = serde_json::from_value(show["data"]["shipments"].clone()).unwrap();
    assert!(sh.id > 0);
}

#[test]
fn the_webhook_sample_parses_with_both_status_spaces() {
    let raw = common::fixture_json("webhook-tracking-sample.json")
        .to_string()
        .into_bytes();
    let h = parse_webhook(&raw).unwrap();
    assert_eq!(h.awb, "19041424751540");
    assert_eq!(h.current_status_id, Some(OrderStatus::InTransit));
    assert_eq!(h.shipment_status_id, Some(ShipmentStatus::InTransit));
    assert_eq!(
        h.current_timestamp,
        Some(datetime!(2023-05-23 11:43:52 +05:30))
    );
    assert_eq!(h.order_id.as_deref(), Some("1373900_150876814"));
    assert_eq!(h.sr_order_id, Some(348_456_385));
    assert_eq!(
        h.scans[0].sr_status,
        Some(ShipmentStatus::ManifestGenerated)
    );
    assert_eq!(h.scans[3].sr_status, None);
    assert!(!h.is_return);
}
