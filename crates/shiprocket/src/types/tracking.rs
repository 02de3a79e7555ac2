//! Tracking: `courier/track/awb/{awb}`, `courier/track/awbs`, and the tracking webhook payload.

use serde::{Deserialize, Deserializer};
use serde_json::Value;
use time::OffsetDateTime;

use crate::dates::de_opt_ist;
use crate::error::{Error, masked_excerpt};
use crate::flex::{de_bool, de_opt_f64, de_opt_i64, de_opt_string, de_string};
use crate::status::{OrderStatus, ShipmentStatus};

fn de_opt_shipment_status<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<ShipmentStatus>, D::Error> {
    Ok(ShipmentStatus::from_value(&Value::deserialize(d)?))
}

fn de_opt_order_status<'de, D: Deserializer<'de>>(d: D) -> Result<Option<OrderStatus>, D::Error> {
    Ok(OrderStatus::from_value(&Value::deserialize(d)?))
}

/// A scan; newest first in tracking responses.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TrackActivity {
    /// When (IST).
    #[serde(default, deserialize_with = "de_opt_ist")]
    pub date: Option<OffsetDateTime>,
    /// The courier's raw scan code ("OFD", "X-PPOM").
    #[serde(default, deserialize_with = "de_opt_string")]
    pub status: Option<String>,
    /// Free text.
    #[serde(default, deserialize_with = "de_string")]
    pub activity: String,
    /// Where.
    #[serde(default, deserialize_with = "de_opt_string")]
    pub location: Option<String>,
    /// Shiprocket shipment status of the scan (`None` for "NA").
    #[serde(
        default,
        rename = "sr-status",
        deserialize_with = "de_opt_shipment_status"
    )]
    pub sr_status: Option<ShipmentStatus>,
    /// Its label ("DELIVERED").
    #[serde(
        default,
        rename = "sr-status-label",
        deserialize_with = "de_opt_string"
    )]
    pub sr_status_label: Option<String>,
}

/// Per-shipment summary in a tracking response.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ShipmentTrack {
    /// AWB.
    #[serde(default, deserialize_with = "de_string")]
    pub awb_code: String,
    /// Courier id.
    #[serde(default, deserialize_with = "de_opt_i64")]
    pub courier_company_id: Option<i64>,
    /// Courier name.
    #[serde(default, deserialize_with = "de_opt_string")]
    pub courier_name: Option<String>,
    /// Shiprocket shipment id.
    #[serde(default, deserialize_with = "de_opt_i64")]
    pub shipment_id: Option<i64>,
    /// Shiprocket order id.
    #[serde(default, deserialize_with = "de_opt_i64")]
    pub order_id: Option<i64>,
    /// Picked up at (IST).
    #[serde(default, deserialize_with = "de_opt_ist")]
    pub pickup_date: Option<OffsetDateTime>,
    /// Delivered at (IST).
    #[serde(default, deserialize_with = "de_opt_ist")]
    pub delivered_date: Option<OffsetDateTime>,
    /// kg.
    #[serde(default, deserialize_with = "de_opt_f64")]
    pub weight: Option<f64>,
    /// Status text ("Delivered").
    #[serde(default, deserialize_with = "de_string")]
    pub current_status: String,
    /// Origin city.
    #[serde(default, deserialize_with = "de_opt_string")]
    pub origin: Option<String>,
    /// Destination city.
    #[serde(default, deserialize_with = "de_opt_string")]
    pub destination: Option<String>,
    /// Expected delivery (IST).
    #[serde(default, deserialize_with = "de_opt_ist")]
    pub edd: Option<OffsetDateTime>,
    /// Proof of delivery availability text.
    #[serde(default, deserialize_with = "de_opt_string")]
    pub pod: Option<String>,
}

/// The `tracking_data` of one AWB or shipment.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Tracking {
    /// False while the courier has reported no scans yet.
    #[serde(default, deserialize_with = "de_bool")]
    pub track_status: bool,
    /// Shiprocket's "no activities found" text when `track_status` is false.
    #[serde(default, rename = "error", deserialize_with = "de_opt_string")]
    pub no_activity: Option<String>,
    /// Current shipment status.
    #[serde(default, deserialize_with = "de_opt_shipment_status")]
    pub shipment_status: Option<ShipmentStatus>,
    /// Per-shipment summaries.
    #[serde(default, rename = "shipment_track")]
    pub shipments: Vec<ShipmentTrack>,
    /// Scans, newest first.
    #[serde(default, rename = "shipment_track_activities")]
    pub activities: Vec<TrackActivity>,
    /// Public tracking page (double slashes normalised).
    #[serde(default, deserialize_with = "de_track_url")]
    pub track_url: Option<String>,
    /// Estimated delivery (IST).
    #[serde(default, deserialize_with = "de_opt_ist")]
    pub etd: Option<OffsetDateTime>,
}

fn de_track_url<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(de_opt_string(d)?.map(|u| normalise_url(&u)))
}

/// Collapses `//` after the scheme: `https://shiprocket.co//tracking/1` → `https://shiprocket.co/tracking/1`.
fn normalise_url(u: &str) -> String {
    match u.split_once("://") {
        Some((scheme, rest)) => {
            let mut path = rest.to_owned();
            while path.contains("//") {
                path = path.replace("//", "/");
            }
            format!("{scheme}://{path}")
        }
        None => u.to_owned(),
    }
}

/// A webhook scan (same shape as a tracking activity).
pub type WebhookScan = TrackActivity;

/// The tracking webhook body Shiprocket POSTs to us (reference §11). Key logic on
/// `shipment_status_id` (shipment table); `current_status_id` is in the ORDER table.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TrackingWebhook {
    /// AWB (the reliable key).
    #[serde(default, deserialize_with = "de_string")]
    pub awb: String,
    /// Courier name.
    #[serde(default, deserialize_with = "de_opt_string")]
    pub courier_name: Option<String>,
    /// Status text, e.g. "IN TRANSIT".
    #[serde(default, deserialize_with = "de_string")]
    pub current_status: String,
    /// Order-table code (e.g. 20 In Transit).
    #[serde(default, deserialize_with = "de_opt_order_status")]
    pub current_status_id: Option<OrderStatus>,
    /// Shipment status text.
    #[serde(default, deserialize_with = "de_string")]
    pub shipment_status: String,
    /// Shipment-table code (e.g. 18 In Transit).
    #[serde(default, deserialize_with = "de_opt_shipment_status")]
    pub shipment_status_id: Option<ShipmentStatus>,
    /// Event time ("DD MM YYYY HH:MM:SS", IST).
    #[serde(default, deserialize_with = "de_opt_ist")]
    pub current_timestamp: Option<OffsetDateTime>,
    /// Channel order id, possibly with a suffix ("1373900_150876814").
    #[serde(default, deserialize_with = "de_opt_string")]
    pub order_id: Option<String>,
    /// Shiprocket order id.
    #[serde(default, deserialize_with = "de_opt_i64")]
    pub sr_order_id: Option<i64>,
    /// When the AWB was assigned.
    #[serde(default, deserialize_with = "de_opt_ist")]
    pub awb_assigned_date: Option<OffsetDateTime>,
    /// Pickup slot.
    #[serde(default, deserialize_with = "de_opt_ist")]
    pub pickup_scheduled_date: Option<OffsetDateTime>,
    /// Expected delivery.
    #[serde(default, deserialize_with = "de_opt_ist")]
    pub etd: Option<OffsetDateTime>,
    /// Scans, oldest first in the sample.
    #[serde(default)]
    pub scans: Vec<WebhookScan>,
    /// A return shipment.
    #[serde(default, deserialize_with = "de_bool")]
    pub is_return: bool,
    /// Channel id.
    #[serde(default, deserialize_with = "de_opt_i64")]
    pub channel_id: Option<i64>,
    /// POD text ("OTP Based Delivery").
    #[serde(default, deserialize_with = "de_opt_string")]
    pub pod_status: Option<String>,
    /// POD availability.
    #[serde(default, deserialize_with = "de_opt_string")]
    pub pod: Option<String>,
}

/// Parses a webhook body. Fails with `Error::Undecodable` (masked excerpt) when it is not JSON or has no AWB.
pub fn parse_webhook(body: &[u8]) -> Result<TrackingWebhook, Error> {
    let undecodable = |detail: String| Error::Undecodable {
        status: 200,
        excerpt: masked_excerpt(&String::from_utf8_lossy(body)),
        detail,
    };
    let hook: TrackingWebhook =
        serde_json::from_slice(body).map_err(|e| undecodable(e.to_string()))?;
    if hook.awb.is_empty() {
        return Err(undecodable("webhook has no awb".to_owned()));
    }
    Ok(hook)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracking_urls_lose_their_double_slash() {
        assert_eq!(
            normalise_url("https://shiprocket.co//tracking/1"),
            "https://shiprocket.co/tracking/1"
        );
        assert_eq!(
            normalise_url("https://app.shiprocket.in/tracking/awb/7"),
            "https://app.shiprocket.in/tracking/awb/7"
        );
    }

    #[test]
    fn a_webhook_without_an_awb_is_refused() {
        assert!(parse_webhook(br#"{"current_status":"DELIVERED"}"#).is_err());
        assert!(parse_webhook(b"not json 9876543210").is_err());
    }

    #[test]
    fn a_loose_webhook_still_parses() {
        let h = parse_webhook(br#"{"awb":12345678,"shipment_status_id":"7","sr_order_id":"99","is_return":"0","scans":[]}"#).unwrap();
        assert_eq!(h.awb, "12345678");
        assert_eq!(h.shipment_status_id, Some(ShipmentStatus::Delivered));
        assert_eq!(h.sr_order_id, Some(99));
    }
}
