//! `GET courier/serviceability/`: zones, couriers, rates, ETDs and recommendations from the PIN table.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::Response;
use serde_json::json;
use time::OffsetDateTime;

use super::quote::{Blocked, Body, Data, RecommendedBy, Zones, quote};
use crate::couriers::{COURIERS, Courier, Parcel};
use crate::geo::{self, PinInfo, Zone};
use crate::respond;
use crate::state::State as World;
use crate::{App, clock};

/// A serviceable lane and the couriers that take the parcel on it.
#[derive(Debug)]
pub struct Lane {
    /// Zone of the lane.
    pub zone: Zone,
    /// Delivery PIN details.
    pub dest: PinInfo,
    /// Couriers accepting the parcel.
    pub couriers: Vec<&'static Courier>,
    /// Couriers refusing it, with the reason.
    pub blocked: Vec<(&'static Courier, &'static str)>,
}

/// The lane between two PINs for a parcel; `None` when no courier serves it.
pub fn lane(st: &World, pickup: &str, delivery: &str, parcel: &Parcel) -> Option<Lane> {
    if !st.is_serviceable(pickup) || !st.is_serviceable(delivery) {
        return None;
    }
    let (from, dest) = (geo::lookup(pickup)?, geo::lookup(delivery)?);
    let zone = geo::zone(&from, &dest);
    let mut couriers = Vec::new();
    let mut blocked = Vec::new();
    for c in &COURIERS {
        if c.accepts(parcel, zone) {
            couriers.push(c);
        } else if parcel.cod && !c.cod {
            blocked.push((c, "COD not available"));
        } else if zone == Zone::Special && !c.special {
            blocked.push((c, "Pincode not serviceable"));
        } else {
            blocked.push((c, "Weight limit exceeded"));
        }
    }
    (!couriers.is_empty()).then_some(Lane {
        zone,
        dest,
        couriers,
        blocked,
    })
}

/// The courier Shiprocket would recommend: the cheapest with rating ≥ 4.3, else the cheapest.
pub fn recommended(lane: &Lane, parcel: &Parcel) -> Option<&'static Courier> {
    let cheapest = |min: f64| {
        lane.couriers
            .iter()
            .filter(|c| c.rating >= min)
            .min_by(|a, b| {
                a.rate(parcel, lane.zone)
                    .total_cmp(&b.rate(parcel, lane.zone))
            })
            .copied()
    };
    cheapest(4.3).or_else(|| cheapest(0.0))
}

/// The next pickup slot for a courier: today if before its cut-off on a working day, else the
/// next working day (Sundays and a few national holidays skipped) at 10:00 IST.
pub fn pickup_slot(c: &Courier, now: OffsetDateTime) -> OffsetDateTime {
    let now = now.to_offset(clock::IST);
    let (h, m) = c.cutoff_hm();
    let before_cutoff = (now.hour(), now.minute()) < (h, m);
    if before_cutoff && is_working_day(now.date()) {
        return now;
    }
    let mut d = now.date();
    loop {
        d = d.next_day().unwrap_or(d);
        if is_working_day(d) {
            break;
        }
    }
    d.with_hms(10, 0, 0)
        .map_or(now, |t| t.assume_offset(clock::IST))
}

/// Mon–Sat, except 26 Jan, 15 Aug and 2 Oct.
pub fn is_working_day(d: time::Date) -> bool {
    use time::Month::{August, January, October};
    let holiday = matches!(
        (d.month(), d.day()),
        (January, 26) | (August, 15) | (October, 2)
    );
    d.weekday() != time::Weekday::Sunday && !holiday
}

/// GET courier/serviceability/.
pub async fn check(State(app): State<App>, Query(q): Query<HashMap<String, String>>) -> Response {
    let get = |k: &str| q.get(k).map(|s| s.trim()).filter(|s| !s.is_empty());
    let num = |k: &str| get(k).and_then(|s| s.parse::<f64>().ok());
    let (delivery, parcel, now, lane, first_id) = {
        let mut st = app.lock();
        let (pickup, delivery, parcel) = if let Some(oid) = get("order_id") {
            let found = oid
                .parse::<i64>()
                .ok()
                .and_then(|id| st.by_order_id.get(&id).copied());
            let Some(o) = found.and_then(|i| st.orders.get(i)) else {
                return respond::json(
                    200,
                    &json!({"status": 404, "message": "Order does not exist!"}),
                );
            };
            let pin = st
                .pickups
                .get(o.pickup)
                .map(|p| p.cfg.pin_code.clone())
                .unwrap_or_default();
            let (l, b, h) = o.dims;
            (
                pin,
                o.pincode.clone(),
                Parcel {
                    weight: o.weight,
                    volume_cm3: l * b * h,
                    cod: o.cod,
                    declared_value: o.sub_total,
                },
            )
        } else {
            let mut errs = Vec::new();
            for (k, f) in [
                ("pickup_postcode", "pickup postcode"),
                ("delivery_postcode", "delivery postcode"),
                ("weight", "weight"),
                ("cod", "cod"),
            ] {
                if get(k).is_none() {
                    errs.push((
                        k.to_owned(),
                        format!("The {f} field is required when order id is not present."),
                    ));
                }
            }
            if !errs.is_empty() {
                errs.push(("order_id".to_owned(), "The order id field is required when pickup postcode / delivery postcode / cod / weight is not present.".to_owned()));
                return respond::bag("Required field missing", &errs);
            }
            let dims = num("length").unwrap_or(0.0)
                * num("breadth").unwrap_or(0.0)
                * num("height").unwrap_or(0.0);
            let parcel = Parcel {
                weight: num("weight").unwrap_or(0.0),
                volume_cm3: dims,
                cod: get("cod").is_some_and(|c| c == "1" || c.eq_ignore_ascii_case("true")),
                declared_value: num("declared_value").unwrap_or(0.0),
            };
            (
                get("pickup_postcode").unwrap_or_default().to_owned(),
                get("delivery_postcode").unwrap_or_default().to_owned(),
                parcel,
            )
        };
        let mut errs = Vec::new();
        for (k, v) in [
            ("pickup_postcode", &pickup),
            ("delivery_postcode", &delivery),
        ] {
            if v.len() != 6 || !v.bytes().all(|b| b.is_ascii_digit()) {
                errs.push((
                    k.to_owned(),
                    format!("The {} must be 6 digits.", k.replace('_', " ")),
                ));
            }
        }
        if parcel.weight <= 0.0 {
            errs.push((
                "weight".to_owned(),
                "The weight must be greater than 0.".to_owned(),
            ));
        }
        if !errs.is_empty() {
            return respond::bag("Oops! Invalid Data.", &errs);
        }
        let lane = lane(&st, &pickup, &delivery, &parcel);
        let first_id = st.seq.quote;
        st.seq.quote += COURIERS.len() as i64;
        (delivery, parcel, st.now(), lane, first_id)
    };
    let mode = get("mode").map(str::to_ascii_lowercase);
    let Some(mut lane) = lane else {
        return not_serviceable();
    };
    if let Some(m) = mode.as_deref().filter(|m| *m == "air" || *m == "surface") {
        lane.couriers.retain(|c| c.surface == (m == "surface"));
        if lane.couriers.is_empty() {
            return not_serviceable();
        }
    }
    let rec = recommended(&lane, &parcel).map_or(0, |c| c.id);
    let quotes = lane
        .couriers
        .iter()
        .zip(first_id..)
        .map(|(c, id)| quote(c, &lane, &parcel, &delivery, now, id))
        .collect();
    let blocked = lane
        .blocked
        .iter()
        .map(|(c, r)| Blocked {
            block_reason: r,
            courier_company_id: c.id,
            courier_name: c.name,
            postcode: delivery.clone(),
        })
        .collect();
    respond::ok(&Body {
        company_auto_shipment_insurance_setting: false,
        covid_zones: Zones {
            delivery_zone: None,
            pickup_zone: None,
        },
        currency: "INR",
        data: Data {
            available_courier_companies: quotes,
            blocked_courier_companies: blocked,
            child_courier_id: None,
            is_recommendation_enabled: 1,
            recommendation_advance_rule: 0,
            recommended_by: RecommendedBy {
                id: 6,
                title: "Recommendation By Shiprocket",
            },
            recommended_courier_company_id: rec,
            shiprocket_recommended_courier_id: rec,
        },
        dg_courier: 0,
        eligible_for_insurance: false,
        insurace_opted_at_order_creation: false,
        is_allow_templatized_pricing: true,
        is_latlong: 0,
        is_old_zone_opted: false,
        is_zone_from_mongo: true,
        label_generate_type: 2,
        on_new_zone: 2,
        seller_address: [],
        status: 200,
        user_insurance_manadatory: false,
    })
}

/// No courier serves the lane: HTTP 404 with a body-level status (the exact text is undocumented).
pub fn not_serviceable() -> Response {
    respond::json(
        404,
        &json!({"status": 404, "message": "No courier serviceable for the given pincodes"}),
    )
}
