//! Reads the `data` object of an `OrderPlaced` event into a [`NewOrder`], reporting every error.

use super::walk::{Walker, describe, join};
use crate::contact::{Email, Phone, Pincode};
use crate::money::Money;
use crate::order::{
    Address, Customer, NewOrder, OrderItem, OrderNumber, Package, PaymentMethod, PaymentStatus,
};
use serde_json::{Map, Value};
use std::collections::HashMap;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Longest person name or address line.
pub const NAME_MAX: usize = 200;
/// Longest city or state.
pub const CITY_MAX: usize = 100;
/// Longest SKU.
pub const SKU_MAX: usize = 64;
/// Longest customer id.
pub const CUSTOMER_ID_MAX: usize = 128;
/// Most units on one line.
pub const UNITS_MAX: u64 = 10_000;
/// Most lines in one order.
pub const ITEMS_MAX: usize = 500;
/// Highest GST rate accepted, in basis points (28 %).
pub const TAX_BPS_MAX: u32 = 2_800;

/// Parses an RFC 3339 time and converts it to UTC.
pub(super) fn rfc3339(w: &mut Walker, v: &Value, ptr: &str) -> Option<OffsetDateTime> {
    let Value::String(s) = v else {
        w.err(
            ptr,
            format!("expected an RFC 3339 time string, got {}", describe(v)),
        );
        return None;
    };
    match OffsetDateTime::parse(s.trim(), &Rfc3339) {
        Ok(t) => Some(t.to_offset(time::UtcOffset::UTC)),
        Err(_) => {
            w.err(ptr, "expected an RFC 3339 time like 2026-11-25T04:44:58Z");
            None
        }
    }
}

/// Reads `data` (at pointer `base`) into an order.
pub(super) fn new_order(w: &mut Walker, data: &Map<String, Value>, base: &str) -> Option<NewOrder> {
    let order_number = w.parsed(data, base, "order_number", OrderNumber::parse);
    let placed_at = w
        .required(data, base, "placed_at")
        .and_then(|v| rfc3339(w, v, &join(base, "placed_at")));
    let customer = customer(w, data, base);
    let shipping_address = w
        .required(data, base, "shipping_address")
        .and_then(|v| address(w, v, &join(base, "shipping_address")));
    let billing_address = match data.get("billing_address") {
        None | Some(Value::Null) => Some(None),
        Some(v) => address(w, v, &join(base, "billing_address")).map(Some),
    };
    let items = items(w, data, base);
    let shipping_charges = w.paise(data, base, "shipping_paise");
    let discount = w.paise(data, base, "discount_paise");
    let total = w.paise(data, base, "total_paise");
    let payment = payment(w, data, base);
    let package = match data.get("package") {
        None | Some(Value::Null) => Some(None),
        Some(v) => package(w, v, &join(base, "package")).map(Some),
    };
    let order = NewOrder {
        order_number: order_number?,
        placed_at: placed_at?,
        customer: customer?,
        shipping_address: shipping_address?,
        billing_address: billing_address?,
        items: items?,
        shipping_charges: shipping_charges?,
        discount: discount?,
        total: total?,
        payment_method: payment?.0,
        payment_status: payment?.1,
        package: package?,
    };
    check_total(w, &order, &join(base, "total_paise"));
    Some(order)
}

fn customer(w: &mut Walker, data: &Map<String, Value>, base: &str) -> Option<Customer> {
    let ptr = join(base, "customer");
    let obj = w.required(data, base, "customer")?;
    let obj = w.object(obj, &ptr)?;
    let id = match obj.get("id") {
        Some(Value::Number(n)) if n.is_u64() => Some(Some(n.to_string())),
        _ => w.opt_text(obj, &ptr, "id", CUSTOMER_ID_MAX),
    };
    let name = w.req_text(obj, &ptr, "name", NAME_MAX);
    let email = w.parsed(obj, &ptr, "email", Email::parse);
    let phone = w.parsed_digits(obj, &ptr, "phone", Phone::parse);
    Some(Customer {
        id: id?,
        name: name?,
        email: email?,
        phone: phone?,
    })
}

fn address(w: &mut Walker, v: &Value, ptr: &str) -> Option<Address> {
    let obj = w.object(v, ptr)?;
    let name = w.req_text(obj, ptr, "name", NAME_MAX);
    let line1 = w.req_text(obj, ptr, "line1", NAME_MAX);
    let line2 = w.opt_text(obj, ptr, "line2", NAME_MAX);
    let city = w.req_text(obj, ptr, "city", CITY_MAX);
    let state = w.req_text(obj, ptr, "state", CITY_MAX);
    let pincode = pincode(w, obj, ptr);
    let country = match obj.get("country") {
        None | Some(Value::Null) => Some("IN".to_owned()),
        Some(Value::String(s))
            if ["IN", "IND", "INDIA"].contains(&s.trim().to_uppercase().as_str()) =>
        {
            Some("IN".to_owned())
        }
        Some(_) => {
            w.err(&join(ptr, "country"), "only India (\"IN\") is supported");
            None
        }
    };
    Some(Address {
        name: name?,
        line1: line1?,
        line2: line2?,
        city: city?,
        state: state?,
        pincode: pincode?,
        country: country?,
    })
}

fn pincode(w: &mut Walker, obj: &Map<String, Value>, base: &str) -> Option<Pincode> {
    let v = w.required(obj, base, "pincode")?;
    let ptr = join(base, "pincode");
    let parsed = match v {
        Value::String(s) => Pincode::parse(s),
        Value::Number(n) => match n.as_u64().and_then(|x| u32::try_from(x).ok()) {
            Some(x) => Pincode::from_u32(x),
            None => Err(format!("expected a 6-digit PIN code, got {n}")),
        },
        other => Err(format!(
            "expected a 6-digit PIN code, got {}",
            describe(other)
        )),
    };
    parsed.map_err(|e| w.err(&ptr, e)).ok()
}

fn items(w: &mut Walker, data: &Map<String, Value>, base: &str) -> Option<Vec<OrderItem>> {
    let ptr = join(base, "items");
    let v = w.required(data, base, "items")?;
    let Value::Array(arr) = v else {
        w.err(
            &ptr,
            format!("expected an array of items, got {}", describe(v)),
        );
        return None;
    };
    if arr.is_empty() {
        w.err(&ptr, "must contain at least one item");
        return None;
    }
    if arr.len() > ITEMS_MAX {
        w.err(
            &ptr,
            format!("must contain at most {ITEMS_MAX} items (got {})", arr.len()),
        );
        return None;
    }
    let mut out = Vec::with_capacity(arr.len());
    let mut seen: HashMap<String, usize> = HashMap::with_capacity(arr.len());
    let mut ok = true;
    for (i, v) in arr.iter().enumerate() {
        let item_ptr = join(&ptr, &i.to_string());
        match item(w, v, &item_ptr) {
            Some(it) => {
                if let Some(first) = seen.get(&it.sku) {
                    w.err(
                        &join(&item_ptr, "sku"),
                        format!("duplicate SKU: the same SKU is already at {ptr}/{first}; combine the lines"),
                    );
                    ok = false;
                } else {
                    seen.insert(it.sku.clone(), i);
                }
                out.push(it);
            }
            None => ok = false,
        }
    }
    ok.then_some(out)
}

fn item(w: &mut Walker, v: &Value, ptr: &str) -> Option<OrderItem> {
    let obj = w.object(v, ptr)?;
    let sku = w.req_text(obj, ptr, "sku", SKU_MAX);
    let name = w.req_text(obj, ptr, "name", NAME_MAX);
    let units = w.int_in(obj, ptr, "units", (1, UNITS_MAX), "units");
    let unit_price = w.paise(obj, ptr, "unit_price_paise");
    let tax_rate_bps = tax_rate(w, obj, ptr);
    let hsn_code = match w.opt_text(obj, ptr, "hsn_code", 8) {
        Some(Some(h)) if !(2..=8).contains(&h.len()) || !h.bytes().all(|b| b.is_ascii_digit()) => {
            w.err(&join(ptr, "hsn_code"), "HSN code must be 2 to 8 digits");
            None
        }
        other => other,
    };
    Some(OrderItem {
        sku: sku?,
        name: name?,
        units: u32::try_from(units?).ok()?,
        unit_price: unit_price?,
        tax_rate_bps: tax_rate_bps?,
        hsn_code: hsn_code?,
    })
}

/// GST in percent with at most two decimals (`18`, `12.5`, `0.25`), 0..=28, as basis points.
fn tax_rate(w: &mut Walker, obj: &Map<String, Value>, base: &str) -> Option<u32> {
    let v = w.required(obj, base, "tax_rate")?;
    let ptr = join(base, "tax_rate");
    let Some(pct) = v.as_f64() else {
        w.err(
            &ptr,
            format!(
                "expected a GST rate in percent such as 18, got {}",
                describe(v)
            ),
        );
        return None;
    };
    let bps = (pct * 100.0).round();
    if !(0.0..=f64::from(TAX_BPS_MAX) / 100.0).contains(&pct) {
        w.err(&ptr, format!("must be between 0 and 28 percent, got {pct}"));
        None
    } else if (pct * 100.0 - bps).abs() > 1e-6 {
        w.err(&ptr, format!("must have at most two decimals, got {pct}"));
        None
    } else {
        // 0.0..=2800.0 and whole, so the cast is exact.
        Some(bps as u32)
    }
}

fn payment(
    w: &mut Walker,
    data: &Map<String, Value>,
    base: &str,
) -> Option<(PaymentMethod, PaymentStatus)> {
    let ptr = join(base, "payment");
    let v = w.required(data, base, "payment")?;
    let obj = w.object(v, &ptr)?;
    let method = w.parsed(obj, &ptr, "method", PaymentMethod::parse);
    let status = w.parsed(obj, &ptr, "status", PaymentStatus::parse);
    Some((method?, status?))
}

fn package(w: &mut Walker, v: &Value, ptr: &str) -> Option<Package> {
    let obj = w.object(v, ptr)?;
    let weight_g = w.opt_scaled(obj, ptr, "weight_kg", (1000.0, 1000.0), "kg");
    let length_mm = w.opt_scaled(obj, ptr, "length_cm", (500.0, 10.0), "cm");
    let breadth_mm = w.opt_scaled(obj, ptr, "breadth_cm", (500.0, 10.0), "cm");
    let height_mm = w.opt_scaled(obj, ptr, "height_cm", (500.0, 10.0), "cm");
    let dims = ["length_cm", "breadth_cm", "height_cm"];
    let missing: Vec<&str> = dims
        .into_iter()
        .filter(|k| matches!(obj.get(*k), None | Some(Value::Null)))
        .collect();
    if !missing.is_empty() && missing.len() < dims.len() {
        w.err(
            ptr,
            format!(
                "give length_cm, breadth_cm and height_cm together, or none of them (missing: {})",
                missing.join(", ")
            ),
        );
        return None;
    }
    Some(Package {
        weight_g: weight_g?,
        length_mm: length_mm?,
        breadth_mm: breadth_mm?,
        height_mm: height_mm?,
    })
}

/// Items + GST + shipping − discount must equal the total exactly, and a total of 0 is only
/// accepted when every item is free.
fn check_total(w: &mut Walker, order: &NewOrder, ptr: &str) {
    let expected = order.expected_total();
    let got = order.total;
    if expected != got {
        let diff = got.paise().saturating_sub(expected.paise());
        w.err(
            ptr,
            format!(
                "total does not add up: expected {} paise (items {} + GST {} + shipping {} − discount {}), got {} paise, a difference of {}{} paise",
                expected.paise(),
                order.items_subtotal().paise(),
                order.tax_total().paise(),
                order.shipping_charges.paise(),
                order.discount.paise(),
                got.paise(),
                if diff > 0 { "+" } else { "" },
                diff
            ),
        );
    } else if got == Money::ZERO && order.items.iter().any(|i| i.unit_price > Money::ZERO) {
        w.err(ptr, "must be greater than 0 unless every item is free");
    }
}
