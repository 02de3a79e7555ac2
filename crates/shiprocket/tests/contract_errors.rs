//! Contract tests: every documented error body, served over HTTP with its status, becomes the right
//! `Error` variant; plus the HTTP-200 failures the reference documents.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use common::{Canned, Stub, fixture};
use shiprocket::{Client, Error, ErrorKind, ServiceabilityQuery};

/// Which client call a fixture is served to.
#[derive(Clone, Copy, Debug)]
enum Call {
    Create,
    Address,
    Cancel,
    Service,
    Assign,
    Pickup,
    Label,
    Manifest,
    PrintManifest,
    Invoice,
    TrackAwb,
    TrackAwbs,
    Pickups,
    Shipment,
}

async fn run(c: &Client, call: Call) -> Result<(), Error> {
    let awbs = vec!["788830567028".to_owned()];
    match call {
        Call::Create => c.create_adhoc_order(&Default::default()).await.map(drop),
        Call::Address => c.update_address(&Default::default()).await,
        Call::Cancel => c.cancel_orders(&[12_312_312]).await,
        Call::Service => c
            .serviceability(&ServiceabilityQuery {
                pickup_postcode: "110030".into(),
                delivery_postcode: "122002".into(),
                order_id: Some(1),
                ..Default::default()
            })
            .await
            .map(drop),
        Call::Assign => c.assign_awb(11_111_111, None).await.map(drop),
        Call::Pickup => c.generate_pickup(&[121_121_212]).await.map(drop),
        Call::Label => c.generate_label(&[16_161_616]).await.map(drop),
        Call::Manifest => c.generate_manifest(&[16_090_109]).await.map(drop),
        Call::PrintManifest => c.print_manifest(&[16_161_616]).await.map(drop),
        Call::Invoice => c.print_invoice(&[0]).await.map(drop),
        Call::TrackAwb => c.track_awb("").await.map(drop),
        Call::TrackAwbs => c.track_awbs(&awbs).await.map(drop),
        Call::Pickups => c.pickup_locations().await.map(drop),
        Call::Shipment => c.shipment(1).await.map(drop),
    }
}

/// (fixture, call, expected kind, a fragment `ops_message()` must contain)
const ERROR_FIXTURES: &[(&str, Call, ErrorKind, &str)] = &[
    (
        "orders-create-adhoc.400-invalid-data.json",
        Call::Create,
        ErrorKind::Rejected,
        "Given channel id does not exist",
    ),
    (
        "orders-create-adhoc.422-missing-fields.json",
        Call::Create,
        ErrorKind::Validation,
        "order_id: The order id field is required.",
    ),
    (
        "orders-address-update.422-invalid-data.json",
        Call::Address,
        ErrorKind::Validation,
        "order_id: The selected order id is invalid.",
    ),
    (
        "orders-address-update.422-missing-fields.json",
        Call::Address,
        ErrorKind::Validation,
        "shipping_country",
    ),
    (
        "orders-cancel.422-missing-fields.json",
        Call::Cancel,
        ErrorKind::Validation,
        "ids: The ids field is required.",
    ),
    (
        "orders-cancel.500-invalid-data.json",
        Call::Cancel,
        ErrorKind::ServerError,
        "retrying will not help",
    ),
    (
        "courier-serviceability.422-missing-fields.json",
        Call::Service,
        ErrorKind::Validation,
        "cod: The cod field",
    ),
    (
        "courier-serviceability.200-invalid-data.json",
        Call::Service,
        ErrorKind::NotFound,
        "Order does not exist!",
    ),
    (
        "courier-assign-awb.400-invalid-data.json",
        Call::Assign,
        ErrorKind::AwbAlreadyAssigned,
        "already has an AWB",
    ),
    (
        "courier-assign-awb.422-missing-fields.json",
        Call::Assign,
        ErrorKind::Validation,
        "shipment_id",
    ),
    (
        "courier-generate-pickup.400-invalid-data.json",
        Call::Pickup,
        ErrorKind::Rejected,
        "Invalid shipment id",
    ),
    (
        "courier-generate-pickup.400-missing-fields.json",
        Call::Pickup,
        ErrorKind::Rejected,
        "Invalid shipment id",
    ),
    (
        "courier-generate-label.200-missing-or-invalid-data.json",
        Call::Label,
        ErrorKind::Rejected,
        "No valid shipment ids",
    ),
    (
        "courier-generate-label.422-wrong-format.json",
        Call::Label,
        ErrorKind::Validation,
        "must be an array",
    ),
    (
        "manifests-generate.200-missing-field-or-invalid-data.json",
        Call::Manifest,
        ErrorKind::Rejected,
        "manifest was not generated",
    ),
    (
        "manifests-generate.400-bad-request.json",
        Call::Manifest,
        ErrorKind::AlreadyManifested,
        "[16090109]",
    ),
    (
        "manifests-print.200-missing-or-invalid-data.json",
        Call::PrintManifest,
        ErrorKind::Rejected,
        "could not be printed",
    ),
    (
        "manifests-print.500-wrong-format.json",
        Call::PrintManifest,
        ErrorKind::ServerError,
        "foreach",
    ),
    (
        "orders-print-invoice.400-missing-fields-or-invalid-data.json",
        Call::Invoice,
        ErrorKind::Rejected,
        "Invoice could not be created",
    ),
    (
        "orders-print-invoice.500-wrong-format.json",
        Call::Invoice,
        ErrorKind::ServerError,
        "foreach",
    ),
    (
        "courier-track-awb.404-missing-fields.json",
        Call::TrackAwb,
        ErrorKind::NotFound,
        "404 Not Found",
    ),
    (
        "courier-track-shipment.404-missing-fields.json",
        Call::TrackAwb,
        ErrorKind::NotFound,
        "404 Not Found",
    ),
    (
        "courier-track-awbs.500-wrong-format.json",
        Call::TrackAwbs,
        ErrorKind::ServerError,
        "foreach",
    ),
    (
        "settings-company-pickup.404-wrong-endpoint.json",
        Call::Pickups,
        ErrorKind::NotFound,
        "404 Not Found",
    ),
    (
        "settings-company-addpickup.422-missing-fields.json",
        Call::Pickups,
        ErrorKind::Validation,
        "phone: The phone field is required.",
    ),
    (
        "orders-show.400-invalid-data.json",
        Call::Shipment,
        ErrorKind::NotFound,
        "Order ID not found",
    ),
    (
        "orders-show.404-incorrect-endpoint-path.json",
        Call::Shipment,
        ErrorKind::NotFound,
        "404 Not Found",
    ),
];

#[tokio::test]
async fn every_error_fixture_becomes_the_right_error_variant() {
    let stub = Stub::start().await;
    let client = stub.client();
    for (name, call, kind, fragment) in ERROR_FIXTURES {
        stub.always(fixture(name));
        let before = stub.seen().len();
        let err = run(&client, *call).await.expect_err(name);
        assert_eq!(err.kind(), *kind, "{name}: {err:?}");
        let ops = err.ops_message();
        assert!(ops.contains(fragment), "{name}: {ops}");
        let sent = stub.seen().len() - before;
        let expected = if err.is_retryable() { 4 } else { 1 };
        assert_eq!(
            sent, expected,
            "{name}: non-retryable errors are sent once, retryable ones up to max_attempts"
        );
    }
}

#[tokio::test]
async fn an_http_200_awb_refusal_is_a_courier_refusal() {
    let stub = Stub::start().await;
    let body = r#"{"awb_assign_status":0,"response":{"data":{"awb_assign_error":"Courier is facing some issues"}}}"#;
    stub.always(Canned::new(200, body));
    let err = stub.client().assign_awb(1, Some(10)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CourierRefused);
    assert!(err.ops_message().contains("Courier is facing some issues"));
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn an_http_200_wallet_refusal_is_insufficient_balance() {
    let stub = Stub::start().await;
    let body = r#"{"awb_assign_status":0,"response":{"data":{"awb_assign_error":"Insufficient amount to label this shipment"}}}"#;
    stub.always(Canned::new(200, body));
    let err = stub.client().assign_awb(1, None).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InsufficientBalance);
    assert!(err.ops_message().contains("Recharge"));
}

#[tokio::test]
async fn an_already_assigned_refusal_carries_the_existing_awb() {
    let stub = Stub::start().await;
    let body = r#"{"awb_assign_status":0,"response":{"data":{"awb_assign_error":"AWB is already assigned","awb_code":"SR123456789"}}}"#;
    stub.always(Canned::new(200, body));
    match stub.client().assign_awb(1, None).await.unwrap_err() {
        Error::AwbAlreadyAssigned { awb, .. } => assert_eq!(awb.as_deref(), Some("SR123456789")),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_wrong_pickup_location_lists_the_valid_nicknames() {
    let stub = Stub::start().await;
    let body = r#"{"message":"Wrong Pickup location entered. Please choose one location from the data given","data":[{"pickup_location":"Primary"},{"pickup_location":"Casa Moderna"}],"status_code":422}"#;
    stub.always(Canned::new(422, body));
    let err = stub
        .client()
        .create_adhoc_order(&Default::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WrongPickupLocation);
    assert!(
        err.ops_message().contains("Primary, Casa Moderna"),
        "{}",
        err.ops_message()
    );
}

#[tokio::test]
async fn a_404_or_an_empty_list_from_serviceability_is_not_serviceable() {
    let stub = Stub::start().await;
    let q = ServiceabilityQuery {
        pickup_postcode: "110030".into(),
        delivery_postcode: "744301".into(),
        ..Default::default()
    };
    stub.always(Canned::new(
        404,
        r#"{"status":404,"message":"No courier serviceable for this pincode"}"#,
    ));
    assert_eq!(
        stub.client().serviceability(&q).await.unwrap_err().kind(),
        ErrorKind::NotServiceable
    );
    stub.always(Canned::new(
        200,
        r#"{"status":200,"data":{"available_courier_companies":[]}}"#,
    ));
    let err = stub.client().serviceability(&q).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotServiceable);
    assert!(err.ops_message().contains("pincode"));
}

#[tokio::test]
async fn a_cancelled_duplicate_order_is_flagged() {
    let stub = Stub::start().await;
    let body = r#"{"order_id":1499133560,"shipment_id":1495356234,"status":"CANCELED","status_code":5,"awb_code":""}"#;
    stub.always(Canned::new(200, body));
    let r = stub
        .client()
        .create_adhoc_order(&Default::default())
        .await
        .unwrap();
    assert!(r.is_cancelled());
    assert_eq!(r.order_id, 1_499_133_560);
    assert_eq!(r.awb_code, None);
}

#[tokio::test]
async fn loose_types_in_a_create_response_are_tolerated() {
    let stub = Stub::start().await;
    let body = r#"{"order_id":"5000000001","shipment_id":"4999999999","status":"NEW","status_code":"1","awb_code":"","courier_company_id":"","courier_name":""}"#;
    stub.always(Canned::new(200, body));
    let r = stub
        .client()
        .create_adhoc_order(&Default::default())
        .await
        .unwrap();
    assert_eq!((r.order_id, r.shipment_id), (5_000_000_001, 4_999_999_999));
    assert_eq!((r.courier_company_id, r.courier_name), (None, None));
}

#[tokio::test]
async fn an_undecodable_body_shows_a_short_masked_excerpt() {
    let stub = Stub::start().await;
    let body = format!(
        r#"{{"order_id": 12, "shipment_id": 9876543210, "phone": "9876543210" {}"#,
        "x".repeat(400)
    );
    stub.always(Canned::new(200, body));
    let err = stub
        .client()
        .create_adhoc_order(&Default::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Undecodable);
    let ops = err.ops_message();
    assert!(!ops.contains("9876543210"), "{ops}");
    match err {
        Error::Undecodable { excerpt, .. } => assert!(excerpt.chars().count() <= 200),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_403_is_a_permission_problem_not_a_login_problem() {
    let stub = Stub::start().await;
    stub.always(Canned::new(
        403,
        r#"{"message":"Unauthorized! You do not have the required permissions"}"#,
    ));
    let err = stub.client().pickup_locations().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Forbidden);
    assert_eq!(stub.logins(), 1, "a 403 does not trigger a re-login");
}

#[tokio::test]
async fn an_absurd_retry_after_is_clamped_instead_of_crashing_the_client() {
    let stub = Stub::start().await;
    for absurd in ["1e20", "18446744073709551615"] {
        let client = stub.client();
        stub.always(
            Canned::new(429, r#"{"message":"Too Many Attempts."}"#).header("retry-after", absurd),
        );
        let started = std::time::Instant::now();
        let err = client.pickup_locations().await.expect_err(absurd);
        assert_eq!(err.kind(), ErrorKind::RateLimited, "{absurd}: {err:?}");
        assert_eq!(
            err.retry_after(),
            Some(std::time::Duration::from_secs(600)),
            "{absurd}: clamped to ten minutes"
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }
}
