//! `orders/create/adhoc` (validation, idempotency by channel order id), `orders/address/update`,
//! `orders/cancel` and `orders/show/{id}`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::{Value, json};

use super::awb::cancel_consignment;
use crate::respond::{self, List, as_bool, as_f64, as_i64, as_string, present, required};
use crate::state::{Order, State as World};
use crate::{App, clock, tracking};

const REQUIRED: [&str; 17] = [
    "order_id",
    "order_date",
    "pickup_location",
    "billing_customer_name",
    "billing_address",
    "billing_city",
    "billing_pincode",
    "billing_state",
    "billing_country",
    "billing_phone",
    "shipping_is_billing",
    "payment_method",
    "sub_total",
    "length",
    "breadth",
    "height",
    "weight",
];

const MISLEADING: &str = "Please add billing/shipping address first";

fn digits(v: &Value, n: usize) -> bool {
    as_string(v).is_some_and(|s| s.len() == n && s.bytes().all(|b| b.is_ascii_digit()))
}

fn validate(v: &Value) -> Vec<(String, String)> {
    let mut errs: Vec<(String, String)> = REQUIRED
        .iter()
        .filter(|f| present(v, f).is_none())
        .map(|f| required(f))
        .collect();
    let mut err = |f: &str, m: &str| errs.push((f.to_owned(), m.to_owned()));
    let text = |f: &str| present(v, f).and_then(as_string);
    if text("order_id").is_some_and(|s| s.chars().count() > 50) {
        err(
            "order_id",
            "The order id may not be greater than 50 characters.",
        );
    }
    if text("billing_city").is_some_and(|s| s.chars().count() > 30) {
        err(
            "billing_city",
            "The billing city may not be greater than 30 characters.",
        );
    }
    if present(v, "billing_pincode").is_some_and(|p| !digits(p, 6)) {
        err("billing_pincode", "The billing pincode must be 6 digits.");
    }
    if present(v, "billing_phone").is_some_and(|p| !digits(p, 10)) {
        err("billing_phone", "The billing phone must be 10 digits.");
    }
    if text("payment_method")
        .is_some_and(|m| !m.eq_ignore_ascii_case("prepaid") && !m.eq_ignore_ascii_case("cod"))
    {
        err("payment_method", "The selected payment method is invalid.");
    }
    if present(v, "sub_total").is_some_and(|s| as_f64(s).is_none()) {
        err("sub_total", "The sub total must be a number.");
    }
    if present(v, "weight").is_some_and(|w| as_f64(w).is_none_or(|w| w <= 0.0)) {
        err("weight", "The weight must be greater than 0.");
    }
    for f in ["length", "breadth", "height"] {
        if present(v, f).is_some_and(|d| as_f64(d).is_none_or(|d| d <= 0.5)) {
            err(f, &format!("The {f} must be greater than 0.5."));
        }
    }
    match respond::list(v, "order_items") {
        List::Items(items) if !items.is_empty() => {
            let mut skus = Vec::new();
            for (i, item) in items.iter().enumerate() {
                for f in ["name", "sku", "units", "selling_price"] {
                    if present(item, f).is_none() {
                        err(
                            &format!("order_items.{i}.{f}"),
                            &format!("The order_items.{i}.{f} field is required."),
                        );
                    }
                }
                if present(item, "units").is_some_and(|u| as_i64(u).is_none_or(|u| u < 1)) {
                    err(
                        &format!("order_items.{i}.units"),
                        &format!("The order_items.{i}.units must be at least 1."),
                    );
                }
                if present(item, "hsn").is_some_and(|h| {
                    !as_string(h).is_some_and(|s| s.bytes().all(|b| b.is_ascii_digit()))
                }) {
                    err(&format!("order_items.{i}.hsn"), "HSN should be numeric");
                }
                if let Some(sku) = present(item, "sku").and_then(as_string) {
                    if skus.contains(&sku) {
                        err("order_items", "SKU cannot be repeated");
                    }
                    skus.push(sku);
                }
            }
        }
        List::NotArray => err("order_items", "The order items must be an array."),
        _ => errs.push(required("order_items")),
    }
    errs
}

/// The create-order body of an order (`fresh`: null ids like a new order; else "" like a repeat).
fn create_json(st: &World, idx: usize, fresh: bool) -> Value {
    let Some(o) = st.orders.get(idx) else {
        return json!({});
    };
    let c = st.live_consignment(idx).filter(|c| !c.cancelled);
    let (code, name) = tracking::order_status_of(o, c, st.now());
    let blank = if fresh { Value::Null } else { json!("") };
    json!({
        "order_id": o.id, "shipment_id": o.shipment_id, "status": name, "status_code": code,
        "onboarding_completed_now": 0,
        "awb_code": c.map_or(blank.clone(), |c| json!(c.awb)),
        "courier_company_id": c.map_or(blank.clone(), |c| json!(c.courier.id)),
        "courier_name": c.map_or(blank, |c| json!(c.courier.name)),
    })
}

/// POST orders/create/adhoc.
pub async fn create(State(app): State<App>, body: Bytes) -> Response {
    let v = respond::body(&body);
    let errs = validate(&v);
    if !errs.is_empty() {
        return respond::bag("Oops! Invalid Data.", &errs);
    }
    let text = |f: &str| present(&v, f).and_then(as_string).unwrap_or_default();
    let mut st = app.lock();
    let channel_id = match present(&v, "channel_id") {
        None => st.cfg.channel_id,
        Some(c) if as_i64(c) == Some(st.cfg.channel_id) => st.cfg.channel_id,
        Some(_) => return respond::message(400, "Given channel id does not exist"),
    };
    let key = (channel_id, text("order_id"));
    if let Some(&idx) = st.by_channel.get(&key) {
        return respond::json(200, &create_json(&st, idx, false));
    }
    let nickname = v
        .get("pickup_location")
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default();
    let Some(pickup) = st
        .pickups
        .iter()
        .position(|p| p.cfg.pickup_location == nickname)
    else {
        return respond::message(400, MISLEADING);
    };
    if text("billing_email").is_empty() {
        return respond::message(400, MISLEADING);
    }
    let ship_is_bill = present(&v, "shipping_is_billing")
        .and_then(as_bool)
        .unwrap_or(false);
    let p = if ship_is_bill { "billing" } else { "shipping" };
    let name_field = if ship_is_bill {
        "billing_customer_name".to_owned()
    } else {
        "shipping_customer_name".to_owned()
    };
    let pin = text(&format!("{p}_pincode"));
    let phone = text(&format!("{p}_phone"));
    let (address, city, state) = (
        text(&format!("{p}_address")),
        text(&format!("{p}_city")),
        text(&format!("{p}_state")),
    );
    if !ship_is_bill
        && (text(&name_field).is_empty()
            || address.is_empty()
            || city.is_empty()
            || state.is_empty()
            || pin.len() != 6
            || phone.len() != 10
            || text("shipping_country").is_empty())
    {
        return respond::message(400, MISLEADING);
    }
    let units = match respond::list(&v, "order_items") {
        List::Items(items) => items
            .iter()
            .filter_map(|i| i.get("units").and_then(as_i64))
            .sum(),
        _ => 0,
    };
    let num = |f: &str| present(&v, f).and_then(as_f64).unwrap_or(0.0);
    let now = st.now();
    let (id, shipment_id) = (st.seq.order, st.seq.shipment);
    st.seq.order += 1 + i64::from(st.rng.random::<u8>() % 7);
    st.seq.shipment += 1 + i64::from(st.rng.random::<u8>() % 7);
    let last = text(&format!("{p}_last_name"));
    let first = text(&name_field);
    let order = Order {
        id,
        shipment_id,
        channel_id,
        channel_order_id: key.1.clone(),
        pickup,
        customer_name: if last.is_empty() {
            first
        } else {
            format!("{first} {last}")
        },
        address,
        city,
        state,
        pincode: pin,
        phone,
        email: text(if ship_is_bill {
            "billing_email"
        } else {
            "shipping_email"
        }),
        cod: text("payment_method").eq_ignore_ascii_case("cod"),
        sub_total: num("sub_total"),
        weight: num("weight"),
        dims: (num("length"), num("breadth"), num("height")),
        units,
        created_at: now,
        cancelled: false,
        awb: None,
        reassigned_at: None,
        label_url: None,
        manifest_url: None,
        invoice_url: None,
    };
    let idx = st.orders.len();
    st.orders.push(order);
    st.by_channel.insert(key, idx);
    st.by_order_id.insert(id, idx);
    st.by_shipment.insert(shipment_id, idx);
    respond::json(200, &create_json(&st, idx, true))
}

use rand::RngExt as _;

/// POST orders/address/update (202, empty body).
pub async fn update_address(State(app): State<App>, body: Bytes) -> Response {
    let v = respond::body(&body);
    let fields = [
        "order_id",
        "shipping_customer_name",
        "shipping_phone",
        "shipping_address",
        "shipping_city",
        "shipping_state",
        "shipping_country",
        "shipping_pincode",
    ];
    let errs: Vec<_> = fields
        .iter()
        .filter(|f| present(&v, f).is_none())
        .map(|f| required(f))
        .collect();
    if !errs.is_empty() {
        return respond::bag("Oops! Invalid Data.", &errs);
    }
    let mut st = app.lock();
    let idx = v
        .get("order_id")
        .and_then(as_i64)
        .and_then(|id| st.by_order_id.get(&id).copied());
    let Some(o) = idx.and_then(|i| st.orders.get_mut(i)) else {
        let e = [(
            "order_id".to_owned(),
            "The selected order id is invalid.".to_owned(),
        )];
        return respond::bag("Oops! Invalid Data.", &e);
    };
    let text = |f: &str| present(&v, f).and_then(as_string).unwrap_or_default();
    o.customer_name = text("shipping_customer_name");
    o.phone = text("shipping_phone");
    o.address = text("shipping_address");
    o.city = text("shipping_city");
    o.state = text("shipping_state");
    o.pincode = text("shipping_pincode");
    respond::empty(202, true)
}

/// POST orders/cancel (204 empty; 422 empty ids; 500 unknown id; 400 after pickup).
pub async fn cancel(State(app): State<App>, body: Bytes) -> Response {
    let v = respond::body(&body);
    let items = match respond::list(&v, "ids") {
        List::NotArray => return respond::foreach_500(),
        List::Items(items) if !items.is_empty() => items,
        _ => {
            let e = [required("ids")];
            return respond::bag("Required field missing", &e);
        }
    };
    let mut st = app.lock();
    let now = st.now();
    let mut idxs = Vec::new();
    for item in items {
        let Some(&i) = as_i64(item).and_then(|id| st.by_order_id.get(&id)) else {
            return respond::message(500, "Trying to get property of non-object");
        };
        let Some(o) = st.orders.get(i) else { continue };
        if o.cancelled {
            return respond::message(400, &format!("Order {} is already cancelled.", o.id));
        }
        if st
            .live_consignment(i)
            .is_some_and(|c| !c.cancelled && c.picked(now))
        {
            return respond::message(
                400,
                "Order cannot be cancelled as the shipment has already been picked up.",
            );
        }
        idxs.push(i);
    }
    for i in idxs {
        if let Some(awb) = st.orders.get(i).and_then(|o| o.awb.clone()) {
            cancel_consignment(&mut st, &awb, now);
        }
        if let Some(o) = st.orders.get_mut(i) {
            o.cancelled = true;
        }
    }
    respond::empty(204, false)
}

/// GET orders/show/{id}.
pub async fn show(State(app): State<App>, Path(id): Path<String>) -> Response {
    let st = app.lock();
    let Some(&i) = id
        .trim()
        .parse::<i64>()
        .ok()
        .and_then(|id| st.by_order_id.get(&id))
    else {
        return respond::message(400, "Order ID not found");
    };
    let Some(o) = st.orders.get(i) else {
        return respond::message(400, "Order ID not found");
    };
    let c = st.live_consignment(i);
    let (code, name) = tracking::order_status_of(o, c, st.now());
    let created = o
        .created_at
        .to_offset(clock::IST)
        .format(time::macros::format_description!(
            "[day] [month repr:short] [year] [hour repr:12]:[minute] [period]"
        ))
        .unwrap_or_default();
    let body = json!({"data": {
        "id": o.id, "channel_id": o.channel_id, "channel_order_id": o.channel_order_id,
        "customer_name": o.customer_name, "customer_email": o.email, "customer_phone": o.phone,
        "customer_address": o.address, "customer_city": o.city, "customer_state": o.state,
        "customer_pincode": o.pincode, "payment_method": if o.cod { "cod" } else { "prepaid" },
        "total": o.sub_total, "status": name, "status_code": code, "created_at": created,
        "pickup_location": st.pickups.get(o.pickup).map(|p| p.cfg.pickup_location.clone()),
        "shipments": {
            "id": o.shipment_id, "awb": c.map_or("", |c| c.awb.as_str()),
            "courier": c.map_or("", |c| c.courier.name),
            "etd": c.and_then(|c| c.etd).map(clock::ymd_hms),
            "pickup_scheduled_date": c.and_then(|c| c.pickup_scheduled).map(clock::ymd_hms),
            "weight": o.weight, "dimensions": format!("{}x{}x{}", o.dims.0, o.dims.1, o.dims.2),
        },
    }});
    respond::json(200, &body)
}
