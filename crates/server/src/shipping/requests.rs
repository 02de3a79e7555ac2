//! Turning an Orderly order into Shiprocket's request shapes (the adhoc order, the one
//! serviceability query the courier picker and the saga share), and Shiprocket's answers into the
//! domain's courier `Quote`s.

use orderly_domain::courier::{self, Quote, Recommendation};
use orderly_store::orders::{AddressView, OrderDetail};
use shiprocket::{
    CourierQuote, CreateOrderRequest, OrderItem, PaymentMethod, Serviceability, ServiceabilityQuery,
};
use time::macros::offset;

/// Default parcel when the order carries no package: 0.5 kg, 20 × 15 × 10 cm.
const DEFAULT_WEIGHT_G: i64 = 500;
const DEFAULT_DIMS_MM: (i64, i64, i64) = (200, 150, 100);

fn rupees(paise: i64) -> f64 {
    paise as f64 / 100.0
}

/// Splits a full name into Shiprocket's first and last name.
fn split_name(name: &str) -> (String, String) {
    match name.trim().rsplit_once(' ') {
        Some((first, last)) => (first.trim().to_string(), last.trim().to_string()),
        None => (name.trim().to_string(), String::new()),
    }
}

/// Parcel weight in kg and dimensions in cm.
pub fn parcel(o: &OrderDetail) -> (f64, f64, f64, f64) {
    let w = o.package.weight_g.unwrap_or(DEFAULT_WEIGHT_G);
    let (l, b, h) = match (
        o.package.length_mm,
        o.package.breadth_mm,
        o.package.height_mm,
    ) {
        (Some(l), Some(b), Some(h)) => (l, b, h),
        _ => DEFAULT_DIMS_MM,
    };
    (
        w as f64 / 1000.0,
        l as f64 / 10.0,
        b as f64 / 10.0,
        h as f64 / 10.0,
    )
}

/// The `/orders/create/adhoc` request for attempt `channel_order_id` of `o`.
pub fn create_request(
    o: &OrderDetail,
    channel_order_id: &str,
    pickup_location: &str,
) -> CreateOrderRequest {
    let billing: &AddressView = o.billing_address.as_ref().unwrap_or(&o.shipping_address);
    let (first, last) = split_name(&billing.name);
    let (weight, length, breadth, height) = parcel(o);
    let placed_ist = o.summary.placed_at.to_offset(offset!(+5:30));
    let order_date = format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        placed_ist.year(),
        u8::from(placed_ist.month()),
        placed_ist.day(),
        placed_ist.hour(),
        placed_ist.minute()
    );
    let mut req = CreateOrderRequest {
        order_id: channel_order_id.to_string(),
        order_date,
        pickup_location: pickup_location.to_string(),
        billing_customer_name: first,
        billing_last_name: last,
        billing_address: billing.line1.clone(),
        billing_address_2: billing.line2.clone(),
        billing_city: billing.city.clone(),
        billing_pincode: billing.pincode.clone(),
        billing_state: billing.state.clone(),
        billing_country: "India".into(),
        billing_email: o.summary.email.clone(),
        billing_phone: o.summary.phone.clone(),
        shipping_is_billing: o.billing_address.is_none(),
        order_items: o
            .items
            .iter()
            .map(|i| OrderItem {
                name: i.name.clone(),
                sku: i.sku.clone(),
                units: u32::try_from(i.units).unwrap_or(1),
                selling_price: rupees(i.unit_price_paise + i.tax_paise / i.units.max(1)),
                discount: None,
                tax: Some(i.tax_rate_bps as f64 / 100.0),
                hsn: i.hsn_code.clone(),
            })
            .collect(),
        payment_method: if is_cod(o) {
            PaymentMethod::Cod
        } else {
            PaymentMethod::Prepaid
        },
        shipping_charges: rupees(o.shipping_paise),
        total_discount: rupees(o.discount_paise),
        sub_total: rupees(o.items_subtotal_paise + o.tax_paise),
        length,
        breadth,
        height,
        weight,
        ..CreateOrderRequest::default()
    };
    if o.billing_address.is_some() {
        let s = &o.shipping_address;
        let (first, last) = split_name(&s.name);
        req.shipping_customer_name = Some(first);
        req.shipping_last_name = Some(last);
        req.shipping_address = Some(s.line1.clone());
        req.shipping_address_2 = s.line2.clone();
        req.shipping_city = Some(s.city.clone());
        req.shipping_pincode = Some(s.pincode.clone());
        req.shipping_state = Some(s.state.clone());
        req.shipping_country = Some("India".into());
        req.shipping_email = Some(o.summary.email.clone());
        req.shipping_phone = Some(o.summary.phone.clone());
    }
    req
}

/// True when the customer pays on delivery.
pub fn is_cod(o: &OrderDetail) -> bool {
    o.summary.payment_method == orderly_domain::order::PaymentMethod::Cod
}

/// The `courier/serviceability` query for `o` from `pickup_postcode`; `sr_order_id` once the
/// Shiprocket order exists. The courier picker and the saga ask exactly this question.
pub fn serviceability_query(
    o: &OrderDetail,
    pickup_postcode: String,
    sr_order_id: Option<i64>,
) -> ServiceabilityQuery {
    let (weight, length, breadth, height) = parcel(o);
    ServiceabilityQuery {
        pickup_postcode,
        delivery_postcode: o.shipping_address.pincode.clone(),
        order_id: sr_order_id,
        cod: Some(is_cod(o)),
        weight: Some(weight),
        length: Some(length),
        breadth: Some(breadth),
        height: Some(height),
        declared_value: Some(rupees(o.summary.total_paise)),
        ..ServiceabilityQuery::default()
    }
}

/// The parcel as the courier policy sees it.
pub fn policy_parcel(o: &OrderDetail) -> courier::Shipment {
    courier::Shipment {
        cod: is_cod(o),
        weight_g: u32::try_from(o.package.weight_g.unwrap_or(DEFAULT_WEIGHT_G)).unwrap_or(u32::MAX),
    }
}

/// Shiprocket's own recommendation in a serviceability answer.
pub fn recommendation(s: &Serviceability) -> Recommendation {
    Recommendation {
        recommended_courier_id: s
            .recommended_courier_company_id
            .or(s.shiprocket_recommended_courier_id),
    }
}

/// A Shiprocket quote as the courier policy sees it. `pickup_availability` is not used: every
/// official fixture (and so the simulator) sends `"0"` for couriers that do pick up, so its meaning
/// is unknown and it must not exclude a courier.
pub fn quote(q: &CourierQuote) -> Quote {
    let max_kg = if q.is_surface {
        q.surface_max_weight
    } else {
        q.air_max_weight
    };
    Quote {
        courier_id: q.courier_company_id,
        courier_name: q.courier_name.clone(),
        rate_paise: (q.rate * 100.0).round() as i64,
        cod: q.cod,
        estimated_days: q.estimated_delivery_days,
        etd: q.etd.clone(),
        rating: q.rating,
        blocked: q.blocked,
        pickup_available: true,
        max_weight_g: max_kg
            .filter(|kg| *kg > 0.0)
            .map(|kg| (kg * 1000.0).round() as u32),
        is_surface: q.is_surface,
    }
}

/// The carrier tracking page for an AWB.
pub fn tracking_url(awb: &str) -> String {
    format!("https://shiprocket.co/tracking/{awb}")
}
