//! `courier/generate/pickup`: cut-off and working-day scheduling, then the scan timeline is planned.

use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use serde_json::{Value, json};

use super::serviceability::{is_working_day, pickup_slot};
use crate::respond::{self, List, as_i64, as_string};
use crate::state::Scan;
use crate::tracking::{self, Outcome};
use crate::{App, clock};

const INVALID: &str = "Invalid shipment id";

/// POST courier/generate/pickup.
pub async fn generate(State(app): State<App>, body: Bytes) -> Response {
    let v = respond::body(&body);
    let items = match respond::list(&v, "shipment_id") {
        List::NotArray => return respond::foreach_500(),
        List::Missing => return respond::message(400, INVALID),
        List::Items(items) => items,
    };
    if items.len() > 1 {
        return respond::message(400, "Only one shipment_id can be passed at a time.");
    }
    let retry = v
        .get("status")
        .and_then(Value::as_str)
        .is_some_and(|s| s.eq_ignore_ascii_case("retry"));
    let wanted = match respond::list(&v, "pickup_date") {
        List::Items(d) => d
            .first()
            .and_then(as_string)
            .and_then(|s| clock::parse_ymd(&s)),
        _ => None,
    };
    let mut guard = app.lock();
    let st = &mut *guard;
    let now = st.now();
    let Some(idx) = items
        .first()
        .and_then(as_i64)
        .and_then(|sid| st.order_by_shipment(sid))
    else {
        return respond::message(400, INVALID);
    };
    let Some(o) = st.orders.get(idx).cloned().filter(|o| !o.cancelled) else {
        return respond::message(400, INVALID);
    };
    let Some(awb) = o
        .awb
        .clone()
        .filter(|a| st.consignments.get(a).is_some_and(|c| !c.cancelled))
    else {
        return respond::message(
            400,
            "Please assign AWB to the shipment before generating pickup.",
        );
    };
    let origin = st
        .pickups
        .get(o.pickup)
        .map(|p| p.cfg.city.clone())
        .unwrap_or_default();
    let draw = st.draw();
    let (ndr, rto) = (st.cfg.ndr_share, st.cfg.rto_share);
    let token_no = st.seq.pickup;
    let Some(c) = st.consignments.get_mut(&awb) else {
        return respond::message(400, INVALID);
    };
    if c.pickup_scheduled.is_some() && (!retry || c.picked(now)) {
        return respond::message(400, "Already in Pickup Queue.");
    }
    let today = now.to_offset(clock::IST).date();
    let slot = match wanted {
        Some(d) if d < today => return respond::message(400, "Pickup date cannot be a past date."),
        Some(d) if d > today => {
            let mut d = d;
            while !is_working_day(d) {
                d = d.next_day().unwrap_or(d);
            }
            d.with_hms(10, 0, 0)
                .map_or(now, |t| t.assume_offset(clock::IST))
        }
        _ => pickup_slot(c.courier, now),
    };
    let outcome = if draw < rto {
        Outcome::Rto
    } else if draw < rto + ndr {
        Outcome::NdrThenDelivered
    } else {
        Outcome::Delivered
    };
    c.scans.retain(|s| s.at <= now);
    let token = format!(
        "Reference No: {}_ORDERLY {}_{}",
        c.courier.id,
        token_no,
        clock::ddmmyyyy(slot)
    );
    c.pickup_scheduled = Some(slot);
    c.pickup_token = Some(token.clone());
    let scan = Scan {
        at: now,
        code: None,
        raw: "FMPUR-101",
        activity: "Manifested - Pickup scheduled".into(),
        location: origin.clone(),
    };
    tracking::insert(c, scan);
    tracking::plan(c, slot, &origin, &o.city, outcome);
    let courier = c.courier;
    st.seq.pickup += 1;
    let others = json!({"tier_id": 5, "etd_zone": c.zone.code(), "routing_code": "", "dynamic_weight": format!("{:.2}", c.applied_weight)});
    let body = json!({"pickup_status": 1, "response": {
        "pickup_scheduled_date": clock::ymd_hms(slot),
        "pickup_token_number": token,
        "status": 3,
        "others": others.to_string(),
        "pickup_generated_date": clock::php_datetime(now),
        "data": format!("Pickup is confirmed by {} For AWB :- {}", courier.name, awb),
    }});
    respond::json(200, &body)
}
