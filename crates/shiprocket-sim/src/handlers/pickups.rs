//! `settings/company/pickup` (list) and `settings/company/addpickup`.

use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use serde_json::{Map, Value, json};

use crate::config::PickupLocationConfig;
use crate::respond::{self, as_string, present};
use crate::state::{COMPANY_ID, Pickup};
use crate::{App, clock};

fn address_json(p: &Pickup, company: &str, primary: bool) -> Value {
    let c = &p.cfg;
    json!({
        "id": p.id, "pickup_location": c.pickup_location, "address_type": null,
        "address": c.address, "address_2": "", "updated_address": false, "old_address": "",
        "old_address2": "", "tag": "", "tag_value": "", "instruction": "", "city": c.city,
        "state": c.state, "country": "India", "pin_code": c.pin_code, "email": c.email,
        "is_first_mile_pickup": 0, "phone": c.phone, "name": c.name, "company_id": COMPANY_ID,
        "gstin": null, "vendor_name": null, "status": 2, "phone_verified": 1, "lat": "", "long": "",
        "open_time": null, "close_time": null, "warehouse_code": null, "alternate_phone": "",
        "rto_address_id": p.id, "lat_long_status": 0, "new": 1, "associated_rto_address": null,
        "is_primary_location": u8::from(primary), "company_name": company,
    })
}

/// GET settings/company/pickup.
pub async fn list(State(app): State<App>) -> Response {
    let st = app.lock();
    let company = st.cfg.company_name.clone();
    let addresses: Vec<Value> = st
        .pickups
        .iter()
        .enumerate()
        .map(|(i, p)| address_json(p, &company, i == 0))
        .collect();
    let body = json!({"data": {
        "shipping_address": addresses, "allow_more": "true", "is_blackbox_seller": false,
        "company_name": company, "recent_addresses": [],
    }});
    respond::json(200, &body)
}

/// POST settings/company/addpickup.
pub async fn add(State(app): State<App>, body: Bytes) -> Response {
    let v = respond::body(&body);
    let get = |f: &str| present(&v, f).and_then(as_string).unwrap_or_default();
    let phone = get("phone");
    if phone.is_empty() || phone.len() != 10 || !phone.bytes().all(|b| b.is_ascii_digit()) {
        let errors = [respond::required("phone")];
        let mut resp = respond::bag("Not a valid mobile number", &errors);
        if !phone.is_empty() {
            let body = json!({"message": "Not a valid mobile number",
                "errors": {"phone": ["The phone must be 10 digits."]}, "status_code": 422});
            resp = respond::json(422, &body);
        }
        return resp;
    }
    // These 422s put the field bag in `message` (live capture).
    let mut bag = Map::new();
    for f in [
        "pickup_location",
        "name",
        "email",
        "address",
        "city",
        "state",
        "country",
        "pin_code",
    ] {
        if get(f).is_empty() {
            let text = format!("The {} field is required.", f.replace('_', " "));
            bag.insert(f.to_owned(), json!([text]));
        }
    }
    let nickname = get("pickup_location");
    let address = v.get("address").and_then(as_string).unwrap_or_default();
    if nickname.chars().count() > 36 {
        bag.insert(
            "pickup_location".into(),
            json!(["The pickup location may not be greater than 36 characters."]),
        );
    }
    if !address.is_empty() && !address.bytes().any(|b| b.is_ascii_digit()) {
        bag.insert(
            "address".into(),
            json!(["Address line 1 should have House no / Flat no / Road no."]),
        );
    } else if address.chars().count() > 80 {
        bag.insert(
            "address".into(),
            json!(["The address may not be greater than 80 characters."]),
        );
    }
    let mut st = app.lock();
    if st.pickups.iter().any(|p| p.cfg.pickup_location == nickname) {
        bag.insert(
            "pickup_location".into(),
            json!(["Address nick name already in use"]),
        );
    }
    if !bag.is_empty() {
        return respond::json(422, &json!({ "message": bag }));
    }
    let cfg = PickupLocationConfig {
        pickup_location: nickname,
        name: get("name"),
        address,
        city: get("city"),
        state: get("state"),
        pin_code: get("pin_code"),
        phone,
        email: get("email"),
    };
    let id = st.pickups.last().map_or(4_984_500, |p| p.id + 1);
    let now = clock::ymd_hms(st.now());
    let body = json!({
        "success": true,
        "address": {
            "company_id": COMPANY_ID, "pickup_code": cfg.pickup_location, "address": cfg.address,
            "address_2": get("address_2"), "address_type": null, "city": cfg.city, "state": cfg.state,
            "country": get("country"), "gstin": null, "pin_code": cfg.pin_code, "phone": cfg.phone,
            "email": cfg.email, "name": cfg.name, "alternate_phone": null, "lat": null, "long": null,
            "status": 1, "phone_verified": 0, "rto_address_id": id, "extra_info": "{\"source\":3}",
            "updated_at": now, "created_at": now, "id": id,
        },
        "pickup_id": id, "company_name": st.cfg.company_name, "full_name": "API",
    });
    st.pickups.push(Pickup { id, cfg });
    respond::json(200, &body)
}
