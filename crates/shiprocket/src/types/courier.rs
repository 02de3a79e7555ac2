//! Courier types: serviceability quotes, AWB assignment and pickup generation.

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use crate::dates::{de_opt_ist, parse_local};
use crate::flex::{
    de_bool, de_f64, de_i64, de_opt_f64, de_opt_i64, de_opt_string, de_opt_u32, de_string,
};

/// Query of `GET courier/serviceability/`. Give `order_id`, or `cod` and `weight`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceabilityQuery {
    /// Pickup PIN (6 digits).
    pub pickup_postcode: String,
    /// Delivery PIN (6 digits).
    pub delivery_postcode: String,
    /// Shiprocket order id (instead of `cod` + `weight`).
    pub order_id: Option<i64>,
    /// Cash on delivery.
    pub cod: Option<bool>,
    /// kg.
    pub weight: Option<f64>,
    /// cm.
    pub length: Option<f64>,
    /// cm.
    pub breadth: Option<f64>,
    /// cm.
    pub height: Option<f64>,
    /// Rupees (required for returns).
    pub declared_value: Option<f64>,
    /// "Surface" or "Air".
    pub mode: Option<String>,
    /// Return shipment.
    pub is_return: Option<bool>,
}

impl ServiceabilityQuery {
    /// The query-string pairs, with Shiprocket's names; booleans as 1/0.
    pub fn to_query(&self) -> Vec<(&'static str, String)> {
        let mut q = vec![
            ("pickup_postcode", self.pickup_postcode.clone()),
            ("delivery_postcode", self.delivery_postcode.clone()),
        ];
        let b = |v: bool| if v { "1".to_owned() } else { "0".to_owned() };
        if let Some(v) = self.order_id {
            q.push(("order_id", v.to_string()));
        }
        if let Some(v) = self.cod {
            q.push(("cod", b(v)));
        }
        for (k, v) in [
            ("weight", self.weight),
            ("length", self.length),
            ("breadth", self.breadth),
            ("height", self.height),
            ("declared_value", self.declared_value),
        ] {
            if let Some(v) = v {
                q.push((k, v.to_string()));
            }
        }
        if let Some(v) = &self.mode {
            q.push(("mode", v.clone()));
        }
        if let Some(v) = self.is_return {
            q.push(("is_return", b(v)));
        }
        q
    }
}

/// One courier offer from serviceability. `Serialize` writes the same field names, so stored
/// quotes decode again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CourierQuote {
    /// The id to pass to `assign_awb` (NOT the per-quote `id`).
    #[serde(default, deserialize_with = "de_i64")]
    pub courier_company_id: i64,
    /// Courier name.
    #[serde(default, deserialize_with = "de_string")]
    pub courier_name: String,
    /// Total price in rupees.
    #[serde(default, deserialize_with = "de_f64")]
    pub rate: f64,
    /// Freight part of the price.
    #[serde(default, deserialize_with = "de_opt_f64")]
    pub freight_charge: Option<f64>,
    /// COD charge part of the price.
    #[serde(default, deserialize_with = "de_opt_f64")]
    pub cod_charges: Option<f64>,
    /// RTO charge.
    #[serde(default, deserialize_with = "de_opt_f64")]
    pub rto_charges: Option<f64>,
    /// Supports cash on delivery.
    #[serde(default, deserialize_with = "de_bool")]
    pub cod: bool,
    /// Days to deliver.
    #[serde(default, deserialize_with = "de_opt_u32")]
    pub estimated_delivery_days: Option<u32>,
    /// Estimated delivery date as sent ("Jul 01, 2024").
    #[serde(default, deserialize_with = "de_opt_string")]
    pub etd: Option<String>,
    /// Hours to deliver.
    #[serde(default, deserialize_with = "de_opt_u32")]
    pub etd_hours: Option<u32>,
    /// Courier rating (0–5).
    #[serde(default, deserialize_with = "de_opt_f64")]
    pub rating: Option<f64>,
    /// Surface (true) or air.
    #[serde(default, deserialize_with = "de_bool")]
    pub is_surface: bool,
    /// 0 = surface, 1 = air.
    #[serde(default, deserialize_with = "de_opt_i64")]
    pub mode: Option<i64>,
    /// Max kg by air ("0.00" when n/a).
    #[serde(default, deserialize_with = "de_opt_f64")]
    pub air_max_weight: Option<f64>,
    /// Max kg by surface.
    #[serde(default, deserialize_with = "de_opt_f64")]
    pub surface_max_weight: Option<f64>,
    /// Minimum billed kg.
    #[serde(default, deserialize_with = "de_opt_f64")]
    pub min_weight: Option<f64>,
    /// Billed kg for this parcel.
    #[serde(default, deserialize_with = "de_opt_f64")]
    pub charge_weight: Option<f64>,
    /// Blocked for this account/route.
    #[serde(default, deserialize_with = "de_bool")]
    pub blocked: bool,
    /// Shiprocket's `pickup_availability` flag as sent ("0"/"1"; meaning undocumented).
    #[serde(default, deserialize_with = "de_opt_string")]
    pub pickup_availability: Option<String>,
    /// Daily pickup cut-off, "HH:MM".
    #[serde(default, deserialize_with = "de_opt_string")]
    pub cutoff_time: Option<String>,
    /// Hyperlocal courier.
    #[serde(default, deserialize_with = "de_bool")]
    pub is_hyperlocal: bool,
    /// Zone code, e.g. "z_e".
    #[serde(default, deserialize_with = "de_opt_string")]
    pub zone: Option<String>,
}

impl CourierQuote {
    /// The estimated delivery date parsed from `etd`.
    pub fn etd_date(&self) -> Option<Date> {
        self.etd.as_deref().and_then(parse_local).map(|d| d.date())
    }
}

/// A courier that would serve the route but is blocked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlockedCourier {
    /// Courier id.
    #[serde(default, deserialize_with = "de_i64")]
    pub courier_company_id: i64,
    /// Courier name.
    #[serde(default, deserialize_with = "de_string")]
    pub courier_name: String,
    /// Why.
    #[serde(default, deserialize_with = "de_opt_string")]
    pub block_reason: Option<String>,
}

/// The outcome of a serviceability check (never empty: no couriers is `Error::NotServiceable`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Serviceability {
    /// Available couriers, in Shiprocket's order.
    pub couriers: Vec<CourierQuote>,
    /// Blocked couriers.
    pub blocked: Vec<BlockedCourier>,
    /// Shiprocket's recommendation for the account's rules.
    pub recommended_courier_company_id: Option<i64>,
    /// Shiprocket's own recommendation.
    pub shiprocket_recommended_courier_id: Option<i64>,
}

/// `data` of the serviceability body.
#[derive(Debug, Deserialize)]
pub(crate) struct ServiceabilityData {
    #[serde(default)]
    pub(crate) available_courier_companies: Vec<CourierQuote>,
    #[serde(default)]
    pub(crate) blocked_courier_companies: Vec<BlockedCourier>,
    #[serde(default, deserialize_with = "de_opt_i64")]
    pub(crate) recommended_courier_company_id: Option<i64>,
    #[serde(default, deserialize_with = "de_opt_i64")]
    pub(crate) shiprocket_recommended_courier_id: Option<i64>,
}

/// The body of `POST courier/assign/awb`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct AssignAwbRequest {
    pub(crate) shipment_id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) courier_id: Option<i64>,
}

/// A successful AWB assignment (`awb_assign_status: 1` with a non-empty `awb_code`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AwbAssignment {
    /// The air waybill number.
    #[serde(default, deserialize_with = "de_string")]
    pub awb_code: String,
    /// The courier actually assigned (may differ from the one asked for).
    #[serde(default, deserialize_with = "de_i64")]
    pub courier_company_id: i64,
    /// Its name.
    #[serde(default, deserialize_with = "de_string")]
    pub courier_name: String,
    /// Shiprocket order id.
    #[serde(default, deserialize_with = "de_opt_i64")]
    pub order_id: Option<i64>,
    /// Shiprocket shipment id.
    #[serde(default, deserialize_with = "de_opt_i64")]
    pub shipment_id: Option<i64>,
    /// When assigned (IST).
    #[serde(default, deserialize_with = "de_opt_ist")]
    pub assigned_date_time: Option<OffsetDateTime>,
    /// Billed weight, kg.
    #[serde(default, deserialize_with = "de_opt_f64")]
    pub applied_weight: Option<f64>,
    /// Booked freight, when Shiprocket reports it.
    #[serde(default, deserialize_with = "de_opt_f64")]
    pub freight_charges: Option<f64>,
    /// Pickup slot Shiprocket proposes.
    #[serde(default, deserialize_with = "de_opt_ist")]
    pub pickup_scheduled_date: Option<OffsetDateTime>,
    /// Courier routing code.
    #[serde(default, deserialize_with = "de_opt_string")]
    pub routing_code: Option<String>,
    /// Shiprocket's invoice number.
    #[serde(default, deserialize_with = "de_opt_string")]
    pub invoice_no: Option<String>,
    /// COD shipment.
    #[serde(default, deserialize_with = "de_bool")]
    pub cod: bool,
}

/// A pickup request's outcome.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PickupResponse {
    /// When the courier will come (IST).
    #[serde(default, deserialize_with = "de_opt_ist")]
    pub pickup_scheduled_date: Option<OffsetDateTime>,
    /// The courier's pickup reference.
    #[serde(default, deserialize_with = "de_opt_string")]
    pub pickup_token_number: Option<String>,
    /// Shipment status code after the request (3 = pickup scheduled).
    #[serde(default, deserialize_with = "de_opt_i64")]
    pub status: Option<i64>,
    /// When the request was made (IST).
    #[serde(default, deserialize_with = "de_opt_ist")]
    pub pickup_generated_date: Option<OffsetDateTime>,
    /// Confirmation text, e.g. "Pickup is confirmed by ...".
    #[serde(default, deserialize_with = "de_opt_string")]
    pub data: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_quote_decodes_again() {
        let q: CourierQuote = serde_json::from_value(serde_json::json!({
            "courier_company_id": "43", "courier_name": "Delhivery Surface", "rate": "54.50", "cod": 1,
            "estimated_delivery_days": "4", "etd": "Jul 01, 2024", "is_surface": true, "blocked": 0
        }))
        .unwrap();
        let again: CourierQuote =
            serde_json::from_value(serde_json::to_value(&q).unwrap()).unwrap();
        assert_eq!(again, q);
        assert!((q.rate - 54.5).abs() < 1e-9);
    }

    #[test]
    fn the_serviceability_query_uses_shiprocket_names_and_flags() {
        let q = ServiceabilityQuery {
            pickup_postcode: "110030".into(),
            delivery_postcode: "122002".into(),
            cod: Some(true),
            weight: Some(0.5),
            ..Default::default()
        };
        let got = q.to_query();
        assert!(got.contains(&("cod", "1".to_owned())));
        assert!(got.contains(&("weight", "0.5".to_owned())));
        assert!(!got.iter().any(|(k, _)| *k == "order_id"));
    }
}
