//! Account-level reads: pickup locations (`settings/company/pickup`) and one shipment (`shipments/{id}`).

use serde::{Deserialize, Deserializer};
use serde_json::Value;
use time::OffsetDateTime;

use crate::dates::de_opt_ist;
use crate::flex::{de_bool, de_i64, de_opt_f64, de_opt_i64, de_opt_string, de_string};
use crate::status::ShipmentStatus;

/// A registered pickup address; `pickup_location` is the nickname orders must use exactly.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PickupLocation {
    /// Shiprocket id.
    #[serde(default, deserialize_with = "de_i64")]
    pub id: i64,
    /// The nickname (case- and whitespace-sensitive).
    #[serde(default, deserialize_with = "de_string")]
    pub pickup_location: String,
    /// Contact name.
    #[serde(default, deserialize_with = "de_opt_string")]
    pub name: Option<String>,
    /// Contact e-mail.
    #[serde(default, deserialize_with = "de_opt_string")]
    pub email: Option<String>,
    /// Contact phone.
    #[serde(default, deserialize_with = "de_opt_string")]
    pub phone: Option<String>,
    /// Address line 1.
    #[serde(default, deserialize_with = "de_opt_string")]
    pub address: Option<String>,
    /// Address line 2.
    #[serde(default, deserialize_with = "de_opt_string")]
    pub address_2: Option<String>,
    /// City.
    #[serde(default, deserialize_with = "de_opt_string")]
    pub city: Option<String>,
    /// State.
    #[serde(default, deserialize_with = "de_opt_string")]
    pub state: Option<String>,
    /// Country.
    #[serde(default, deserialize_with = "de_opt_string")]
    pub country: Option<String>,
    /// PIN.
    #[serde(default, deserialize_with = "de_opt_string")]
    pub pin_code: Option<String>,
    /// Address status (1/2 seen; meaning undocumented).
    #[serde(default, deserialize_with = "de_opt_i64")]
    pub status: Option<i64>,
    /// Phone verified by OTP.
    #[serde(default, deserialize_with = "de_bool")]
    pub phone_verified: bool,
    /// The account's primary location.
    #[serde(default, deserialize_with = "de_bool")]
    pub is_primary_location: bool,
}

/// `data` of the pickup list.
#[derive(Debug, Deserialize)]
pub(crate) struct PickupLocationsData {
    #[serde(default)]
    pub(crate) shipping_address: Vec<PickupLocation>,
}

fn de_opt_status<'de, D: Deserializer<'de>>(d: D) -> Result<Option<ShipmentStatus>, D::Error> {
    Ok(ShipmentStatus::from_value(&Value::deserialize(d)?))
}

/// One shipment read back (`GET shipments/{id}`): lets the saga find an AWB that was already assigned.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ShipmentDetails {
    /// Shipment id.
    #[serde(default, deserialize_with = "de_i64")]
    pub id: i64,
    /// Shiprocket order id.
    #[serde(default, deserialize_with = "de_opt_i64")]
    pub order_id: Option<i64>,
    /// The AWB, when assigned (`""` becomes `None`).
    #[serde(default, deserialize_with = "de_opt_string")]
    pub awb: Option<String>,
    /// Courier name, when assigned.
    #[serde(default, deserialize_with = "de_opt_string")]
    pub courier: Option<String>,
    /// Courier id, when assigned.
    #[serde(default, rename = "sr_courier_id", deserialize_with = "de_opt_i64")]
    pub courier_company_id: Option<i64>,
    /// Shipment status (shipment table).
    #[serde(default, deserialize_with = "de_opt_status")]
    pub status: Option<ShipmentStatus>,
    /// When the AWB was assigned.
    #[serde(default, deserialize_with = "de_opt_ist")]
    pub awb_assign_date: Option<OffsetDateTime>,
    /// When the pickup was requested.
    #[serde(default, deserialize_with = "de_opt_ist")]
    pub pickup_generated_date: Option<OffsetDateTime>,
    /// Courier pickup reference.
    #[serde(default, deserialize_with = "de_opt_string")]
    pub pickup_token_number: Option<String>,
    /// kg.
    #[serde(default, deserialize_with = "de_opt_f64")]
    pub weight: Option<f64>,
    /// Rupees.
    #[serde(default, deserialize_with = "de_opt_f64")]
    pub total: Option<f64>,
    /// Label PDF.
    #[serde(default, deserialize_with = "de_opt_string")]
    pub label_url: Option<String>,
    /// Manifest PDF.
    #[serde(default, deserialize_with = "de_opt_string")]
    pub manifest_url: Option<String>,
    /// Shipped at.
    #[serde(default, deserialize_with = "de_opt_ist")]
    pub shipped_date: Option<OffsetDateTime>,
    /// Delivered at.
    #[serde(default, deserialize_with = "de_opt_ist")]
    pub delivered_date: Option<OffsetDateTime>,
    /// Created at.
    #[serde(default, deserialize_with = "de_opt_ist")]
    pub created_at: Option<OffsetDateTime>,
}
