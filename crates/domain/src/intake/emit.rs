//! Writes an `OrderPlaced` v1 envelope: the exact inverse of [`super::parse_order_placed`].

use crate::order::{Address, NewOrder, OrderItem, Package};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The `OrderPlaced` v1 envelope for `order`. `parse_order_placed` of its bytes gives back an
/// equal [`super::OrderPlaced`]. Times are written in UTC; a time outside years 0..=9999 (which
/// RFC 3339 cannot express) is written as an empty string.
#[must_use]
pub fn order_placed_json(event_id: &str, occurred_at: OffsetDateTime, order: &NewOrder) -> Value {
    json!({
        "id": event_id,
        "type": super::EVENT_TYPE,
        "version": super::EVENT_VERSION,
        "occurred_at": utc(occurred_at),
        "data": data(order),
    })
}

fn utc(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .unwrap_or_default()
}

fn data(o: &NewOrder) -> Value {
    let mut customer = Map::new();
    if let Some(id) = &o.customer.id {
        customer.insert("id".into(), id.as_str().into());
    }
    customer.insert("name".into(), o.customer.name.as_str().into());
    customer.insert("email".into(), o.customer.email.as_str().into());
    customer.insert("phone".into(), o.customer.phone.display_e164().into());
    let mut data = json!({
        "order_number": o.order_number.as_str(),
        "placed_at": utc(o.placed_at),
        "customer": customer,
        "shipping_address": address(&o.shipping_address),
        "billing_address": o.billing_address.as_ref().map_or(Value::Null, address),
        "items": o.items.iter().map(item).collect::<Vec<_>>(),
        "shipping_paise": o.shipping_charges.paise(),
        "discount_paise": o.discount.paise(),
        "total_paise": o.total.paise(),
        "payment": {"method": o.payment_method.as_str(), "status": o.payment_status.as_str()},
    });
    if let (Some(p), Value::Object(m)) = (&o.package, &mut data) {
        m.insert("package".into(), package(p));
    }
    data
}

fn address(a: &Address) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), a.name.as_str().into());
    m.insert("line1".into(), a.line1.as_str().into());
    if let Some(l2) = &a.line2 {
        m.insert("line2".into(), l2.as_str().into());
    }
    m.insert("city".into(), a.city.as_str().into());
    m.insert("state".into(), a.state.as_str().into());
    m.insert("pincode".into(), a.pincode.as_str().into());
    m.insert("country".into(), a.country.as_str().into());
    Value::Object(m)
}

fn item(i: &OrderItem) -> Value {
    let mut m = Map::new();
    m.insert("sku".into(), i.sku.as_str().into());
    m.insert("name".into(), i.name.as_str().into());
    m.insert("units".into(), i.units.into());
    m.insert("unit_price_paise".into(), i.unit_price.paise().into());
    m.insert("tax_rate".into(), scaled(i.tax_rate_bps, 100));
    if let Some(h) = &i.hsn_code {
        m.insert("hsn_code".into(), h.as_str().into());
    }
    Value::Object(m)
}

fn package(p: &Package) -> Value {
    let mut m = Map::new();
    let fields = [
        ("weight_kg", p.weight_g, 1000),
        ("length_cm", p.length_mm, 10),
        ("breadth_cm", p.breadth_mm, 10),
        ("height_cm", p.height_mm, 10),
    ];
    for (key, v, div) in fields {
        if let Some(v) = v {
            m.insert(key.into(), scaled(v, div));
        }
    }
    Value::Object(m)
}

/// `v / div` as a JSON number: an integer when it divides exactly, else a decimal.
fn scaled(v: u32, div: u32) -> Value {
    if v.is_multiple_of(div) {
        (v / div).into()
    } else {
        (f64::from(v) / f64::from(div)).into()
    }
}
