//! `GET shipments/{id}`: the shipment with its AWB and courier (read back after a crash).

use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::json;

use crate::respond;
use crate::state::COMPANY_ID;
use crate::{App, clock};

/// GET shipments/{id}.
pub async fn show(State(app): State<App>, Path(id): Path<String>) -> Response {
    let st = app.lock();
    let now = st.now();
    let Some(i) = id
        .trim()
        .parse::<i64>()
        .ok()
        .and_then(|sid| st.order_by_shipment(sid))
    else {
        return respond::message(404, "Shipment not found");
    };
    let Some(o) = st.orders.get(i) else {
        return respond::message(404, "Shipment not found");
    };
    let c = st.live_consignment(i).filter(|c| !c.cancelled);
    let status = if o.cancelled {
        8
    } else {
        c.map_or(0, |c| c.status(now))
    };
    let when = |code: u32| {
        c.and_then(|c| {
            c.due(now)
                .iter()
                .find(|s| s.code == Some(code))
                .map(|s| clock::ymd_hms(s.at))
        })
    };
    let p = st
        .pickups
        .get(o.pickup)
        .map(|p| p.cfg.clone())
        .unwrap_or_default();
    let body = json!({"data": {
        "id": o.shipment_id, "order_id": o.id, "channel_id": o.channel_id, "company_id": COMPANY_ID,
        "invoice_no": format!("retail{}", o.id),
        "courier": c.map_or("", |c| c.courier.name), "sr_courier_id": c.map_or(json!(""), |c| json!(c.courier.id)),
        "awb": c.map_or("", |c| c.awb.as_str()),
        "awb_assign_date": c.map(|c| clock::ymd_hms(c.assigned_at)),
        "pickup_generated_date": c.and_then(|c| c.pickup_scheduled).map(clock::ymd_hms),
        "pickup_token_number": c.and_then(|c| c.pickup_token.clone()),
        "method": if o.cod { "cod" } else { "prepaid" },
        "weight": format!("{:.2}", o.weight),
        "dimensions": format!("{}x{}x{}", o.dims.0, o.dims.1, o.dims.2),
        "quantity": o.units, "cost": format!("{:.2}", o.sub_total), "tax": "0.00",
        "cod_charges": "0.00", "total": format!("{:.2}", o.sub_total),
        "shipping_address": {
            "name": o.customer_name, "address": o.address, "city": o.city, "state": o.state,
            "country": "India", "pincode": o.pincode, "phone": o.phone, "email": o.email,
        },
        "pickup_location": p.pickup_location,
        "status": status,
        "shipped_date": when(6), "delivered_date": when(7), "returned_date": when(10),
        "label_url": o.label_url, "manifest_url": o.manifest_url,
        "created_at": clock::php_datetime(o.created_at), "updated_at": clock::php_datetime(now),
    }});
    respond::json(200, &body)
}
