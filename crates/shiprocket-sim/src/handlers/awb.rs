//! `courier/assign/awb` (wallet, refusals, reassignment) and `orders/cancel/shipment/awbs`.

use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use rand::RngExt as _;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::serviceability::{lane, pickup_slot, recommended};
use crate::couriers::Parcel;
use crate::respond::{self, List, as_i64, as_string, present};
use crate::state::{COMPANY_ID, Consignment, Scan, State as World};
use crate::{App, clock, tracking};

const CANNOT_REASSIGN: &str = "Oops! Cannot reassign courier for this shipment.";

fn refusal(reason: &str) -> Response {
    respond::json(
        200,
        &json!({"awb_assign_status": 0, "response": {"data": {"awb_assign_error": reason}}}),
    )
}

/// Cancels an AWB: drops its future scans, adds a "Canceled" scan, refunds the wallet.
pub fn cancel_consignment(st: &mut World, awb: &str, now: OffsetDateTime) {
    let Some(c) = st.consignments.get_mut(awb) else {
        return;
    };
    if c.cancelled {
        return;
    }
    c.cancelled = true;
    c.scans.retain(|s| s.at <= now);
    c.etd = None;
    let scan = Scan {
        at: now,
        code: Some(8),
        raw: "CAN",
        activity: "Shipment Cancelled".into(),
        location: "NA".into(),
    };
    tracking::insert(c, scan);
    st.wallet_paise += c.rate_paise;
}

/// POST courier/assign/awb.
pub async fn assign(State(app): State<App>, body: Bytes) -> Response {
    let v = respond::body(&body);
    let sid_value = match v.get("shipment_id") {
        Some(Value::Array(a)) => a.first().cloned(),
        other => other.cloned(),
    };
    let Some(sid_value) = sid_value.filter(|s| !s.is_null() && s.as_str() != Some("")) else {
        let e = [respond::required("shipment_id")];
        return respond::bag("Required field missing", &e);
    };
    let reassign = v
        .get("status")
        .and_then(Value::as_str)
        .is_some_and(|s| s.eq_ignore_ascii_case("reassign"));
    let courier_id = present(&v, "courier_id").and_then(as_i64);
    let mut guard = app.lock();
    let st = &mut *guard;
    let now = st.now();
    let Some(idx) = as_i64(&sid_value).and_then(|sid| st.order_by_shipment(sid)) else {
        return respond::message(400, CANNOT_REASSIGN);
    };
    let Some(o) = st.orders.get(idx).cloned() else {
        return respond::message(400, CANNOT_REASSIGN);
    };
    if o.cancelled {
        return respond::message(400, "Cannot assign AWB as the order is in cancelled state.");
    }
    let live = st
        .live_consignment(idx)
        .filter(|c| !c.cancelled)
        .map(|c| (c.awb.clone(), c.pickup_scheduled.is_some()));
    if let Some((_, pickup_generated)) = &live {
        if !reassign {
            return respond::message(400, "AWB is already assigned");
        }
        let recently = o
            .reassigned_at
            .is_some_and(|t| now - t < time::Duration::hours(24));
        if *pickup_generated || recently {
            return respond::message(400, CANNOT_REASSIGN);
        }
    }
    let Some(pickup) = st.pickups.get(o.pickup).cloned() else {
        return respond::message(400, CANNOT_REASSIGN);
    };
    let (l, b, h) = o.dims;
    let parcel = Parcel {
        weight: o.weight,
        volume_cm3: l * b * h,
        cod: o.cod,
        declared_value: o.sub_total,
    };
    let Some(lane) = lane(st, &pickup.cfg.pin_code, &o.pincode, &parcel) else {
        return refusal("Courier not serviceable for this pincode");
    };
    let courier = match courier_id {
        Some(id) => match lane.couriers.iter().find(|c| c.id == id) {
            Some(c) => *c,
            None => return refusal("Selected courier is not serviceable for this shipment"),
        },
        None => match recommended(&lane, &parcel) {
            Some(c) => c,
            None => return refusal("Courier not serviceable for this pincode"),
        },
    };
    let rate = courier.rate(&parcel, lane.zone);
    let rate_paise = (rate * 100.0).round() as i64;
    let refund = live
        .as_ref()
        .and_then(|(awb, _)| st.consignments.get(awb))
        .map_or(0, |c| c.rate_paise);
    if st.wallet_paise + refund < rate_paise {
        return refusal("Insufficient amount to label this shipment");
    }
    if let Some((old, _)) = &live {
        cancel_consignment(st, old, now);
    }
    let awb = loop {
        let n = st.seq.awb;
        st.seq.awb += 1 + u64::from(st.rng.random::<u8>() % 13);
        let awb = courier.awb(n);
        if !st.consignments.contains_key(&awb) {
            break awb;
        }
    };
    st.wallet_paise -= rate_paise;
    let applied_weight = courier.billed_weight(&parcel);
    let days = courier.days[lane.zone.index()];
    st.consignments.insert(
        awb.clone(),
        Consignment {
            awb: awb.clone(),
            order: idx,
            courier,
            rate_paise,
            applied_weight,
            zone: lane.zone,
            days,
            assigned_at: now,
            pickup_scheduled: None,
            pickup_token: None,
            etd: None,
            scans: Vec::new(),
            webhooks_sent: 0,
            cancelled: false,
        },
    );
    if let Some(order) = st.orders.get_mut(idx) {
        order.awb = Some(awb.clone());
        if live.is_some() {
            order.reassigned_at = Some(now);
        }
    }
    let p = &pickup.cfg;
    let shipped_by = json!({
        "shipper_company_name": st.cfg.company_name, "shipper_address_1": p.address,
        "shipper_address_2": "", "shipper_city": p.city, "shipper_state": p.state,
        "shipper_country": "India", "shipper_postcode": p.pin_code, "shipper_first_mile_activated": 0,
        "shipper_phone": p.phone, "lat": "", "long": "", "shipper_email": p.email,
        "rto_company_name": st.cfg.company_name, "rto_address_1": p.address, "rto_address_2": "",
        "rto_city": p.city, "rto_state": p.state, "rto_country": "India", "rto_postcode": p.pin_code,
        "rto_phone": p.phone, "rto_email": p.email,
    });
    let data = json!({
        "courier_company_id": courier.id, "awb_code": awb, "cod": u8::from(o.cod), "order_id": o.id,
        "shipment_id": o.shipment_id, "awb_code_status": 1, "assigned_date_time": clock::php_datetime(now),
        "applied_weight": applied_weight, "company_id": COMPANY_ID, "courier_name": courier.name,
        "child_courier_name": null, "pickup_scheduled_date": clock::ymd_hms(pickup_slot(courier, now)),
        "routing_code": "", "rto_routing_code": "", "invoice_no": format!("retail{}", o.id),
        "transporter_id": "", "transporter_name": "", "freight_charges": rate, "shipped_by": shipped_by,
    });
    let body = json!({"awb_assign_status": 1, "response": {"data": data}});
    respond::json(200, &body)
}

/// POST orders/cancel/shipment/awbs (refused once the courier came for the parcel).
pub async fn cancel_awbs(State(app): State<App>, body: Bytes) -> Response {
    let v = respond::body(&body);
    let items = match respond::list(&v, "awbs") {
        List::NotArray => return respond::foreach_500(),
        List::Items(items) if !items.is_empty() => items,
        _ => {
            let e = [respond::required("awbs")];
            return respond::bag("Required field missing", &e);
        }
    };
    if items.len() > 2000 {
        let e = [(
            "awbs".to_owned(),
            "The awbs may not have more than 2000 items.".to_owned(),
        )];
        return respond::bag("Oops! Invalid Data.", &e);
    }
    let mut guard = app.lock();
    let st = &mut *guard;
    let now = st.now();
    let awbs: Vec<String> = items
        .iter()
        .filter_map(as_string)
        .filter(|a| st.consignments.contains_key(a))
        .collect();
    let picked: Vec<&str> = awbs
        .iter()
        .filter(|a| {
            st.consignments
                .get(*a)
                .is_some_and(|c| !c.cancelled && c.picked(now))
        })
        .map(String::as_str)
        .collect();
    if !picked.is_empty() {
        let msg = format!(
            "Cancellation is not allowed after the shipment is out for pickup or picked up. AWB(s): {}",
            picked.join(", ")
        );
        return respond::message(400, &msg);
    }
    for awb in &awbs {
        cancel_consignment(st, awb, now);
        let order = st.consignments.get(awb).map(|c| c.order);
        if let Some(o) = order.and_then(|i| st.orders.get_mut(i))
            && o.awb.as_deref() == Some(awb.as_str())
        {
            o.awb = None;
            o.label_url = None;
            o.manifest_url = None;
        }
    }
    respond::json(
        200,
        &json!({"message": "Bulk Shipment cancellation is in progress. Please wait for some time."}),
    )
}
