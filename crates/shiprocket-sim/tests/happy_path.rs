//! The whole happy path over raw HTTP, plus order creation rules.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use std::time::Duration;

use common::{Api, config, order};
use serde_json::json;

#[tokio::test]
async fn the_whole_happy_path_goes_from_order_to_delivered_with_documents() {
    let api = Api::start(config()).await;
    let pickups = api.get("settings/company/pickup").await;
    assert_eq!(
        pickups.json["data"]["shipping_address"][0]["pickup_location"],
        "Primary"
    );
    assert_eq!(pickups.json["data"]["allow_more"], "true");

    let created = api
        .post("orders/create/adhoc", &order("HP-1", "560034"))
        .await;
    assert_eq!(created.status, 200);
    assert_eq!(created.json["status"], "NEW");
    assert_eq!(created.json["status_code"], 1);
    assert!(created.json["awb_code"].is_null());
    let (oid, sid) = (
        created.json["order_id"].as_i64().unwrap(),
        created.json["shipment_id"].as_i64().unwrap(),
    );

    let quote = api
        .get(&format!("courier/serviceability/?order_id={oid}"))
        .await;
    assert_eq!(quote.status, 200);
    let rec = quote.json["data"]["recommended_courier_company_id"]
        .as_i64()
        .unwrap();

    let assigned = api
        .post(
            "courier/assign/awb",
            &json!({"shipment_id": sid.to_string(), "courier_id": rec.to_string()}),
        )
        .await;
    let data = &assigned.json["response"]["data"];
    assert_eq!(assigned.json["awb_assign_status"], 1);
    assert_eq!(data["courier_company_id"], rec);
    let awb = data["awb_code"].as_str().unwrap().to_owned();
    assert!(
        data["assigned_date_time"]["date"]
            .as_str()
            .unwrap()
            .starts_with("2024-07-03 10:00:00.")
    );

    let shipment = api.get(&format!("shipments/{sid}")).await;
    assert_eq!(shipment.json["data"]["awb"], awb.as_str());
    assert_eq!(shipment.json["data"]["order_id"], oid);

    let pickup = api.pickup(sid).await;
    assert_eq!(pickup.json["pickup_status"], 1);
    assert_eq!(pickup.json["response"]["status"], 3);

    let label = api
        .post(
            "courier/generate/label",
            &json!({"shipment_id": [sid.to_string()]}),
        )
        .await;
    assert_eq!(label.json["label_created"], 1);
    let manifest = api
        .post("manifests/generate", &json!({"shipment_id": [sid]}))
        .await;
    assert_eq!(manifest.json["status"], 1);
    let invoice = api
        .post("orders/print/invoice", &json!({"ids": [oid.to_string()]}))
        .await;
    assert_eq!(invoice.json["is_invoice_created"], true);
    for url in [
        &label.json["label_url"],
        &manifest.json["manifest_url"],
        &invoice.json["invoice_url"],
    ] {
        let pdf = api.http.get(url.as_str().unwrap()).send().await.unwrap();
        assert_eq!(pdf.headers()["content-type"], "application/pdf");
        let bytes = pdf.bytes().await.unwrap();
        assert!(bytes.starts_with(b"%PDF-1.4") && bytes.ends_with(b"%%EOF\n"));
    }
    let again = api
        .post("manifests/generate", &json!({"shipment_id": [sid]}))
        .await;
    assert_eq!(again.status, 400);
    assert_eq!(again.json["already_manifested_shipment_ids"], json!([sid]));

    let mut seen = vec![];
    for _ in 0..12 {
        api.sim
            .control()
            .advance_clock(Duration::from_secs(6 * 3600))
            .await;
        let s = api.track_status(&awb).await;
        if seen.last() != Some(&s) {
            seen.push(s);
        }
    }
    assert_eq!(seen.first(), Some(&6), "{seen:?}");
    assert_eq!(seen.last(), Some(&7), "{seen:?}");
    assert!(seen.contains(&18) && seen.contains(&17), "{seen:?}");
    let order_view = api
        .post("orders/create/adhoc", &order("HP-1", "560034"))
        .await;
    assert_eq!(order_view.json["status"], "DELIVERED");
    assert_eq!(api.sim.control().count("orders/create/adhoc"), 2);
    assert_eq!(api.sim.control().shipment_count(), 1);
    assert_eq!(api.sim.control().awb_count(), 1);
}

#[tokio::test]
async fn a_repeated_create_returns_the_existing_order_even_when_cancelled() {
    let api = Api::start(config()).await;
    let (oid, sid) = api.create_order("DUP-1", "400070").await;
    let again = api
        .post("orders/create/adhoc", &order("DUP-1", "400070"))
        .await;
    assert_eq!(
        (
            again.json["order_id"].as_i64(),
            again.json["shipment_id"].as_i64()
        ),
        (Some(oid), Some(sid))
    );
    let cancel = api.post("orders/cancel", &json!({"ids": [oid]})).await;
    assert_eq!(cancel.status, 204);
    assert!(cancel.text.is_empty());
    let after = api
        .post("orders/create/adhoc", &order("DUP-1", "400070"))
        .await;
    assert_eq!(after.status, 200);
    assert_eq!(after.json["status"], "CANCELED");
    assert_eq!(after.json["status_code"], 5);
    assert_eq!(after.json["awb_code"], "");
    assert_eq!(api.sim.control().shipment_count(), 1);
}

#[tokio::test]
async fn missing_fields_get_the_laravel_bag_and_an_unknown_pickup_gets_the_misleading_400() {
    let api = Api::start(config()).await;
    let mut body = order("", "560034");
    body["billing_city"] = json!("A city name that is far longer than thirty characters");
    let r = api.post("orders/create/adhoc", &body).await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json["message"], "Oops! Invalid Data.");
    assert_eq!(
        r.json["errors"]["order_id"][0],
        "The order id field is required."
    );
    assert!(r.json["errors"]["billing_city"].is_array());
    assert_eq!(r.json["status_code"], 422);

    let mut body = order("PK-1", "560034");
    body["pickup_location"] = json!("primary");
    let r = api.post("orders/create/adhoc", &body).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json,
        json!({"message": "Please add billing/shipping address first", "status_code": 400})
    );

    let mut body = order("CH-1", "560034");
    body["channel_id"] = json!("12345");
    let r = api.post("orders/create/adhoc", &body).await;
    assert_eq!(
        r.json,
        json!({"message": "Given channel id does not exist", "status_code": 400})
    );

    let mut body = order("SKU-1", "560034");
    body["order_items"] = json!([{"name": "a", "sku": "x", "units": 1, "selling_price": 1},
        {"name": "b", "sku": "x", "units": 1, "selling_price": 1}]);
    let r = api.post("orders/create/adhoc", &body).await;
    assert_eq!(r.json["errors"]["order_items"][0], "SKU cannot be repeated");
    assert_eq!(api.sim.control().shipment_count(), 0);
}

#[tokio::test]
async fn an_added_pickup_location_can_be_used_and_bad_addresses_get_the_bag_in_message() {
    let api = Api::start(config()).await;
    let bad = api
        .post(
            "settings/company/addpickup",
            &json!({"pickup_location": "Pune WH", "name": "A",
        "email": "", "phone": "9777777779", "address": "Mutant Facility", "city": "Pune",
        "state": "Maharashtra", "country": "India", "pin_code": "411014"}),
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.json["message"]["email"].is_array() && bad.json["message"]["address"].is_array());
    let ok = api
        .post(
            "settings/company/addpickup",
            &json!({"pickup_location": "Pune WH", "name": "A",
        "email": "a@b.in", "phone": "9777777779", "address": "Plot 3, Sector 3", "city": "Pune",
        "state": "Maharashtra", "country": "India", "pin_code": "411014"}),
        )
        .await;
    assert_eq!(ok.json["success"], true);
    let mut body = order("PUNE-1", "400070");
    body["pickup_location"] = json!("Pune WH");
    let r = api.post("orders/create/adhoc", &body).await;
    assert_eq!(r.status, 200);
    let q = api
        .get(&format!(
            "courier/serviceability/?order_id={}",
            r.json["order_id"]
        ))
        .await;
    assert_eq!(
        q.json["data"]["available_courier_companies"][0]["zone"],
        "z_b"
    );
}

#[tokio::test]
async fn address_update_answers_202_with_an_empty_body_and_rejects_unknown_orders() {
    let api = Api::start(config()).await;
    let (oid, _) = api.create_order("ADDR-1", "560034").await;
    let body = json!({"order_id": oid, "shipping_customer_name": "Majin Bu", "shipping_phone": "9988998899",
        "shipping_address": "Earth 1", "shipping_city": "Pune", "shipping_state": "Maharashtra",
        "shipping_country": "India", "shipping_pincode": 411014});
    let r = api.post("orders/address/update", &body).await;
    assert_eq!(r.status, 202);
    assert!(r.text.is_empty());
    let mut unknown = body.clone();
    unknown["order_id"] = json!(123123);
    let r = api.post("orders/address/update", &unknown).await;
    assert_eq!(
        r.json["errors"]["order_id"][0],
        "The selected order id is invalid."
    );
    let shown = api.get(&format!("orders/show/{oid}")).await;
    assert_eq!(shown.json["data"]["customer_pincode"], "411014");
}
