//! The request fixtures and reference tables agree with what the client sends and decodes, and
//! every fixture file is used by some test.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use std::collections::BTreeSet;

use common::{Canned, FIXTURES, Stub, fixture_json};
use serde_json::Value;
use shiprocket::{
    CreateOrderRequest, OrderItem, OrderStatus, PaymentMethod, ServiceabilityQuery, ShipmentStatus,
    UpdateAddressRequest,
};

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

/// Keys of a fixture that is not valid JSON, read with a pattern.
fn loose_keys(name: &str) -> BTreeSet<String> {
    let text = std::fs::read_to_string(format!("{FIXTURES}/{name}")).unwrap();
    assert!(
        serde_json::from_str::<Value>(&text).is_err(),
        "{name} is documented as invalid JSON"
    );
    text.split('"')
        .collect::<Vec<_>>()
        .windows(2)
        .filter(|w| w[1].trim_start().starts_with(':'))
        .map(|w| w[0].to_owned())
        .collect()
}

fn union(names: &[&str]) -> BTreeSet<String> {
    names.iter().flat_map(|n| keys(&fixture_json(n))).collect()
}

fn full_order() -> CreateOrderRequest {
    let s = |v: &str| Some(v.to_owned());
    CreateOrderRequest {
        order_id: "ORD-1".into(),
        order_date: "2026-11-25 10:00".into(),
        pickup_location: "Primary".into(),
        channel_id: Some(1),
        comment: s("c"),
        reseller_name: s("r"),
        company_name: s("co"),
        billing_address_2: s("a2"),
        billing_isd_code: s("+91"),
        billing_alternate_phone: s("9999999999"),
        shipping_customer_name: s("n"),
        shipping_last_name: s("l"),
        shipping_address: s("a"),
        shipping_address_2: s("a2"),
        shipping_city: s("c"),
        shipping_pincode: s("110001"),
        shipping_country: s("India"),
        shipping_state: s("Delhi"),
        shipping_email: s("e@x.in"),
        shipping_phone: s("9999999999"),
        order_items: vec![OrderItem {
            name: "n".into(),
            sku: "s".into(),
            units: 1,
            selling_price: 1.0,
            discount: Some(0.0),
            tax: Some(0.0),
            hsn: s("441122"),
        }],
        payment_method: PaymentMethod::Cod,
        ewaybill_no: s("e"),
        customer_gstin: s("g"),
        invoice_number: s("i"),
        order_type: s("ESSENTIALS"),
        is_document: Some(0),
        is_insurance_opt: Some(0),
        ..Default::default()
    }
}

#[tokio::test]
async fn every_request_field_the_client_sends_is_a_documented_field() {
    let stub = Stub::start().await;
    let c = stub.client();
    stub.always(Canned::new(200, r#"{"order_id":1,"shipment_id":2}"#));
    c.create_adhoc_order(&full_order()).await.unwrap();
    let sent = stub.last().json();
    let mut documented = union(&[
        "orders-create-adhoc.request-template.json",
        "orders-create-adhoc.request.json",
        "orders-create-adhoc.400-invalid-data.request.json",
        "orders-create-adhoc.422-missing-fields.request.json",
    ]);
    let txt = loose_keys("orders-create-adhoc.example-create-custom-order.request.txt");
    documented.extend(txt.iter().cloned());
    documented.extend(["is_document".to_owned(), "is_insurance_opt".to_owned()]); // reference §3.1 table
    assert!(
        keys(&sent).is_subset(&documented),
        "{:?}",
        keys(&sent).difference(&documented).collect::<Vec<_>>()
    );
    let item_keys =
        keys(&fixture_json("orders-create-adhoc.request-template.json")["order_items"][0]);
    assert_eq!(keys(&sent["order_items"][0]), item_keys);
    assert_eq!(sent["payment_method"], "COD");
    assert_eq!(sent["shipping_is_billing"], false);

    stub.always(Canned::new(202, ""));
    c.update_address(&UpdateAddressRequest {
        shipping_email: Some("e".into()),
        billing_alternate_phone: Some("9".into()),
        shipping_address_2: Some("x".into()),
        ..Default::default()
    })
    .await
    .unwrap();
    let documented = union(&[
        "orders-address-update.request-template.json",
        "orders-address-update.request.json",
        "orders-address-update.422-invalid-data.request.json",
        "orders-address-update.422-missing-fields.request.json",
    ]);
    assert_eq!(keys(&stub.last().json()), documented);

    stub.always(Canned::new(204, ""));
    c.cancel_orders(&[1]).await.unwrap();
    assert_eq!(
        keys(&stub.last().json()),
        union(&[
            "orders-cancel.request-template.json",
            "orders-cancel.422-missing-fields.request.json",
            "orders-cancel.500-invalid-data.request.json"
        ])
    );
    c.cancel_awbs(&["1".into()]).await.unwrap();
    assert_eq!(
        keys(&stub.last().json()),
        union(&["orders-cancel-shipment-awbs.request.json"])
    );

    stub.always(common::fixture("courier-assign-awb.200.json"));
    c.assign_awb(1, Some(2)).await.unwrap();
    let documented = union(&[
        "courier-assign-awb.request-template.json",
        "courier-assign-awb.request.json",
        "courier-assign-awb.400-invalid-data.request.json",
        "courier-assign-awb.422-missing-fields.request.json",
    ]);
    assert!(keys(&stub.last().json()).is_subset(&documented));

    let shipment_id = |names: &[&str]| union(names);
    stub.always(common::fixture("courier-generate-pickup.200.json"));
    c.generate_pickup(&[1]).await.unwrap();
    assert_eq!(
        keys(&stub.last().json()),
        shipment_id(&[
            "courier-generate-pickup.request-template.json",
            "courier-generate-pickup.400-invalid-data.request.json",
            "courier-generate-pickup.400-missing-fields.request.json"
        ])
    );
    stub.always(common::fixture("courier-generate-label.200.json"));
    c.generate_label(&[1]).await.unwrap();
    assert_eq!(
        keys(&stub.last().json()),
        shipment_id(&[
            "courier-generate-label.request-template.json",
            "courier-generate-label.request.json",
            "courier-generate-label.200-missing-or-invalid-data.request.json",
            "courier-generate-label.422-wrong-format.request.json"
        ])
    );
    assert!(
        stub.last().json()["shipment_id"].is_array(),
        "label needs an array"
    );
    stub.always(common::fixture("manifests-generate.200.json"));
    c.generate_manifest(&[1]).await.unwrap();
    assert_eq!(
        keys(&stub.last().json()),
        shipment_id(&[
            "manifests-generate.request-template.json",
            "manifests-generate.200-missing-field-or-invalid-data.request.json"
        ])
    );
    stub.always(common::fixture("manifests-print.200.json"));
    c.print_manifest(&[1]).await.unwrap();
    assert_eq!(
        keys(&stub.last().json()),
        union(&[
            "manifests-print.request-template.json",
            "manifests-print.200-missing-or-invalid-data.request.json",
            "manifests-print.500-wrong-format.request.json"
        ])
    );
    stub.always(common::fixture("orders-print-invoice.200.json"));
    c.print_invoice(&[1]).await.unwrap();
    assert_eq!(
        keys(&stub.last().json()),
        union(&[
            "orders-print-invoice.request-template.json",
            "orders-print-invoice.request.json",
            "orders-print-invoice.400-missing-fields-or-invalid-data.request.json",
            "orders-print-invoice.500-wrong-format.request.json"
        ])
    );

    stub.always(common::fixture("courier-track-awbs.200.json"));
    c.track_awbs(&["788830567028".into(), "788829354408".into()])
        .await
        .unwrap();
    assert_eq!(
        stub.last().json(),
        fixture_json("courier-track-awbs.request.json")
    );
    assert_eq!(
        keys(&stub.last().json()),
        union(&["courier-track-awbs.request-template.json"])
    );

    let login = stub.state.login_bodies.lock().unwrap()[0].clone();
    let login: Value = serde_json::from_slice(&login).unwrap();
    assert_eq!(keys(&login), keys(&fixture_json("auth-login.request.json")));
}

#[tokio::test]
async fn the_documented_malformed_array_is_never_what_the_client_sends() {
    let k = loose_keys("courier-track-awbs.500-wrong-format.request.txt");
    assert!(k.contains("awbs"));
    let stub = Stub::start().await;
    stub.always(common::fixture(
        "courier-track-awbs.200-invalid-or-missing-data.json",
    ));
    stub.client()
        .track_awbs(&["788830567028".into(), "788829354408".into()])
        .await
        .unwrap();
    let raw = stub.last().body;
    let sent: Value = serde_json::from_slice(&raw).expect("the client always sends valid JSON");
    assert_eq!(sent["awbs"].as_array().map(Vec::len), Some(2));
}

#[test]
fn serviceability_query_names_are_documented() {
    let q = ServiceabilityQuery {
        pickup_postcode: "1".into(),
        delivery_postcode: "2".into(),
        order_id: Some(1),
        cod: Some(true),
        weight: Some(1.0),
        length: Some(1.0),
        breadth: Some(1.0),
        height: Some(1.0),
        declared_value: Some(1.0),
        mode: Some("Air".into()),
        is_return: Some(false),
    };
    let documented = keys(&fixture_json("courier-serviceability.request-query.json"));
    for (k, _) in q.to_query() {
        assert!(documented.contains(k), "{k}");
    }
}

#[test]
fn add_pickup_requests_use_the_names_the_pickup_location_type_reads() {
    let body = fixture_json("settings-company-addpickup.request.json");
    let loc: shiprocket::PickupLocation = serde_json::from_value(body.clone()).unwrap();
    assert_eq!(
        loc.pickup_location,
        body["pickup_location"].as_str().unwrap()
    );
    assert_eq!(loc.pin_code.as_deref(), body["pin_code"].as_str());
    let template = keys(&fixture_json(
        "settings-company-addpickup.request-template.json",
    ));
    let missing = keys(&fixture_json(
        "settings-company-addpickup.422-missing-fields.request.json",
    ));
    assert!(missing.is_subset(&template) && template.contains("pickup_location"));
}

fn codes(name: &str) -> BTreeSet<u32> {
    keys(&fixture_json(name))
        .iter()
        .map(|k| k.parse().unwrap())
        .collect()
}

#[test]
fn the_shipment_status_enum_has_every_code_of_both_official_tables() {
    let documented: BTreeSet<u32> = codes("shipment-status-codes.json")
        .union(&codes("shipments-folder-status-codes.json"))
        .copied()
        .collect();
    let ours: BTreeSet<u32> = ShipmentStatus::ALL_CODES.iter().copied().collect();
    assert_eq!(ours, documented);
    assert!(
        ours.iter()
            .all(|c| !matches!(ShipmentStatus::from_code(*c), ShipmentStatus::Unknown(_)))
    );
}

#[test]
fn the_order_status_enum_has_every_code_of_the_official_table() {
    let ours: BTreeSet<u32> = OrderStatus::ALL_CODES.iter().copied().collect();
    assert_eq!(ours, codes("order-status-codes.json"));
    let table = fixture_json("order-status-codes.json");
    for code in OrderStatus::ALL_CODES {
        let doc = table[code.to_string()]
            .as_str()
            .unwrap()
            .to_ascii_lowercase()
            .replace(['_', '-'], " ");
        let ours = OrderStatus::from_code(*code)
            .label()
            .to_ascii_lowercase()
            .replace('-', " ");
        assert!(
            doc.starts_with(&ours) || doc.replace("acknowleged", "acknowledged") == ours,
            "{code}: {doc} vs {ours}"
        );
    }
}

#[test]
fn documented_courier_ids_include_those_in_the_example_bodies() {
    let ids = codes("courier-ids.json");
    assert!(ids.len() > 80);
    for id in [43, 19, 142, 51, 10] {
        assert!(ids.contains(&id), "{id}");
    }
}

#[test]
fn every_fixture_file_is_exercised_by_some_test() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests");
    let sources: String = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "rs"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect();
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(FIXTURES).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name != "INDEX.md" && !sources.contains(&format!("\"{name}\"")) {
            missing.push(name);
        }
    }
    missing.sort();
    assert!(
        missing.is_empty(),
        "fixtures not used by any test: {missing:#?}"
    );
}
