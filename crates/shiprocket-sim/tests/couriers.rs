//! Serviceability, AWB assignment, pickup scheduling and cancellation rules.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use std::time::Duration;

use common::{Api, config, order};
use serde_json::{Value, json};
use shiprocket_sim::SimConfig;
use time::macros::datetime;

fn quotes(v: &Value) -> &Vec<Value> {
    v["data"]["available_courier_companies"].as_array().unwrap()
}

#[tokio::test]
async fn serviceability_quotes_match_the_documented_shape_and_price_by_weight_and_zone() {
    let api = Api::start(config()).await;
    let near = api.get("courier/serviceability/?pickup_postcode=110020&delivery_postcode=110030&weight=0.5&cod=0").await;
    assert_eq!(near.status, 200);
    assert_eq!(near.json["status"], 200);
    assert_eq!(near.json["currency"], "INR");
    let q = &quotes(&near.json)[0];
    for key in [
        "estimated_delivery_days",
        "pickup_availability",
        "air_max_weight",
        "surface_max_weight",
        "courier_type",
    ] {
        assert!(q[key].is_string(), "{key} should be a string");
    }
    assert!(q["rate"].is_number() && q["rating"].is_number() && q["courier_company_id"].is_i64());
    assert_eq!(q["zone"], "z_a");
    assert!(q["etd"].as_str().unwrap().starts_with("Jul "));
    let rec = near.json["data"]["recommended_courier_company_id"]
        .as_i64()
        .unwrap();
    assert_eq!(near.json["data"]["shiprocket_recommended_courier_id"], rec);
    assert!(
        quotes(&near.json)
            .iter()
            .any(|q| q["courier_company_id"] == rec)
    );

    let rate_of = |v: &Value, id: i64| {
        quotes(v)
            .iter()
            .find(|q| q["courier_company_id"] == id)
            .map(|q| q["rate"].as_f64().unwrap())
    };
    let far = api.get("courier/serviceability/?pickup_postcode=110020&delivery_postcode=781005&weight=0.5&cod=0").await;
    assert_eq!(quotes(&far.json)[0]["zone"], "z_e");
    assert!(rate_of(&far.json, 43).unwrap() > rate_of(&near.json, 43).unwrap());
    let bulky = api.get("courier/serviceability/?pickup_postcode=110020&delivery_postcode=110030&weight=0.5&cod=0&length=40&breadth=30&height=20").await;
    assert!(rate_of(&bulky.json, 43).unwrap() > rate_of(&near.json, 43).unwrap());
    assert_eq!(
        quotes(&bulky.json)
            .iter()
            .find(|q| q["courier_company_id"] == 43)
            .unwrap()["charge_weight"],
        5.0
    );

    let cod = api.get("courier/serviceability/?pickup_postcode=110020&delivery_postcode=110030&weight=0.5&cod=1").await;
    assert!(quotes(&cod.json).iter().all(|q| q["cod"] == 1));
    assert!(
        rate_of(&cod.json, 58).is_none(),
        "Shadowfax Surface takes no COD"
    );
}

#[tokio::test]
async fn an_unserviceable_pin_gets_a_404_and_missing_parameters_get_the_documented_422() {
    let api = Api::start(config()).await;
    let ctl = api.sim.control();
    assert!(
        !ctl.is_serviceable("744301"),
        "Car Nicobar is unserviceable by default"
    );
    assert!(!ctl.is_serviceable("999999"), "not a real PIN");
    assert!(ctl.is_serviceable("560034"));
    let r = api.get("courier/serviceability/?pickup_postcode=110020&delivery_postcode=744301&weight=1&cod=0").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.json["status"], 404);
    ctl.add_unserviceable("560034");
    assert!(!ctl.is_serviceable("560034"));
    let r = api.get("courier/serviceability/?pickup_postcode=110020&delivery_postcode=560034&weight=1&cod=0").await;
    assert_eq!(r.status, 404);

    let r = api
        .get("courier/serviceability/?pickup_postcode=110020&delivery_postcode=560001")
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json["message"], "Required field missing");
    assert_eq!(
        r.json["errors"]["cod"][0],
        "The cod field is required when order id is not present."
    );
    let r = api.get("courier/serviceability/?order_id=1").await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json,
        json!({"status": 404, "message": "Order does not exist!"})
    );
}

#[tokio::test]
async fn a_second_assign_is_refused_as_already_assigned_and_reassign_needs_the_status() {
    let api = Api::start(config()).await;
    let (_, sid) = api.create_order("AWB-1", "560034").await;
    let awb = api.assign(sid).await;
    let again = api
        .post("courier/assign/awb", &json!({"shipment_id": sid}))
        .await;
    assert_eq!(again.status, 400);
    assert_eq!(again.json["message"], "AWB is already assigned");
    let re = api
        .post(
            "courier/assign/awb",
            &json!({"shipment_id": [sid], "courier_id": 14, "status": "reassign"}),
        )
        .await;
    assert_eq!(re.json["awb_assign_status"], 1, "{}", re.text);
    let new_awb = re.json["response"]["data"]["awb_code"].as_str().unwrap();
    assert_ne!(new_awb, awb);
    assert_eq!(api.sim.control().awb_of(sid).as_deref(), Some(new_awb));
    let twice = api
        .post(
            "courier/assign/awb",
            &json!({"shipment_id": sid, "status": "reassign"}),
        )
        .await;
    assert_eq!(
        twice.json["message"], "Oops! Cannot reassign courier for this shipment.",
        "once per 24 h"
    );
    let missing = api
        .post(
            "courier/assign/awb",
            &json!({"shipment_id": "", "courier_id": ""}),
        )
        .await;
    assert_eq!(missing.status, 422);
    assert_eq!(
        missing.json["errors"]["shipment_id"][0],
        "The shipment id field is required."
    );
    let unknown = api
        .post("courier/assign/awb", &json!({"shipment_id": "11111111"}))
        .await;
    assert_eq!(unknown.status, 400);
}

#[tokio::test]
async fn a_low_wallet_gets_the_http_200_refusal_and_each_awb_debits_its_rate() {
    let api = Api::start(config()).await;
    let ctl = api.sim.control();
    let (_, sid) = api.create_order("W-1", "560034").await;
    let before = ctl.wallet_balance();
    let r = api
        .post("courier/assign/awb", &json!({"shipment_id": sid}))
        .await;
    let rate = r.json["response"]["data"]["freight_charges"]
        .as_f64()
        .unwrap();
    assert_eq!(before - ctl.wallet_balance(), (rate * 100.0).round() as i64);
    let (_, sid2) = api.create_order("W-2", "560034").await;
    ctl.set_wallet_balance(100);
    let refused = api
        .post("courier/assign/awb", &json!({"shipment_id": sid2}))
        .await;
    assert_eq!(refused.status, 200);
    assert_eq!(
        refused.json,
        json!({"awb_assign_status": 0, "response": {"data": {
        "awb_assign_error": "Insufficient amount to label this shipment"}}})
    );
    assert_eq!(ctl.awb_count(), 1);
}

#[tokio::test]
async fn awbs_are_unique_and_follow_the_courier_format() {
    let api = Api::start(config()).await;
    let mut seen = std::collections::HashSet::new();
    for (i, courier) in [43, 58, 48, 14, 43, 58].iter().enumerate() {
        let (_, sid) = api.create_order(&format!("U-{i}"), "560034").await;
        let r = api
            .post(
                "courier/assign/awb",
                &json!({"shipment_id": sid, "courier_id": courier}),
            )
            .await;
        let awb = r.json["response"]["data"]["awb_code"]
            .as_str()
            .unwrap()
            .to_owned();
        match courier {
            58 => assert!(awb.starts_with("SF") && awb.ends_with("FPL"), "{awb}"),
            48 => assert!(awb.starts_with("FMPC"), "{awb}"),
            _ => assert!(awb.bytes().all(|b| b.is_ascii_digit()), "{awb}"),
        }
        assert!(seen.insert(awb));
    }
}

async fn slot_for(start: time::OffsetDateTime) -> String {
    let api = Api::start(SimConfig {
        start_time: Some(start),
        ..config()
    })
    .await;
    let (_, sid) = api.create_order("SLOT", "560034").await;
    api.post(
        "courier/assign/awb",
        &json!({"shipment_id": sid, "courier_id": 43}),
    )
    .await;
    let r = api.pickup(sid).await;
    r.json["response"]["pickup_scheduled_date"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn pickups_after_the_cut_off_move_to_the_next_working_day_and_skip_sundays() {
    assert_eq!(
        slot_for(datetime!(2024-07-03 10:30 +5:30)).await,
        "2024-07-03 10:30:00"
    );
    assert_eq!(
        slot_for(datetime!(2024-07-03 15:00 +5:30)).await,
        "2024-07-04 10:00:00"
    );
    assert_eq!(
        slot_for(datetime!(2024-07-06 15:00 +5:30)).await,
        "2024-07-08 10:00:00",
        "Saturday → Monday"
    );
    assert_eq!(
        slot_for(datetime!(2024-07-07 09:00 +5:30)).await,
        "2024-07-08 10:00:00",
        "Sunday → Monday"
    );
}

#[tokio::test]
async fn pickup_needs_an_awb_and_a_repeat_is_refused() {
    let api = Api::start(config()).await;
    let (_, sid) = api.create_order("P-1", "560034").await;
    assert_eq!(api.pickup(sid).await.status, 400);
    assert_eq!(
        api.pickup(121121212).await.json["message"],
        "Invalid shipment id"
    );
    api.assign(sid).await;
    assert_eq!(api.pickup(sid).await.json["pickup_status"], 1);
    assert_eq!(
        api.pickup(sid).await.json["message"],
        "Already in Pickup Queue."
    );
}

#[tokio::test]
async fn awb_cancellation_works_before_pickup_and_is_refused_after_it() {
    let api = Api::start(config()).await;
    let (oid, sid) = api.create_order("C-1", "560034").await;
    let awb = api.assign(sid).await;
    let balance = api.sim.control().wallet_balance();
    let r = api
        .post("orders/cancel/shipment/awbs", &json!({"awbs": [awb]}))
        .await;
    assert_eq!(r.status, 200);
    assert!(api.sim.control().wallet_balance() > balance, "refunded");
    assert!(api.sim.control().awb_of(sid).is_none());
    let again = api
        .post("orders/create/adhoc", &order("C-1", "560034"))
        .await;
    assert_eq!(again.json["status"], "NEW");

    let awb = api.assign(sid).await;
    api.pickup(sid).await;
    api.sim
        .control()
        .advance_clock(Duration::from_secs(4 * 3600))
        .await;
    let refused = api
        .post("orders/cancel/shipment/awbs", &json!({"awbs": [awb]}))
        .await;
    assert_eq!(refused.status, 400);
    let refused = api.post("orders/cancel", &json!({"ids": [oid]})).await;
    assert_eq!(refused.status, 400);
    assert_eq!(api.track_status(&awb).await, 42);
    let bad = api.post_raw("orders/cancel", r#"{"ids": "12"}"#).await;
    assert_eq!(bad.status, 500);
    let unknown = api.post("orders/cancel", &json!({"ids": [12312312]})).await;
    assert_eq!(
        unknown.json["message"],
        "Trying to get property of non-object"
    );
}
