//! The order as checkout placed it: [`NewOrder`] and its parts, valid by construction.

use crate::contact::{Email, Phone, Pincode};
use crate::money::Money;
use serde::{Deserialize, Serialize};
use std::fmt;
use time::OffsetDateTime;

mod hash;

/// Longest order number accepted.
pub const ORDER_NUMBER_MAX_LEN: usize = 50;

/// The checkout's order id: 1..=50 characters of `A-Z a-z 0-9 - _ / # .`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct OrderNumber(String);

impl OrderNumber {
    /// Parses an order number (surrounding whitespace is trimmed).
    ///
    /// # Errors
    /// A message saying what is wrong.
    pub fn parse(raw: &str) -> Result<OrderNumber, String> {
        let s = raw.trim();
        if s.is_empty() {
            return Err("order number is empty".into());
        }
        if s.len() > ORDER_NUMBER_MAX_LEN {
            return Err(format!(
                "order number is longer than {ORDER_NUMBER_MAX_LEN} characters"
            ));
        }
        if !s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_/#.".contains(&b))
        {
            return Err("order number may contain only letters, digits and - _ / # .".into());
        }
        Ok(OrderNumber(s.to_owned()))
    }

    /// The order number as given.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrderNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for OrderNumber {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        OrderNumber::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A postal address in India.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    /// The recipient's name.
    pub name: String,
    /// First address line (house, street).
    pub line1: String,
    /// Optional second line (area, landmark).
    pub line2: Option<String>,
    /// City or town.
    pub city: String,
    /// State or union territory, as the customer wrote it.
    pub state: String,
    /// PIN code.
    pub pincode: Pincode,
    /// ISO country code; always `"IN"`.
    pub country: String,
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Address")
            .field("name", &"<redacted>")
            .field("line1", &"<redacted>")
            .field("line2", &self.line2.as_ref().map(|_| "<redacted>"))
            .field("city", &self.city)
            .field("state", &self.state)
            .field("pincode", &self.pincode)
            .field("country", &self.country)
            .finish()
    }
}

/// The person who placed the order.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    /// The checkout's own customer id, when it sends one.
    pub id: Option<String>,
    /// Full name.
    pub name: String,
    /// Email address.
    pub email: Email,
    /// Mobile number.
    pub phone: Phone,
}

impl fmt::Debug for Customer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Customer")
            .field("id", &self.id)
            .field("name", &"<redacted>")
            .field("email", &self.email)
            .field("phone", &self.phone)
            .finish()
    }
}

/// One line of an order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderItem {
    /// Stock-keeping unit, unique within the order.
    pub sku: String,
    /// Product name as shown to the customer.
    pub name: String,
    /// How many units (at least 1).
    pub units: u32,
    /// Price of one unit before tax.
    pub unit_price: Money,
    /// GST rate in basis points (18 % = 1800).
    pub tax_rate_bps: u32,
    /// HSN code for GST, when known.
    pub hsn_code: Option<String>,
}

impl OrderItem {
    /// `unit_price × units` before tax (saturating; intake bounds make overflow impossible).
    #[must_use]
    pub fn line_subtotal(&self) -> Money {
        Money::from_paise(clamp_i64(
            i128::from(self.unit_price.paise()) * i128::from(self.units),
        ))
    }

    /// GST on the line: `unit_price × units × tax_rate_bps / 10000`, rounded half up to a whole
    /// paisa. Computed in `i128`, so no intermediate product can overflow; the result saturates.
    #[must_use]
    pub fn line_tax(&self) -> Money {
        let gross = i128::from(self.unit_price.paise())
            * i128::from(self.units)
            * i128::from(self.tax_rate_bps);
        Money::from_paise(clamp_i64((gross + 5_000).div_euclid(10_000)))
    }
}

fn clamp_i64(v: i128) -> i64 {
    i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX })
}

/// How the customer pays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PaymentMethod {
    /// Paid online at checkout.
    Prepaid,
    /// Cash on delivery.
    Cod,
}

impl PaymentMethod {
    /// `"prepaid"` or `"cod"`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentMethod::Prepaid => "prepaid",
            PaymentMethod::Cod => "cod",
        }
    }

    /// Parses `"prepaid"` or `"cod"` (case-insensitive).
    ///
    /// # Errors
    /// A message listing the accepted values.
    pub fn parse(raw: &str) -> Result<PaymentMethod, String> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "prepaid" => Ok(PaymentMethod::Prepaid),
            "cod" => Ok(PaymentMethod::Cod),
            _ => Err("payment method must be \"prepaid\" or \"cod\"".into()),
        }
    }
}

/// Where the payment stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PaymentStatus {
    /// Money received.
    Paid,
    /// Not yet collected (normal for COD).
    Pending,
    /// The payment failed.
    Failed,
    /// The money was returned.
    Refunded,
}

impl PaymentStatus {
    /// `"paid"`, `"pending"`, `"failed"` or `"refunded"`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Paid => "paid",
            PaymentStatus::Pending => "pending",
            PaymentStatus::Failed => "failed",
            PaymentStatus::Refunded => "refunded",
        }
    }

    /// Parses a payment status (case-insensitive).
    ///
    /// # Errors
    /// A message listing the accepted values.
    pub fn parse(raw: &str) -> Result<PaymentStatus, String> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "paid" => Ok(PaymentStatus::Paid),
            "pending" => Ok(PaymentStatus::Pending),
            "failed" => Ok(PaymentStatus::Failed),
            "refunded" => Ok(PaymentStatus::Refunded),
            _ => Err(
                "payment status must be one of \"paid\", \"pending\", \"failed\", \"refunded\""
                    .into(),
            ),
        }
    }
}

/// The parcel's weight (grams) and dimensions (millimetres), when checkout knows them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Package {
    /// Weight in grams.
    pub weight_g: Option<u32>,
    /// Length in millimetres.
    pub length_mm: Option<u32>,
    /// Breadth in millimetres.
    pub breadth_mm: Option<u32>,
    /// Height in millimetres.
    pub height_mm: Option<u32>,
}

/// An order as placed at checkout, before Orderly has done anything with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewOrder {
    /// The checkout's order id.
    pub order_number: OrderNumber,
    /// When the customer placed it (UTC).
    #[serde(with = "time::serde::rfc3339")]
    pub placed_at: OffsetDateTime,
    /// Who placed it.
    pub customer: Customer,
    /// Where it goes.
    pub shipping_address: Address,
    /// Billing address; `None` means the same as shipping.
    pub billing_address: Option<Address>,
    /// The lines, non-empty, SKUs unique.
    pub items: Vec<OrderItem>,
    /// Shipping charged to the customer.
    pub shipping_charges: Money,
    /// Total discount.
    pub discount: Money,
    /// What the customer pays: items + tax + shipping − discount.
    pub total: Money,
    /// Prepaid or cash on delivery.
    pub payment_method: PaymentMethod,
    /// Payment status at placement.
    pub payment_status: PaymentStatus,
    /// Parcel weight and size, when known.
    pub package: Option<Package>,
}

impl NewOrder {
    /// Sum of the lines' subtotals before tax.
    #[must_use]
    pub fn items_subtotal(&self) -> Money {
        self.items
            .iter()
            .fold(Money::ZERO, |acc, i| acc.saturating_add(i.line_subtotal()))
    }

    /// Sum of the lines' GST.
    #[must_use]
    pub fn tax_total(&self) -> Money {
        self.items
            .iter()
            .fold(Money::ZERO, |acc, i| acc.saturating_add(i.line_tax()))
    }

    /// What the total should be: items + tax + shipping − discount (saturating).
    #[must_use]
    pub fn expected_total(&self) -> Money {
        let gross = self
            .items_subtotal()
            .saturating_add(self.tax_total())
            .saturating_add(self.shipping_charges);
        Money::from_paise(gross.paise().saturating_sub(self.discount.paise()))
    }

    /// The billing address, falling back to the shipping address.
    #[must_use]
    pub fn effective_billing_address(&self) -> &Address {
        self.billing_address
            .as_ref()
            .unwrap_or(&self.shipping_address)
    }

    /// Lowercase hex SHA-256 of a canonical, versioned serialisation of every field (see
    /// `order/hash.rs`). Equal orders hash equal; the form does not depend on serde settings.
    #[must_use]
    pub fn content_hash(&self) -> String {
        hash::content_hash(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(price: i64, units: u32, bps: u32) -> OrderItem {
        OrderItem {
            sku: "S".into(),
            name: "N".into(),
            units,
            unit_price: Money::from_paise(price),
            tax_rate_bps: bps,
            hsn_code: None,
        }
    }

    #[test]
    fn line_tax_rounds_half_up_to_the_paisa() {
        assert_eq!(item(49_900, 2, 1200).line_tax().paise(), 11_976);
        // 1 paisa × 50 % = 0.5 paise → 1
        assert_eq!(item(1, 1, 5000).line_tax().paise(), 1);
        // 1 paisa × 49.99 % = 0.4999 → 0
        assert_eq!(item(1, 1, 4999).line_tax().paise(), 0);
        assert_eq!(item(333, 3, 1800).line_tax().paise(), 180); // 179.82 → 180
        assert_eq!(item(100, 1, 0).line_tax().paise(), 0);
    }

    #[test]
    fn line_arithmetic_saturates_instead_of_overflowing() {
        let huge = item(i64::MAX, 10_000, 2800);
        assert_eq!(huge.line_subtotal().paise(), i64::MAX);
        assert_eq!(huge.line_tax().paise(), i64::MAX);
    }

    #[test]
    fn order_numbers_allow_only_a_safe_alphabet() {
        assert_eq!(
            OrderNumber::parse(" ORD-1000234 ").unwrap().as_str(),
            "ORD-1000234"
        );
        assert!(OrderNumber::parse("#1001/a_b.c").is_ok());
        for bad in ["", "ORD 1", "ORD<1>", "ऑर्डर", &"x".repeat(51)] {
            assert!(OrderNumber::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn payment_enums_parse_their_own_names() {
        for m in [PaymentMethod::Prepaid, PaymentMethod::Cod] {
            assert_eq!(PaymentMethod::parse(m.as_str()), Ok(m));
        }
        for s in [
            PaymentStatus::Paid,
            PaymentStatus::Pending,
            PaymentStatus::Failed,
            PaymentStatus::Refunded,
        ] {
            assert_eq!(PaymentStatus::parse(s.as_str()), Ok(s));
        }
        assert!(PaymentMethod::parse("upi").is_err());
        assert_eq!(
            serde_json::to_string(&PaymentMethod::Cod).unwrap(),
            "\"cod\""
        );
    }
}
