//! `GET /orders`: the order list. Status tabs with live counts (plus "Failed shipments" and "SLA at
//! risk"), one search box, a date range, 25 rows a page with keyset pagination, new orders
//! highlighted, checkboxes for bulk actions. Filters live in the URL (and the script mirrors them
//! into `sessionStorage`). A failed load shows the spec's message with a Retry button.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use http::StatusCode;
use orderly_domain::order::PaymentMethod;
use orderly_store::accounts::Role;
use orderly_store::orders::{self, OrderSummary, View};
use serde::Deserialize;

use super::format::{inr, ist, relative, status_label};
use super::{Session, WebError, urlencode};
use crate::api::orders::{ListParams, list_query};
use crate::app::AppState;

/// Shown when the list cannot be loaded (spec 1.4).
pub const LOAD_FAILED: &str = "Unable to load orders. Please refresh or try again later.";

/// The tabs, in order: `(key, label)`.
pub const TABS: &[(&str, &str)] = &[
    ("all", "All"),
    ("placed", "Placed"),
    ("processing", "Processing"),
    ("shipped", "Shipped"),
    ("delivered", "Delivered"),
    ("cancelled", "Cancelled"),
    ("failed", "Failed shipments"),
    ("sla", "SLA at risk"),
];

/// Query parameters of the list page.
#[derive(Debug, Default, Deserialize)]
pub struct ListPage {
    /// One of [`TABS`]' keys.
    pub tab: Option<String>,
    /// Search text.
    pub q: Option<String>,
    /// Placed from (YYYY-MM-DD, IST).
    pub from: Option<String>,
    /// Placed to, inclusive (YYYY-MM-DD, IST).
    pub to: Option<String>,
    /// The next page's cursor.
    pub cursor: Option<String>,
}

/// One tab link.
#[derive(Debug)]
pub struct Tab {
    key: &'static str,
    label: &'static str,
    count: i64,
    href: String,
    active: bool,
}

/// One row as shown.
#[derive(Debug)]
pub struct Row {
    number: String,
    href: String,
    placed_rel: String,
    placed_ist: String,
    customer: String,
    total: String,
    payment: String,
    status: String,
    status_label: String,
    flags: Vec<(&'static str, String)>,
    new: bool,
}

#[derive(Template)]
#[template(path = "orders.html")]
struct OrdersPage {
    /// The automatic-rollback banner, when fulfilment was switched off by the guard.
    banner: Option<String>,
    /// The "waiting for Shiprocket" banner while Shiprocket is down (since when, how many wait).
    outage: Option<String>,
    email: String,
    role: &'static str,
    csrf: String,
    can_act: bool,
    tabs: Vec<Tab>,
    tab: String,
    q: String,
    from: String,
    to: String,
    rows: Vec<Row>,
    next_href: Option<String>,
    first_href: Option<String>,
    error: Option<String>,
    notice: Option<String>,
}

fn filter_query(tab: &str, q: &str, from: &str, to: &str) -> String {
    let mut s = format!("tab={}", urlencode(tab));
    for (k, v) in [("q", q), ("from", from), ("to", to)] {
        if !v.is_empty() {
            s.push_str(&format!("&{k}={}", urlencode(v)));
        }
    }
    s
}

/// Flags as `(css class, text)`; text conveys what colour does.
fn flags(o: &OrderSummary) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if let Some(r) = &o.flags.shipment_failed {
        out.push(("flag-bad", format!("Shipment Failed: {r}")));
    }
    if let Some(r) = &o.flags.address_suspect {
        out.push(("flag-warn", format!("Check address: {r}")));
    }
    if let Some(r) = &o.flags.pickup_error {
        out.push(("flag-warn", format!("Pickup problem: {r}")));
    }
    if let Some(r) = &o.flags.ndr {
        out.push(("flag-bad", format!("Delivery failed: {r}")));
    }
    out
}

/// Builds a list row.
pub fn row(o: &OrderSummary, now: time::OffsetDateTime) -> Row {
    Row {
        number: o.order_number.clone(),
        href: format!("/orders/{}", urlencode(&o.order_number)),
        placed_rel: relative(o.placed_at, now),
        placed_ist: ist(o.placed_at),
        customer: o.customer_name.clone(),
        total: inr(o.total_paise),
        payment: format!(
            "{} · {}",
            if o.payment_method == PaymentMethod::Cod {
                "COD"
            } else {
                "Prepaid"
            },
            status_label(&o.payment_status)
        ),
        status: o.status.as_str().to_string(),
        status_label: status_label(o.status.as_str()),
        flags: flags(o),
        new: !o.seen,
    }
}

impl Row {
    /// The flags, `(css class, text)`.
    pub fn flags_owned(self) -> Vec<(&'static str, String)> {
        self.flags
    }
}

/// `GET /orders`.
pub async fn page(
    State(state): State<AppState>,
    session: Session,
    Query(p): Query<ListPage>,
) -> Result<Response, WebError> {
    let now = state.clock.now();
    let tab = p
        .tab
        .as_deref()
        .filter(|t| TABS.iter().any(|(k, _)| k == t))
        .unwrap_or("all")
        .to_string();
    let q = p.q.clone().unwrap_or_default().trim().to_string();
    let from = p.from.clone().unwrap_or_default();
    let to = p.to.clone().unwrap_or_default();
    let base = filter_query(&tab, &q, &from, &to);
    let params = ListParams {
        status: TABS[1..6]
            .iter()
            .find(|(k, _)| *k == tab)
            .map(|(k, _)| k.to_string()),
        q: Some(q.clone()),
        placed_from: Some(from.clone()),
        placed_to: Some(to.clone()),
        cursor: p.cursor.clone(),
        limit: Some(25),
        ..ListParams::default()
    };
    let mut notice = None;
    let mut query = match list_query(&params, now, state.settings.sla_hours) {
        Ok(query) => query,
        Err(_) => {
            notice = Some(
                "Some filters were not valid (dates are YYYY-MM-DD); showing orders without them."
                    .to_string(),
            );
            list_query(
                &ListParams {
                    limit: Some(25),
                    ..ListParams::default()
                },
                now,
                state.settings.sla_hours,
            )
            .map_err(|_| WebError::internal("default list query refused"))?
        }
    };
    query.view = match tab.as_str() {
        "failed" => Some(View::FailedShipments),
        "sla" => Some(View::SlaAtRisk {
            placed_before: now - time::Duration::hours(state.settings.sla_hours),
        }),
        _ => None,
    };
    let counts = super::counts::current(&state).await.ok();
    let listed = orders::list(&state.store, &query).await;
    let (rows, next, error) = match listed {
        Ok(page) => (
            page.orders.iter().map(|o| row(o, now)).collect(),
            page.next
                .map(|c| format!("/orders?{base}&cursor={}", c.encode())),
            None,
        ),
        Err(e) => {
            tracing::error!(error = %e, "order list failed to load");
            (Vec::new(), None, Some(LOAD_FAILED.to_string()))
        }
    };
    let tabs = TABS
        .iter()
        .map(|(key, label)| Tab {
            key,
            label,
            count: counts.as_ref().map_or(0, |c| match *key {
                "all" => c.all,
                "failed" => c.failed_shipments,
                "sla" => c.sla_at_risk,
                s => c.status(s),
            }),
            href: format!("/orders?{}", filter_query(key, &q, &from, &to)),
            active: *key == tab,
        })
        .collect();
    let failed = error.is_some();
    let page = OrdersPage {
        banner: crate::feature::banner(&state).await,
        outage: crate::outage::banner(&state).await,
        email: session.email().to_string(),
        role: session.role().as_str(),
        csrf: session.csrf().to_string(),
        can_act: session.role() >= Role::Operator,
        tabs,
        first_href: p.cursor.as_ref().map(|_| format!("/orders?{base}")),
        tab,
        q,
        from,
        to,
        rows,
        next_href: next,
        error,
        notice,
    };
    let mut response = super::render(&page)?;
    if failed {
        *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    }
    Ok(response)
}
