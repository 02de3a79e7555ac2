//! The serviceability response body: typed structs (cheap to serialise) and the per-courier quote.

use serde::Serialize;
use time::{Duration as Span, OffsetDateTime};

use super::serviceability::{Lane, pickup_slot};
use crate::clock;
use crate::couriers::{Courier, Parcel, Quote, round2};
use crate::geo::{self, Zone};

/// One `blocked_courier_companies` element.
#[derive(Debug, Serialize)]
pub struct Blocked {
    pub block_reason: &'static str,
    pub courier_company_id: i64,
    pub courier_name: &'static str,
    pub postcode: String,
}

/// `recommended_by`.
#[derive(Debug, Serialize)]
pub struct RecommendedBy {
    pub id: u8,
    pub title: &'static str,
}

/// `data`.
#[derive(Debug, Serialize)]
pub struct Data {
    pub available_courier_companies: Vec<Quote>,
    pub blocked_courier_companies: Vec<Blocked>,
    pub child_courier_id: Option<()>,
    pub is_recommendation_enabled: u8,
    pub recommendation_advance_rule: u8,
    pub recommended_by: RecommendedBy,
    pub recommended_courier_company_id: i64,
    pub shiprocket_recommended_courier_id: i64,
}

/// `covid_zones`.
#[derive(Debug, Serialize)]
pub struct Zones {
    pub delivery_zone: Option<()>,
    pub pickup_zone: Option<()>,
}

/// The whole serviceability body (key order as documented).
#[derive(Debug, Serialize)]
pub struct Body {
    pub company_auto_shipment_insurance_setting: bool,
    pub covid_zones: Zones,
    pub currency: &'static str,
    pub data: Data,
    pub dg_courier: u8,
    pub eligible_for_insurance: bool,
    pub insurace_opted_at_order_creation: bool,
    pub is_allow_templatized_pricing: bool,
    pub is_latlong: u8,
    pub is_old_zone_opted: bool,
    pub is_zone_from_mongo: bool,
    pub label_generate_type: u8,
    pub on_new_zone: u8,
    pub seller_address: [u8; 0],
    pub status: u16,
    pub user_insurance_manadatory: bool,
}

/// One `available_courier_companies` element for a courier on a lane.
pub fn quote(
    c: &'static Courier,
    lane: &Lane,
    parcel: &Parcel,
    pin: &str,
    now: OffsetDateTime,
    id: i64,
) -> Quote {
    let z = lane.zone.index();
    let slot = pickup_slot(c, now);
    let days = c.days[z];
    let etd = slot + Span::days(i64::from(days));
    let (h, m) = c.cutoff_hm();
    let cutoff_today = now
        .to_offset(clock::IST)
        .replace_time(time::Time::from_hms(h, m, 0).unwrap_or(time::Time::MIDNIGHT));
    let left = (cutoff_today - now).whole_seconds().max(0);
    let freight = c.freight(parcel, lane.zone);
    let max = format!("{:.2}", c.max_weight);
    let none = "0.00".to_owned();
    let perf = round2(c.rating - 0.1);
    Quote {
        air_max_weight: if c.surface { none.clone() } else { max.clone() },
        assured_amount: 0,
        base_courier_id: None,
        base_weight: "",
        blocked: 0,
        call_before_delivery: "Available",
        charge_weight: c.billed_weight(parcel),
        city: lane.dest.city(),
        cod: u8::from(c.cod),
        cod_charges: c.cod_charges(parcel),
        cod_multiplier: if c.cod { 0.01 } else { 0.0 },
        cost: "",
        courier_company_id: c.id,
        courier_name: c.name,
        courier_type: "0",
        coverage_charges: 0,
        cutoff_time: c.cutoff,
        delivery_boy_contact: "Not Available",
        delivery_performance: perf,
        description: "",
        edd: "",
        entry_tax: 0,
        estimated_delivery_days: days.to_string(),
        etd: clock::etd(etd),
        etd_hours: days * 24,
        freight_charge: freight,
        id,
        is_custom_rate: 0,
        is_hyperlocal: false,
        is_international: 0,
        is_rto_address_available: true,
        is_surface: c.surface,
        local_region: u8::from(lane.zone == Zone::Local),
        metro: u8::from(lane.zone == Zone::Metro),
        min_weight: c.min_weight,
        mode: u8::from(!c.surface),
        new_edd: 0,
        odablock: false,
        other_charges: 0,
        others: "{\"cancel_real_time\":true}",
        pickup_availability: "0",
        pickup_performance: perf,
        pickup_priority: "",
        pickup_supress_hours: 0,
        pod_available: "Instant",
        postcode: pin.to_owned(),
        qc_courier: 0,
        rank: "",
        rate: c.rate(parcel, lane.zone),
        rating: c.rating,
        realtime_tracking: "Real Time",
        region: 1,
        rto_charges: freight,
        rto_performance: perf,
        seconds_left_for_pickup: left,
        secure_shipment_disabled: false,
        ship_type: 1,
        state: geo::title_case(lane.dest.state),
        suppress_date: "",
        suppress_text: "",
        suppression_dates: None,
        surface_max_weight: if c.surface { max } else { none },
        tracking_performance: perf,
        volumetric_max_weight: None,
        weight_cases: perf,
        zone: lane.zone.code(),
    }
}
