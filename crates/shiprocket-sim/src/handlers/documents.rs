//! Labels, manifests and invoices, whose URLs point at small PDFs the simulator serves itself.

use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use serde_json::{Value, json};

use crate::respond::{self, List, as_i64};
use crate::state::Scan;
use crate::{App, tracking};

/// POST courier/generate/label.
pub async fn label(State(app): State<App>, body: Bytes) -> Response {
    let v = respond::body(&body);
    let items: &[Value] = match respond::list(&v, "shipment_id") {
        List::NotArray => {
            let e = [(
                "shipment_id".to_owned(),
                "The shipment id must be an array.".to_owned(),
            )];
            return respond::bag("Oops! Invalid Data.", &e);
        }
        List::Missing => &[],
        List::Items(items) => items,
    };
    let mut st = app.lock();
    let mut valid = Vec::new();
    let mut not_created = Vec::new();
    for item in items {
        let idx = as_i64(item).and_then(|sid| st.order_by_shipment(sid));
        match idx.and_then(|i| {
            st.live_consignment(i)
                .filter(|c| !c.cancelled)
                .map(|c| (i, c.awb.clone()))
        }) {
            Some(found) => valid.push(found),
            None => not_created.extend(as_i64(item)),
        }
    }
    let Some((first, awb)) = valid.first().cloned() else {
        return respond::json(
            200,
            &json!({"label_created": 0, "not_created": not_created,
            "response": "No valid shipment ids to print label"}),
        );
    };
    let sid = st.orders.get(first).map_or(0, |o| o.shipment_id);
    let url = if valid.len() == 1 {
        format!(
            "{}/sim-files/labels/shipping-label-{sid}-{awb}.pdf",
            app.public_base
        )
    } else {
        st.seq.doc += 1;
        format!(
            "{}/sim-files/labels/shipping-labels-{}.pdf",
            app.public_base, st.seq.doc
        )
    };
    for (i, _) in &valid {
        if let Some(o) = st.orders.get_mut(*i) {
            o.label_url = Some(url.clone());
        }
    }
    respond::json(
        200,
        &json!({"label_created": 1, "label_url": url,
        "response": "Label has been created and uploaded successfully!", "not_created": not_created}),
    )
}

/// POST manifests/generate (needs AWB + pickup; a repeat is the already-manifested 400).
pub async fn manifest(State(app): State<App>, body: Bytes) -> Response {
    let v = respond::body(&body);
    let List::Items(items) = respond::list(&v, "shipment_id") else {
        return respond::json(200, &json!({"status": 1, "manifest_url": ""}));
    };
    let mut guard = app.lock();
    let st = &mut *guard;
    let now = st.now();
    let mut valid = Vec::new();
    let mut already = Vec::new();
    for item in items {
        let Some(sid) = as_i64(item) else { continue };
        let Some(i) = st.order_by_shipment(sid) else {
            continue;
        };
        let Some(o) = st.orders.get(i).filter(|o| !o.cancelled) else {
            continue;
        };
        if o.manifest_url.is_some() {
            already.push(sid);
        } else if st
            .live_consignment(i)
            .is_some_and(|c| !c.cancelled && c.pickup_scheduled.is_some())
        {
            valid.push(i);
        }
    }
    if !already.is_empty() {
        return respond::json(
            400,
            &json!({
            "message": "Manifest already generated for some shipment_ids, Please try again after removin them",
            "status_code": 400, "already_manifested_shipment_ids": already}),
        );
    }
    if valid.is_empty() {
        return respond::json(200, &json!({"status": 1, "manifest_url": ""}));
    }
    st.seq.doc += 1;
    let url = format!(
        "{}/sim-files/manifests/MANIFEST-{}.pdf",
        app.public_base, st.seq.doc
    );
    for i in valid {
        let origin = st
            .orders
            .get(i)
            .and_then(|o| st.pickups.get(o.pickup))
            .map(|p| p.cfg.city.clone())
            .unwrap_or_default();
        let Some(o) = st.orders.get_mut(i) else {
            continue;
        };
        o.manifest_url = Some(url.clone());
        if let Some(c) = o.awb.as_ref().and_then(|a| st.consignments.get_mut(a)) {
            let scan = Scan {
                at: now,
                code: Some(5),
                raw: "X-UCI",
                activity: "Manifested - Consignment Manifested".into(),
                location: origin,
            };
            tracking::insert(c, scan);
        }
    }
    respond::json(200, &json!({"status": 1, "manifest_url": url}))
}

/// POST manifests/print (any non-array `order_ids`, even "", is the foreach 500).
pub async fn print_manifest(State(app): State<App>, body: Bytes) -> Response {
    let v = respond::body(&body);
    let items: &[Value] = match v.get("order_ids") {
        Some(Value::Array(items)) => items,
        None | Some(Value::Null) => &[],
        Some(_) => return respond::foreach_500(),
    };
    let st = app.lock();
    let url = items
        .iter()
        .filter_map(|i| {
            as_i64(i)
                .and_then(|id| st.by_order_id.get(&id))
                .and_then(|&i| st.orders.get(i))
        })
        .find_map(|o| o.manifest_url.clone())
        .unwrap_or_default();
    respond::json(200, &json!({ "manifest_url": url }))
}

/// POST orders/print/invoice.
pub async fn invoice(State(app): State<App>, body: Bytes) -> Response {
    let v = respond::body(&body);
    let items: &[Value] = match respond::list(&v, "ids") {
        List::NotArray => return respond::foreach_500(),
        List::Missing => &[],
        List::Items(items) => items,
    };
    let mut st = app.lock();
    let mut valid = Vec::new();
    let mut not_created = Vec::new();
    for item in items {
        match as_i64(item).and_then(|id| st.by_order_id.get(&id).copied()) {
            Some(i) => valid.push(i),
            None => not_created.extend(as_i64(item)),
        }
    }
    if valid.is_empty() {
        return respond::json(
            400,
            &json!({"is_invoice_created": false,
            "message": "Invoice could not be created", "not_created": not_created}),
        );
    }
    st.seq.doc += 1;
    let url = format!(
        "{}/sim-files/invoices/INV-{}.pdf",
        app.public_base, st.seq.doc
    );
    for i in valid {
        if let Some(o) = st.orders.get_mut(i) {
            o.invoice_url = Some(url.clone());
        }
    }
    respond::json(
        200,
        &json!({"is_invoice_created": true, "invoice_url": url, "not_created": not_created}),
    )
}
