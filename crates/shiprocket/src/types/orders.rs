//! Order requests and responses: `orders/create/adhoc`, `orders/address/update`.

use serde::{Deserialize, Serialize};

use crate::flex::{de_bool, de_i64, de_opt_i64, de_opt_string, de_string};
use crate::status::OrderStatus;

/// `"Prepaid"` or `"COD"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum PaymentMethod {
    /// Paid online before shipping.
    #[default]
    Prepaid,
    /// Cash on delivery.
    #[serde(rename = "COD")]
    Cod,
}

/// One line of `order_items`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct OrderItem {
    /// Product name.
    pub name: String,
    /// SKU; must be unique within the order.
    pub sku: String,
    /// Quantity.
    pub units: u32,
    /// Per-unit price in rupees.
    pub selling_price: f64,
    /// Per-unit discount in rupees.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discount: Option<f64>,
    /// Tax percent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tax: Option<f64>,
    /// HSN code (digits only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hsn: Option<String>,
}

/// The body of `POST orders/create/adhoc`, with Shiprocket's field names.
///
/// `order_id` is OUR channel order id (max 50 chars). Shiprocket returns the existing order for a
/// repeated id (even a cancelled one), which is what makes retrying this call safe.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CreateOrderRequest {
    /// Our channel order id.
    pub order_id: String,
    /// `"YYYY-MM-DD HH:MM"` (IST).
    pub order_date: String,
    /// Exact nickname of an existing pickup location.
    pub pickup_location: String,
    /// Channel id; omitted = the "Custom" channel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<i64>,
    /// Free comment ("Reseller: name" prints a From line on the label).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Vendor name on the label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reseller_name: Option<String>,
    /// Company name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company_name: Option<String>,
    /// Buyer first name.
    pub billing_customer_name: String,
    /// Buyer last name.
    pub billing_last_name: String,
    /// Address line 1.
    pub billing_address: String,
    /// Address line 2.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billing_address_2: Option<String>,
    /// e.g. "+91".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billing_isd_code: Option<String>,
    /// City (max 30 chars).
    pub billing_city: String,
    /// 6-digit PIN.
    pub billing_pincode: String,
    /// State (mandatory).
    pub billing_state: String,
    /// Country name, e.g. "India".
    pub billing_country: String,
    /// Buyer e-mail (must not be empty).
    pub billing_email: String,
    /// 10-digit phone.
    pub billing_phone: String,
    /// Alternate phone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billing_alternate_phone: Option<String>,
    /// When false, the `shipping_*` fields are required.
    pub shipping_is_billing: bool,
    /// Consignee first name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipping_customer_name: Option<String>,
    /// Consignee last name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipping_last_name: Option<String>,
    /// Shipping address line 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipping_address: Option<String>,
    /// Shipping address line 2.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipping_address_2: Option<String>,
    /// Shipping city.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipping_city: Option<String>,
    /// Shipping PIN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipping_pincode: Option<String>,
    /// Shipping country.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipping_country: Option<String>,
    /// Shipping state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipping_state: Option<String>,
    /// Shipping e-mail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipping_email: Option<String>,
    /// Shipping phone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipping_phone: Option<String>,
    /// The items.
    pub order_items: Vec<OrderItem>,
    /// Prepaid or COD.
    pub payment_method: PaymentMethod,
    /// Rupees.
    pub shipping_charges: f64,
    /// Rupees.
    pub giftwrap_charges: f64,
    /// Rupees.
    pub transaction_charges: f64,
    /// Rupees.
    pub total_discount: f64,
    /// Rupees; Shiprocket never computes it.
    pub sub_total: f64,
    /// cm (> 0.5).
    pub length: f64,
    /// cm (> 0.5).
    pub breadth: f64,
    /// cm (> 0.5).
    pub height: f64,
    /// kg (> 0), total for the order.
    pub weight: f64,
    /// E-way bill number (needed above ₹50,000).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ewaybill_no: Option<String>,
    /// Buyer GSTIN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_gstin: Option<String>,
    /// Our invoice number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoice_number: Option<String>,
    /// "ESSENTIALS" / "NON ESSENTIALS".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_type: Option<String>,
    /// 1 for documents.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_document: Option<u8>,
    /// 1 to insure the shipment (the only switch that works).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_insurance_opt: Option<u8>,
}

/// The answer of `orders/create/adhoc` (also for a repeated `order_id`: the existing order).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CreateOrderResponse {
    /// Shiprocket's order id (not our channel id).
    #[serde(default, deserialize_with = "de_i64")]
    pub order_id: i64,
    /// Shiprocket's shipment id (0 if the body had none).
    #[serde(default, deserialize_with = "de_i64")]
    pub shipment_id: i64,
    /// Upper-case status text, e.g. "NEW", "CANCELED".
    #[serde(default, deserialize_with = "de_string")]
    pub status: String,
    /// Order status code (order table).
    #[serde(default, deserialize_with = "de_opt_order_status")]
    pub status_code: Option<OrderStatus>,
    /// Present when the order already had an AWB.
    #[serde(default, deserialize_with = "de_opt_string")]
    pub awb_code: Option<String>,
    /// Courier of that AWB.
    #[serde(default, deserialize_with = "de_opt_i64")]
    pub courier_company_id: Option<i64>,
    /// Courier name of that AWB.
    #[serde(default, deserialize_with = "de_opt_string")]
    pub courier_name: Option<String>,
    /// 0/1 flag Shiprocket adds; not used.
    #[serde(default, deserialize_with = "de_bool")]
    pub onboarding_completed_now: bool,
}

impl CreateOrderResponse {
    /// True when Shiprocket returned an existing, cancelled order for our `order_id`; the caller
    /// must retry with a new channel order id (e.g. with a `-2` suffix).
    pub fn is_cancelled(&self) -> bool {
        self.status_code == Some(OrderStatus::Canceled)
            || self.status.to_ascii_lowercase().starts_with("cancel")
    }
}

fn de_opt_order_status<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<OrderStatus>, D::Error> {
    Ok(OrderStatus::from_value(&serde_json::Value::deserialize(d)?))
}

/// The body of `POST orders/address/update` (only before pickup).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct UpdateAddressRequest {
    /// Shiprocket order id.
    pub order_id: i64,
    /// Consignee name.
    pub shipping_customer_name: String,
    /// 10-digit phone.
    pub shipping_phone: String,
    /// Address line 1.
    pub shipping_address: String,
    /// Address line 2.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipping_address_2: Option<String>,
    /// City.
    pub shipping_city: String,
    /// State.
    pub shipping_state: String,
    /// Country name.
    pub shipping_country: String,
    /// 6-digit PIN.
    pub shipping_pincode: String,
    /// E-mail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipping_email: Option<String>,
    /// Alternate phone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billing_alternate_phone: Option<String>,
}
