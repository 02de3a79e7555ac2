//! Orders: recording a placed order exactly once, and the read side (list with filters and keyset
//! pagination, one order with items, addresses and status history).

mod list;
mod place;
mod place_sqlite;
pub(crate) use place::{insert_items, insert_order_row};
pub(crate) use place_sqlite::IntakeWriter;
mod read;

pub use list::{
    Cursor, ListQuery, OrderPage, Search, View, count_all, count_by_status, count_ping, list,
};
pub use place::{IntakeOutcome, PlacedMeta, place};
pub use read::{get, get_summary_by_id};

use orderly_domain::OrderStatus;
use orderly_domain::order::PaymentMethod;
use serde::Serialize;
use time::OffsetDateTime;
use utoipa::ToSchema;

/// The columns every summary read selects, in [`read::summary_from_row`]'s order.
pub(crate) const SUMMARY_COLUMNS: &str = "id, order_number, placed_at, status, version, customer_name, \
    email, phone, total_paise, payment_method, payment_status, address_suspect, shipment_failed, \
    pickup_error, ndr, awb, courier_name, tracking_url, seen_at";

/// One row of the order list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct OrderSummary {
    /// Internal id (not part of the public contract; used for cursors).
    #[serde(skip)]
    pub id: i64,
    /// The checkout's order number.
    pub order_number: String,
    /// When checkout placed it (UTC).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub placed_at: OffsetDateTime,
    /// `placed`, `processing`, `shipped`, `delivered`, `cancelled` or `returned`.
    #[schema(value_type = String)]
    pub status: OrderStatus,
    /// Optimistic-concurrency version: send it back as `expected_version` on writes.
    pub version: i64,
    /// Customer's name.
    pub customer_name: String,
    /// Customer's email (lower case).
    pub email: String,
    /// Customer's mobile, 10 digits.
    pub phone: String,
    /// Order total in paise.
    pub total_paise: i64,
    /// `prepaid` or `cod`.
    #[schema(value_type = String)]
    pub payment_method: PaymentMethod,
    /// `paid`, `pending`, `failed` or `refunded`.
    pub payment_status: String,
    /// Flags an ops person filters on, each with its reason.
    pub flags: Flags,
    /// The current AWB, once shipped.
    pub awb: Option<String>,
    /// The courier, once shipped.
    pub courier_name: Option<String>,
    /// The carrier tracking link, once shipped.
    pub tracking_url: Option<String>,
    /// False until someone opens the order (new orders are highlighted).
    pub seen: bool,
}

/// Orthogonal flags; each is `None` or the reason it is raised.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Flags {
    /// The PIN is unknown or its state differs from the address.
    pub address_suspect: Option<String>,
    /// The last shipment attempt failed, with a reason a person can act on.
    pub shipment_failed: Option<String>,
    /// Pickup could not be scheduled.
    pub pickup_error: Option<String>,
    /// Delivery failed; action needed.
    pub ndr: Option<String>,
}

/// A postal address as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
pub struct AddressView {
    /// Recipient.
    pub name: String,
    /// First line.
    pub line1: String,
    /// Second line.
    pub line2: Option<String>,
    /// City.
    pub city: String,
    /// State.
    pub state: String,
    /// 6-digit PIN code.
    pub pincode: String,
    /// ISO country code (`IN`).
    pub country: String,
}

impl From<&orderly_domain::order::Address> for AddressView {
    fn from(a: &orderly_domain::order::Address) -> Self {
        AddressView {
            name: a.name.clone(),
            line1: a.line1.clone(),
            line2: a.line2.clone(),
            city: a.city.clone(),
            state: a.state.clone(),
            pincode: a.pincode.as_str().to_string(),
            country: a.country.clone(),
        }
    }
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ItemView {
    /// Stock keeping unit.
    pub sku: String,
    /// Product name.
    pub name: String,
    /// Units ordered.
    pub units: i64,
    /// Price of one unit before tax, in paise.
    pub unit_price_paise: i64,
    /// GST rate in basis points (1800 = 18 %).
    pub tax_rate_bps: i64,
    /// Tax on the line, in paise.
    pub tax_paise: i64,
    /// HSN code, when given.
    pub hsn_code: Option<String>,
}

/// One status transition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct HistoryView {
    /// Status before (none for the first entry).
    pub from: Option<String>,
    /// Status after.
    pub to: String,
    /// Who made the change.
    pub actor: String,
    /// Why, when given.
    pub reason: Option<String>,
    /// When (UTC).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
}

/// Package as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct PackageView {
    /// Weight in grams.
    pub weight_g: Option<i64>,
    /// Length in millimetres.
    pub length_mm: Option<i64>,
    /// Breadth in millimetres.
    pub breadth_mm: Option<i64>,
    /// Height in millimetres.
    pub height_mm: Option<i64>,
}

/// A whole order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct OrderDetail {
    /// The list-row fields.
    #[serde(flatten)]
    pub summary: OrderSummary,
    /// The checkout's customer id, when sent.
    pub customer_ref: Option<String>,
    /// Where it ships.
    pub shipping_address: AddressView,
    /// Billing address; `None` means same as shipping.
    pub billing_address: Option<AddressView>,
    /// Lines.
    pub items: Vec<ItemView>,
    /// Sum of units × unit price, in paise.
    pub items_subtotal_paise: i64,
    /// Sum of line taxes, in paise.
    pub tax_paise: i64,
    /// Shipping charged to the customer, in paise.
    pub shipping_paise: i64,
    /// Discount, in paise.
    pub discount_paise: i64,
    /// Package weight and dimensions.
    pub package: PackageView,
    /// When Orderly received it (UTC).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub received_at: OffsetDateTime,
    /// Every status transition, oldest first.
    pub history: Vec<HistoryView>,
}
