//! `GET /api/v1/orders` and `GET /api/v1/orders/{order_number}`.

use axum::Json;
use axum::extract::State;
use orderly_domain::OrderStatus;
use orderly_domain::intake::FieldError;
use orderly_store::orders::{self, Cursor, ListQuery, OrderDetail, OrderSummary, View};
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::macros::offset;
use time::{Date, OffsetDateTime, Time};
use utoipa::{IntoParams, ToSchema};

use super::auth::ApiCaller;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiPath, ApiQuery};
use crate::app::AppState;

/// Filters of the order list; all optional, combined with AND.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// `placed`, `processing`, `shipped`, `delivered`, `cancelled` or `returned` (empty: any).
    #[param(pattern = "^(placed|processing|shipped|delivered|cancelled|returned)?$")]
    pub status: Option<String>,
    /// `failed_shipments` or `sla_at_risk` (empty: none).
    #[param(pattern = "^(failed_shipments|sla_at_risk)?$")]
    pub view: Option<String>,
    /// Order number, customer email, phone (any common spelling) or AWB.
    #[param(pattern = "^[^\\u0000]*$")]
    pub q: Option<String>,
    /// Placed at or after: RFC 3339 instant, or a date (start of that day in IST).
    #[param(schema_with = time_bound)]
    pub placed_from: Option<String>,
    /// Placed before: RFC 3339 instant, or a date (the whole day in IST is included).
    #[param(schema_with = time_bound)]
    pub placed_to: Option<String>,
    /// The `next_cursor` of the previous page (empty: the first page).
    #[param(schema_with = cursor_schema)]
    pub cursor: Option<String>,
    /// Rows per page, 1–100 (default 25).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

/// A time bound as accepted: an RFC 3339 instant, a `YYYY-MM-DD` date, or empty (no bound).
fn time_bound() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{AnyOfBuilder, KnownFormat, ObjectBuilder, SchemaFormat, Type};
    let string = |format: KnownFormat| {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(format)))
    };
    AnyOfBuilder::new()
        .item(string(KnownFormat::DateTime))
        .item(string(KnownFormat::Date))
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .max_length(Some(0)),
        )
        .build()
        .into()
}

/// An opaque page cursor (`format: orderly-cursor`): a `next_cursor` from this list, or empty.
fn cursor_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaFormat, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::Custom("orderly-cursor".into())))
        .pattern(Some("^[A-Za-z0-9_-]*$"))
        .build()
}

/// One page of orders, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderList {
    /// The rows.
    pub orders: Vec<OrderSummary>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Lists orders. Needs an API key with `orders:read`.
#[utoipa::path(
    get, path = "/api/v1/orders", tag = "orders", params(ListParams),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "A page of orders", body = OrderList),
        (status = 401, description = "No or unknown API key", body = ErrorBody),
        (status = 403, description = "The key lacks orders:read", body = ErrorBody),
        (status = 422, description = "Invalid filters", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<OrderList>, ApiError> {
    caller.require("orders:read")?;
    let query = list_query(&params, state.clock.now(), state.settings.sla_hours)?;
    let page = orders::list(&state.store, &query).await?;
    Ok(Json(OrderList {
        orders: page.orders,
        next_cursor: page.next.map(|c| c.encode()),
    }))
}

/// Turns query parameters into a store query, collecting every invalid parameter.
/// `sla_hours` is how long an order may wait before it counts as SLA at risk.
pub fn list_query(
    p: &ListParams,
    now: OffsetDateTime,
    sla_hours: i64,
) -> Result<ListQuery, ApiError> {
    let mut errors = Vec::new();
    let mut field = |name: &str, message: String| {
        errors.push(FieldError {
            pointer: format!("/{name}"),
            message,
        })
    };
    let status = match p.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => match OrderStatus::parse(s) {
            Some(st) => Some(st.as_str().to_string()),
            None => {
                field(
                    "status",
                    format!(
                        "unknown status {s:?}; use placed, processing, shipped, delivered, cancelled or returned"
                    ),
                );
                None
            }
        },
    };
    let view = match p.view.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some("failed_shipments") => Some(View::FailedShipments),
        Some("sla_at_risk") => Some(View::SlaAtRisk {
            placed_before: now - time::Duration::hours(sla_hours),
        }),
        Some(other) => {
            field(
                "view",
                format!("unknown view {other:?}; use failed_shipments or sla_at_risk"),
            );
            None
        }
    };
    let placed_from = parse_bound(p.placed_from.as_deref(), false).unwrap_or_else(|m| {
        field("placed_from", m);
        None
    });
    let placed_to = parse_bound(p.placed_to.as_deref(), true).unwrap_or_else(|m| {
        field("placed_to", m);
        None
    });
    let cursor = match p.cursor.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(c) => Cursor::decode(c).or_else(|| {
            field("cursor", "not a cursor from a previous page".into());
            None
        }),
    };
    if p.q
        .as_deref()
        .is_some_and(|q| q.chars().count() > MAX_SEARCH)
    {
        field("q", format!("search for at most {MAX_SEARCH} characters"));
    }
    let limit = p.limit.unwrap_or(25);
    if !(1..=100).contains(&limit) {
        field(
            "limit",
            format!("limit must be between 1 and 100, got {limit}"),
        );
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    Ok(ListQuery {
        status,
        view,
        search: p.q.as_deref().and_then(crate::search::classify),
        placed_from,
        placed_to,
        cursor,
        limit,
    })
}

/// Longest search text (an order number, email, phone or AWB is far shorter).
pub const MAX_SEARCH: usize = 200;

/// Parses an RFC 3339 instant or a `YYYY-MM-DD` date in IST. An end date includes its whole day.
fn parse_bound(v: Option<&str>, end: bool) -> Result<Option<OffsetDateTime>, String> {
    let Some(v) = v.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    if let Ok(t) = OffsetDateTime::parse(v, &Rfc3339) {
        return Ok(Some(t));
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = Date::parse(v, &format)
        .map_err(|_| format!("{v:?} is neither an RFC 3339 time nor a YYYY-MM-DD date"))?;
    let date = if end {
        date.next_day().unwrap_or(date)
    } else {
        date
    };
    Ok(Some(
        date.with_time(Time::MIDNIGHT).assume_offset(offset!(+5:30)),
    ))
}

/// One order with items, addresses and status history. Needs an API key with `orders:read`.
#[utoipa::path(
    get, path = "/api/v1/orders/{order_number}", tag = "orders",
    params(("order_number" = String, Path, description = "The checkout's order number")),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "The order", body = OrderDetail),
        (status = 401, description = "No or unknown API key", body = ErrorBody),
        (status = 403, description = "The key lacks orders:read", body = ErrorBody),
        (status = 404, description = "No such order", body = ErrorBody),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(order_number): ApiPath<String>,
) -> Result<Json<OrderDetail>, ApiError> {
    caller.require("orders:read")?;
    match orders::get(&state.store, &order_number).await? {
        Some(o) => Ok(Json(o)),
        None => Err(ApiError::not_found(format!("no order {order_number}"))),
    }
}
