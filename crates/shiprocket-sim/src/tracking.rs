//! Scan timelines (forward, NDR, RTO), tracking bodies, and tracking webhooks (reference §9.3, §10, §11).

use std::sync::atomic::Ordering;

use serde_json::{Value, json};
use time::{Duration as Span, OffsetDateTime};

use crate::App;
use crate::clock;
use crate::state::{Consignment, Order, Scan};

/// How a picked-up shipment ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Delivered at the first attempt.
    Delivered,
    /// One failed attempt (NDR), delivered the next day.
    NdrThenDelivered,
    /// Failed delivery, returned to origin.
    Rto,
}

/// Shipment-status label as Shiprocket's tables spell it.
pub fn label(code: u32) -> &'static str {
    match code {
        1 => "AWB Assigned",
        3 => "Pickup Generated",
        5 => "Manifest Generated",
        6 => "Shipped",
        7 => "Delivered",
        8 => "Canceled",
        9 => "RTO Initiated",
        10 => "RTO Delivered",
        17 => "Out For Delivery",
        18 => "In Transit",
        19 => "Out For Pickup",
        21 => "Undelivered",
        38 => "REACHED AT DESTINATION HUB",
        41 => "RTO_OFD",
        42 => "PICKED UP",
        46 => "RTO IN INTRANSIT",
        _ => "NA",
    }
}

/// The order-status code (and upper-case name) matching a shipment status.
pub fn order_status(shipment_code: u32) -> (u32, &'static str) {
    match shipment_code {
        1 => (3, "READY TO SHIP"),
        3 | 5 => (4, "PICKUP SCHEDULED"),
        6 => (6, "SHIPPED"),
        7 => (7, "DELIVERED"),
        8 => (5, "CANCELED"),
        9 => (15, "RTO INITIATED"),
        10 => (16, "RTO DELIVERED"),
        17 => (19, "OUT FOR DELIVERY"),
        18 => (20, "IN TRANSIT"),
        19 => (34, "OUT FOR PICKUP"),
        21 => (36, "UNDELIVERED"),
        38 => (43, "REACHED DESTINATION HUB"),
        41 => (45, "RTO_OFD"),
        42 => (51, "PICKED UP"),
        46 => (55, "RTO IN-TRANSIT"),
        _ => (1, "NEW"),
    }
}

/// Order status (code, name) of an order at `now`.
pub fn order_status_of(
    order: &Order,
    c: Option<&Consignment>,
    now: OffsetDateTime,
) -> (u32, &'static str) {
    if order.cancelled {
        return (5, "CANCELED");
    }
    match c {
        Some(c) if !c.cancelled => order_status(c.status(now)),
        _ => (1, "NEW"),
    }
}

fn scan(
    at: OffsetDateTime,
    code: Option<u32>,
    raw: &'static str,
    activity: &str,
    location: &str,
) -> Scan {
    Scan {
        at,
        code,
        raw,
        activity: activity.to_owned(),
        location: location.to_owned(),
    }
}

/// Adds a scan keeping the list sorted by time.
pub fn insert(c: &mut Consignment, s: Scan) {
    let pos = c.scans.iter().take_while(|x| x.at <= s.at).count();
    c.scans.insert(pos, s);
}

/// Plans the physical journey from the pickup slot on: pickup, line haul, delivery (or NDR / RTO).
pub fn plan(c: &mut Consignment, slot: OffsetDateTime, origin: &str, dest: &str, outcome: Outcome) {
    let h = Span::hours;
    let days = i64::from(c.days.max(1));
    let origin_hub = format!("{origin} Hub");
    let dest_hub = format!("{dest} Hub");
    let mut s = vec![
        scan(slot + h(1), Some(19), "OFP", "Out for Pickup", origin),
        scan(slot + h(3), Some(42), "PUD", "Shipment picked up", origin),
        scan(
            slot + h(5),
            Some(6),
            "PKD",
            "Shipment Received at Origin Center",
            &origin_hub,
        ),
        scan(
            slot + h(8),
            Some(18),
            "IT",
            "In Transit - Bag Added To Trip",
            &origin_hub,
        ),
    ];
    for d in 1..days.saturating_sub(1) {
        s.push(scan(
            slot + h(24 * d + 8),
            Some(18),
            "IT",
            "In Transit - Trip Arrived",
            "Transit Gateway",
        ));
    }
    let hub = slot + h(24 * days - 10);
    s.push(scan(
        hub,
        Some(38),
        "RAD",
        "Reached at Destination Hub",
        &dest_hub,
    ));
    s.push(scan(hub + h(2), Some(17), "OFD", "Out for Delivery", dest));
    match outcome {
        Outcome::Delivered => s.push(scan(hub + h(6), Some(7), "DLVD", "Delivered", dest)),
        Outcome::NdrThenDelivered => {
            s.push(scan(
                hub + h(6),
                Some(21),
                "UD",
                "Undelivered - Consignee not available",
                dest,
            ));
            s.push(scan(hub + h(26), Some(17), "OFD", "Out for Delivery", dest));
            s.push(scan(hub + h(30), Some(7), "DLVD", "Delivered", dest));
        }
        Outcome::Rto => {
            s.push(scan(
                hub + h(6),
                Some(21),
                "UD",
                "Undelivered - Consignee refused",
                dest,
            ));
            s.push(scan(
                hub + h(28),
                Some(9),
                "RTO",
                "RTO Initiated",
                &dest_hub,
            ));
            s.push(scan(
                hub + h(34),
                Some(46),
                "RTO-IT",
                "RTO In Transit",
                &dest_hub,
            ));
            let back = hub + h(34 + 24 * days - 10);
            s.push(scan(
                back,
                Some(41),
                "RTO-OFD",
                "RTO Out for Delivery",
                origin,
            ));
            s.push(scan(
                back + h(4),
                Some(10),
                "RTO-DLVD",
                "RTO Delivered",
                origin,
            ));
        }
    }
    c.etd = Some(slot + h(24 * days - 4));
    for x in s {
        insert(c, x);
    }
}

fn activity_json(s: &Scan, with_label: bool) -> Value {
    let code = s.code.map_or_else(|| "NA".to_owned(), |c| c.to_string());
    let lbl = s.code.map_or("NA".to_owned(), |c| label(c).to_uppercase());
    let mut v = json!({
        "date": clock::ymd_hms(s.at), "status": s.raw, "activity": s.activity,
        "location": s.location, "sr-status": code,
    });
    if with_label {
        v["sr-status-label"] = Value::String(lbl);
    }
    v
}

/// The no-scan body (HTTP 200).
pub fn no_activity() -> Value {
    json!({"tracking_data": {"track_status": 0, "error":
        "Aahh! There is no activities found in our DB. Please have some patience it will be updated soon."}})
}

/// `{"tracking_data": {...}}` for a consignment at `now`.
pub fn tracking_data(c: &Consignment, o: &Order, origin: &str, now: OffsetDateTime) -> Value {
    let due = c.due(now);
    if due.is_empty() {
        return no_activity();
    }
    let status = c.status(now);
    let when = |code: u32| {
        due.iter()
            .find(|s| s.code == Some(code))
            .map(|s| clock::ymd_hms(s.at))
    };
    let etd = c.etd.map(clock::ymd_hms);
    let activities: Vec<Value> = due.iter().rev().map(|s| activity_json(s, true)).collect();
    json!({"tracking_data": {
        "track_status": 1,
        "shipment_status": status,
        "shipment_track": [{
            "id": o.shipment_id, "awb_code": c.awb, "courier_company_id": c.courier.id,
            "shipment_id": o.shipment_id, "order_id": o.id,
            "pickup_date": when(42), "delivered_date": when(7),
            "weight": format!("{:.2}", o.weight), "packages": 1,
            "current_status": label(status), "delivered_to": o.city, "destination": o.city,
            "consignee_name": o.customer_name, "origin": origin, "courier_agent_details": null,
            "courier_name": c.courier.name, "edd": etd,
            "pod": if status == 7 { "Available" } else { "Not Available" }, "pod_status": "",
        }],
        "shipment_track_activities": activities,
        "track_url": format!("https://shiprocket.co//tracking/{}", c.awb),
        "etd": etd,
        "qc_response": {"qc_image": "", "qc_failed_reason": ""},
    }})
}

/// Refuses webhook URLs Shiprocket's panel refuses.
pub fn check_webhook_url(url: &str) -> anyhow::Result<()> {
    let lower = url.to_ascii_lowercase();
    for word in ["shiprocket", "kartrocket", "sr", "kr"] {
        if lower.contains(word) {
            anyhow::bail!(
                "webhook URL {url:?} contains the keyword {word:?}, which Shiprocket refuses"
            );
        }
    }
    Ok(())
}

fn payload(c: &Consignment, o: &Order, upto: usize) -> Value {
    let scans = &c.scans[..=upto.min(c.scans.len().saturating_sub(1))];
    let code = scans
        .iter()
        .rev()
        .find_map(|s| s.code)
        .unwrap_or(if c.pickup_scheduled.is_some() { 3 } else { 1 });
    let (order_code, _) = order_status(code);
    let name = label(code).to_uppercase();
    let at = scans.last().map_or(c.assigned_at, |s| s.at);
    json!({
        "awb": c.awb, "courier_name": c.courier.name,
        "current_status": name, "current_status_id": order_code,
        "shipment_status": name, "shipment_status_id": code,
        "current_timestamp": clock::webhook_ts(at),
        "order_id": o.channel_order_id, "sr_order_id": o.id,
        "awb_assigned_date": clock::ymd_hms(c.assigned_at),
        "pickup_scheduled_date": c.pickup_scheduled.map(clock::ymd_hms),
        "etd": c.etd.map(clock::ymd_hms),
        "scans": scans.iter().map(|s| activity_json(s, true)).collect::<Vec<_>>(),
        "is_return": 0, "channel_id": o.channel_id,
        "pod_status": if code == 7 { "OTP Based Delivery" } else { "" },
        "pod": if code == 7 { "Available" } else { "Not Available" },
        "qc_image": "", "qc_failure_reason": "",
    })
}

/// POSTs one webhook per scan that became due since the last flush, oldest first.
pub async fn flush(app: &App) {
    let _one_at_a_time = app.flush_lock.lock().await;
    let (url, token, mut batch) = {
        let mut guard = app.lock();
        let st = &mut *guard;
        let now = st.now();
        let url = st.cfg.webhook_url.clone();
        let token = st.cfg.webhook_token.clone();
        let orders = &st.orders;
        let mut batch: Vec<(OffsetDateTime, String, Value)> = Vec::new();
        for c in st.consignments.values_mut() {
            let due = c.due(now).len();
            if url.is_some()
                && let Some(o) = orders.get(c.order)
            {
                for i in c.webhooks_sent..due {
                    batch.push((c.scans[i].at, c.awb.clone(), payload(c, o, i)));
                }
            }
            c.webhooks_sent = c.webhooks_sent.max(due);
        }
        (url, token, batch)
    };
    let Some(url) = url else { return };
    batch.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    for (_, _, body) in batch {
        let mut req = app.http.post(&url).json(&body);
        if let Some(t) = &token {
            req = req.header("x-api-key", t);
        }
        let ok = matches!(req.send().await, Ok(r) if r.status().is_success());
        let counter = if ok {
            &app.webhooks_delivered
        } else {
            &app.webhooks_failed
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_urls_with_banned_keywords_are_refused() {
        assert!(check_webhook_url("http://127.0.0.1:9/hooks/shiprocket").is_err());
        assert!(check_webhook_url("http://127.0.0.1:9/api/sr-hook").is_err());
        assert!(check_webhook_url("http://127.0.0.1:9/webhooks/tracking").is_ok());
    }
}
