//! Tracking: `courier/track/awb/{awb}`, `courier/track/shipment/{id}`, `courier/track/awbs`, `courier/track`.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde_json::{Map, Value};

use crate::respond::{self, List, as_string};
use crate::state::State as World;
use crate::{App, tracking};

fn data_for_awb(st: &World, awb: &str) -> Option<Value> {
    let c = st.consignments.get(awb)?;
    let o = st.orders.get(c.order)?;
    let origin = st
        .pickups
        .get(o.pickup)
        .map(|p| p.cfg.city.clone())
        .unwrap_or_default();
    Some(tracking::tracking_data(c, o, &origin, st.now()))
}

/// GET courier/track/awb/{awb}.
pub async fn by_awb(State(app): State<App>, Path(awb): Path<String>) -> Response {
    let st = app.lock();
    let body = data_for_awb(&st, awb.trim()).unwrap_or_else(tracking::no_activity);
    respond::json(200, &body)
}

/// GET courier/track/shipment/{id}.
pub async fn by_shipment(State(app): State<App>, Path(id): Path<String>) -> Response {
    let st = app.lock();
    let awb = id
        .trim()
        .parse::<i64>()
        .ok()
        .and_then(|sid| st.order_by_shipment(sid))
        .and_then(|i| st.orders.get(i)?.awb.clone());
    let body = awb
        .and_then(|a| data_for_awb(&st, &a))
        .unwrap_or_else(tracking::no_activity);
    respond::json(200, &body)
}

/// POST courier/track/awbs (max 50; unknown AWBs are left out; no array, even from a body that is
/// not JSON, is PHP's foreach 500).
pub async fn by_awbs(State(app): State<App>, body: Bytes) -> Response {
    let v = respond::body(&body);
    let items: &[Value] = match respond::list(&v, "awbs") {
        List::NotArray | List::Missing => return respond::foreach_500(),
        List::Items(items) => items,
    };
    if items.len() > 50 {
        let e = [(
            "awbs".to_owned(),
            "The awbs may not have more than 50 items.".to_owned(),
        )];
        return respond::bag("Oops! Invalid Data.", &e);
    }
    let st = app.lock();
    let mut out = Map::new();
    for awb in items.iter().filter_map(as_string) {
        if let Some(d) = data_for_awb(&st, &awb) {
            out.insert(awb, d);
        }
    }
    respond::json(200, &Value::Object(out))
}

/// GET courier/track?order_id=<channel order id>&channel_id= (an array, one element per shipment).
pub async fn by_order(
    State(app): State<App>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let st = app.lock();
    let Some(order_id) = q
        .get("order_id")
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
    else {
        let e = [respond::required("order_id")];
        return respond::bag("Oops! Invalid Data.", &e);
    };
    let channel = q
        .get("channel_id")
        .and_then(|c| c.trim().parse::<i64>().ok())
        .unwrap_or(st.cfg.channel_id);
    let list: Vec<Value> = st
        .by_channel
        .get(&(channel, order_id))
        .and_then(|&i| st.orders.get(i)?.awb.clone())
        .and_then(|a| data_for_awb(&st, &a))
        .into_iter()
        .collect();
    respond::json(200, &Value::Array(list))
}
