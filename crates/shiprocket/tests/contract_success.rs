//! Contract tests: every documented success body, served over HTTP with its status, decodes into
//! the client's types.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use common::{Stub, fixture, fixture_json};
use shiprocket::{OrderStatus, ServiceabilityQuery, ShipmentStatus};
use time::macros::datetime;

fn query() -> ServiceabilityQuery {
    ServiceabilityQuery {
        pickup_postcode: "110030".into(),
        delivery_postcode: "175019".into(),
        cod: Some(true),
        weight: Some(0.5),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_created_order_decodes_with_64_bit_ids_and_null_awb() {
    let stub = Stub::start().await;
    stub.always(fixture("orders-create-adhoc.200.json"));
    let r = stub
        .client()
        .create_adhoc_order(&Default::default())
        .await
        .unwrap();
    assert_eq!((r.order_id, r.shipment_id), (16_161_616, 15_151_515));
    assert_eq!(r.status, "NEW");
    assert_eq!(r.status_code, Some(OrderStatus::New));
    assert!(!r.is_cancelled());
    assert_eq!(
        (r.awb_code, r.courier_company_id, r.courier_name),
        (None, None, None)
    );
    assert_eq!(stub.last().path, "/v1/external/orders/create/adhoc");
}

#[tokio::test]
async fn an_address_update_with_an_empty_202_body_succeeds() {
    let stub = Stub::start().await;
    stub.always(fixture("orders-address-update.202.txt"));
    stub.client()
        .update_address(&Default::default())
        .await
        .unwrap();
}

#[tokio::test]
async fn an_order_cancel_with_an_empty_204_succeeds() {
    let stub = Stub::start().await;
    stub.always(fixture("orders-cancel.204.txt"));
    stub.client()
        .cancel_orders(&[16_168_898, 16_167_171])
        .await
        .unwrap();
    assert_eq!(
        stub.last().json(),
        fixture_json("orders-cancel.request.json")
    );
}

#[tokio::test]
async fn serviceability_decodes_every_quote_with_loose_types() {
    let stub = Stub::start().await;
    stub.always(fixture("courier-serviceability.200.json"));
    let s = stub.client().serviceability(&query()).await.unwrap();
    assert_eq!(s.couriers.len(), 3);
    let first = &s.couriers[0];
    assert_eq!(first.courier_company_id, 43);
    assert_eq!(first.courier_name, "Delhivery Surface");
    assert!((first.rate - 54.0).abs() < 1e-9);
    assert!(first.cod && first.is_surface && !first.blocked);
    assert_eq!(first.estimated_delivery_days, Some(4));
    assert_eq!(first.etd.as_deref(), Some("Jul 01, 2024"));
    assert_eq!(first.etd_date(), Some(time::macros::date!(2024 - 07 - 01)));
    assert_eq!(first.rating, Some(4.9));
    assert_eq!(first.surface_max_weight, Some(4.0));
    assert_eq!(first.air_max_weight, Some(0.0));
    assert_eq!(first.pickup_availability.as_deref(), Some("0"));
    assert!((s.couriers[1].rate - 123.9).abs() < 1e-9);
    assert_eq!(s.recommended_courier_company_id, Some(43));
    assert_eq!(s.shiprocket_recommended_courier_id, Some(43));
    assert_eq!(s.blocked[0].courier_company_id, 33);
    let q = stub.last().query.unwrap();
    assert!(
        q.contains("pickup_postcode=110030") && q.contains("cod=1"),
        "{q}"
    );
    assert_eq!(stub.last().path, "/v1/external/courier/serviceability/");
}

#[tokio::test]
async fn an_awb_assignment_decodes_with_its_php_datetime() {
    let stub = Stub::start().await;
    stub.always(fixture("courier-assign-awb.200.json"));
    let a = stub
        .client()
        .assign_awb(16_090_281, Some(10))
        .await
        .unwrap();
    assert_eq!(a.awb_code, "321055706540");
    assert_eq!(a.courier_company_id, 142);
    assert_eq!(a.courier_name, "Amazon Surface");
    assert_eq!(a.order_id, Some(281_248_157));
    assert_eq!(
        a.assigned_date_time,
        Some(datetime!(2022-11-25 11:17:52.878599 +05:30))
    );
    assert_eq!(
        a.pickup_scheduled_date,
        Some(datetime!(2022-11-25 14:00:00 +05:30))
    );
    assert_eq!(a.applied_weight, Some(0.5));
    assert_eq!(a.routing_code, None, "\"\" is null");
    let sent = stub.last().json();
    assert_eq!(sent["shipment_id"], 16_090_281);
    assert_eq!(sent["courier_id"], 10);
}

#[tokio::test]
async fn a_pickup_decodes_token_and_dates() {
    let stub = Stub::start().await;
    stub.always(fixture("courier-generate-pickup.200.json"));
    let p = stub.client().generate_pickup(&[16_091_084]).await.unwrap();
    assert_eq!(
        p.pickup_token_number.as_deref(),
        Some("Reference No: 194_BIGFOOT 1966840_11122021")
    );
    assert_eq!(
        p.pickup_scheduled_date,
        Some(datetime!(2021-12-10 12:39:54 +05:30))
    );
    assert_eq!(
        p.pickup_generated_date,
        Some(datetime!(2021-12-10 12:39:54.034695 +05:30))
    );
    assert_eq!(p.status, Some(3));
    assert_eq!(
        stub.last().json(),
        fixture_json("courier-generate-pickup.request.json")
    );
}

#[tokio::test]
async fn label_manifest_invoice_and_manifest_print_return_their_urls() {
    let stub = Stub::start().await;
    let c = stub.client();
    stub.always(fixture("courier-generate-label.200.json"));
    assert!(
        c.generate_label(&[16_104_408])
            .await
            .unwrap()
            .ends_with("shipping-label-16104408-788830567028.pdf")
    );
    stub.always(fixture("manifests-generate.200.json"));
    assert!(
        c.generate_manifest(&[16_090_109])
            .await
            .unwrap()
            .ends_with("MANIFEST-3051.pdf")
    );
    assert_eq!(
        stub.last().json(),
        fixture_json("manifests-generate.request.json")
    );
    stub.always(fixture("orders-print-invoice.200.json"));
    assert!(
        c.print_invoice(&[16_255_275])
            .await
            .unwrap()
            .ends_with("KD101019281564656872.pdf")
    );
    stub.always(fixture("manifests-print.200.json"));
    assert!(
        c.print_manifest(&[16_240_904])
            .await
            .unwrap()
            .ends_with("D52FE1564654197.pdf")
    );
    assert_eq!(
        stub.last().json(),
        fixture_json("manifests-print.request.json")
    );
}

#[tokio::test]
async fn an_awb_cancel_accepts_a_204_that_claims_a_body() {
    let stub = Stub::start().await;
    stub.always(fixture("orders-cancel-shipment-awbs.204.json"));
    stub.client()
        .cancel_awbs(&["19041211125783".to_owned()])
        .await
        .unwrap();
    assert_eq!(
        stub.last().json(),
        fixture_json("orders-cancel-shipment-awbs.request.json")
    );
}

#[tokio::test]
async fn awb_tracking_decodes_status_scans_and_a_normalised_url() {
    let stub = Stub::start().await;
    stub.always(fixture("courier-track-awb.200.json"));
    let t = stub.client().track_awb("788830567028").await.unwrap();
    assert!(t.track_status);
    assert_eq!(t.shipment_status, Some(ShipmentStatus::Delivered));
    assert_eq!(t.activities[0].sr_status, Some(ShipmentStatus::Delivered));
    assert_eq!(
        t.activities[0].date,
        Some(datetime!(2022-07-19 11:37:00 +05:30))
    );
    assert_eq!(t.activities[0].status.as_deref(), Some("DLVD"));
    assert_eq!(t.shipments[0].weight, Some(0.30), "\"0.30\" is a number");
    assert_eq!(t.shipments[0].edd, None);
    assert_eq!(
        t.track_url.as_deref(),
        Some("https://shiprocket.co/tracking/141123221084922")
    );
    assert_eq!(t.etd, Some(datetime!(2022-07-20 19:28:00 +05:30)));
    assert_eq!(
        stub.last().path,
        "/v1/external/courier/track/awb/788830567028"
    );
}

#[tokio::test]
async fn tracking_without_scans_is_not_an_error() {
    let stub = Stub::start().await;
    for name in [
        "courier-track-awb.200-no-activity.json",
        "courier-track-shipment.200-no-activity.json",
    ] {
        stub.always(fixture(name));
        let t = stub.client().track_awb("111111111111").await.unwrap();
        assert!(!t.track_status, "{name}");
        assert!(
            t.no_activity.as_deref().unwrap().contains("no activities"),
            "{name}"
        );
        assert!(t.activities.is_empty());
    }
}

#[tokio::test]
async fn order_tracking_returns_one_tracking_per_shipment() {
    let stub = Stub::start().await;
    stub.always(fixture("courier-track-order.200.json"));
    let q = common::fixture_json("courier-track-order.request-query.json");
    let channel_id = q["channel_id"].as_str().unwrap().parse().unwrap();
    let all = stub
        .client()
        .track_order(q["order_id"].as_str().unwrap(), Some(channel_id))
        .await
        .unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].shipments[0].awb_code, "1091188857722");
    assert_eq!(
        stub.last().query.as_deref(),
        Some("order_id=123&channel_id=12345")
    );
    assert_eq!(stub.last().path, "/v1/external/courier/track");
}

#[tokio::test]
async fn shipment_and_order_tracking_shapes_decode_into_the_same_type() {
    let stub = Stub::start().await;
    for name in [
        "courier-track-shipment.200.json",
        "courier-track-order.200.json",
    ] {
        stub.always(fixture(name));
        let t = stub.client().track_awb("1091188857722").await.unwrap();
        assert_eq!(t.shipment_status, Some(ShipmentStatus::PickedUp), "{name}");
        assert_eq!(t.activities[1].sr_status, None, "sr-status NA");
        assert_eq!(
            t.activities[2].sr_status,
            Some(ShipmentStatus::ManifestGenerated)
        );
        assert_eq!(
            t.shipments[0].edd,
            Some(datetime!(2021-12-27 23:23:18 +05:30))
        );
    }
}

#[tokio::test]
async fn multi_awb_tracking_maps_every_requested_awb() {
    let stub = Stub::start().await;
    stub.always(fixture("courier-track-awbs.200.json"));
    let req: Vec<String> = ["788830567028", "788829354408", "000"]
        .map(String::from)
        .into();
    let m = stub.client().track_awbs(&req).await.unwrap();
    assert_eq!(m.len(), 3);
    let a = m["788830567028"].as_ref().unwrap();
    assert_eq!(a.shipment_status, Some(ShipmentStatus::PickupScheduled));
    assert_eq!(a.shipments[0].shipment_id, None);
    assert_eq!(
        m["788829354408"].as_ref().unwrap().shipment_status,
        Some(ShipmentStatus::AwbAssigned)
    );
    assert_eq!(m["000"].as_ref().unwrap_err().kind().as_str(), "not_found");
    assert_eq!(stub.seen()[0].json()["awbs"].as_array().unwrap().len(), 3);

    stub.always(fixture(
        "courier-track-awbs.200-invalid-or-missing-data.json",
    ));
    let req: Vec<String> =
        fixture_json("courier-track-awbs.200-invalid-or-missing-data.request.json")["awbs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect();
    let m = stub.client().track_awbs(&req).await.unwrap();
    assert!(
        m.values()
            .all(|r| r.as_ref().is_err_and(|e| e.kind().as_str() == "not_found"))
    );
}

#[tokio::test]
async fn pickup_locations_decode_with_string_booleans() {
    let stub = Stub::start().await;
    stub.always(fixture("settings-company-pickup.200.json"));
    let l = stub.client().pickup_locations().await.unwrap();
    assert_eq!(l.len(), 1);
    assert_eq!(l[0].pickup_location, "Casa Moderna");
    assert_eq!(l[0].pin_code.as_deref(), Some("122003"));
    assert!(l[0].phone_verified && l[0].is_primary_location);
    assert_eq!(l[0].status, Some(2));
}

#[tokio::test]
async fn a_shipment_read_back_exposes_the_awb() {
    let stub = Stub::start().await;
    let body = serde_json::json!({"data": {"id": "16090281", "order_id": 281248157, "awb": "321055706540",
        "courier": "Amazon Surface", "sr_courier_id": "142", "status": 1, "awb_assign_date": "2022-11-25 11:17:52",
        "label_url": "", "created_at": {"date": "2022-11-25 11:00:00.000000", "timezone_type": 3, "timezone": "Asia/Kolkata"}}});
    stub.always(common::Canned::new(200, body.to_string()));
    let s = stub.client().shipment(16_090_281).await.unwrap();
    assert_eq!(s.id, 16_090_281);
    assert_eq!(s.awb.as_deref(), Some("321055706540"));
    assert_eq!(s.courier_company_id, Some(142));
    assert_eq!(s.status, Some(ShipmentStatus::AwbAssigned));
    assert_eq!(s.label_url, None);
    assert_eq!(s.created_at, Some(datetime!(2022-11-25 11:00:00 +05:30)));
    assert_eq!(stub.last().path, "/v1/external/shipments/16090281");
}
