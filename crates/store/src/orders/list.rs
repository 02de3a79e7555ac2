//! The order list: filters that each hit an index, newest first, keyset (cursor) pagination.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use time::OffsetDateTime;

use super::{OrderSummary, SUMMARY_COLUMNS, read::summary_from_row};
use crate::{Store, StoreError, to_micros};

/// A position in the list: the last row of the previous page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// `placed_at` of that row, unix microseconds.
    pub placed_at: i64,
    /// Its internal id (breaks ties).
    pub id: i64,
}

impl Cursor {
    /// The opaque text form handed to clients.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}:{}", self.placed_at, self.id))
    }

    /// Parses the opaque text form; `None` when it is not one of ours.
    pub fn decode(s: &str) -> Option<Cursor> {
        let raw = URL_SAFE_NO_PAD.decode(s.as_bytes()).ok()?;
        let text = std::str::from_utf8(&raw).ok()?;
        let (a, b) = text.split_once(':')?;
        Some(Cursor {
            placed_at: a.parse().ok()?,
            id: b.parse().ok()?,
        })
    }
}

/// A saved view beside the status filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// Orders whose last shipment attempt failed.
    FailedShipments,
    /// Orders placed before the instant and not yet shipped.
    SlaAtRisk {
        /// The SLA cut-off.
        placed_before: OffsetDateTime,
    },
}

/// A search term already classified by the caller: every field is an exact match on an indexed
/// column, tried together (any may match).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Search {
    /// Order number spellings to try (as typed, upper-cased).
    pub order_numbers: Vec<String>,
    /// Normalised email, when the text is one.
    pub email: Option<String>,
    /// Normalised 10-digit phone, when the text is one.
    pub phone: Option<String>,
    /// AWB to look for among shipments.
    pub awb: Option<String>,
}

/// What to list.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// Only this status (`placed`, …).
    pub status: Option<String>,
    /// A saved view.
    pub view: Option<View>,
    /// Search text, classified.
    pub search: Option<Search>,
    /// Placed at or after.
    pub placed_from: Option<OffsetDateTime>,
    /// Placed before.
    pub placed_to: Option<OffsetDateTime>,
    /// Continue after this row.
    pub cursor: Option<Cursor>,
    /// Rows per page (1..=100).
    pub limit: u32,
}

/// One page of orders.
#[derive(Debug, Clone)]
pub struct OrderPage {
    /// The rows, newest first.
    pub orders: Vec<OrderSummary>,
    /// Where the next page starts, when there is one.
    pub next: Option<Cursor>,
}

enum Bind {
    Int(i64),
    Text(String),
}

struct Sql {
    text: String,
    binds: Vec<Bind>,
}

impl Sql {
    fn bind(&mut self, b: Bind) -> String {
        self.binds.push(b);
        format!("${}", self.binds.len())
    }
}

/// Lists orders matching `q`.
pub async fn list(store: &Store, q: &ListQuery) -> Result<OrderPage, StoreError> {
    let limit = q.limit.clamp(1, 100);
    let mut sql = Sql {
        text: format!("SELECT {SUMMARY_COLUMNS} FROM orders WHERE 1 = 1"),
        binds: Vec::new(),
    };
    if let Some(status) = &q.status {
        let p = sql.bind(Bind::Text(status.clone()));
        sql.text.push_str(&format!(" AND status = {p}"));
    }
    match q.view {
        Some(View::FailedShipments) => sql.text.push_str(" AND shipment_failed IS NOT NULL"),
        Some(View::SlaAtRisk { placed_before }) => {
            let p = sql.bind(Bind::Int(to_micros(placed_before)));
            sql.text.push_str(&format!(
                " AND status IN ('placed', 'processing') AND placed_at < {p}"
            ));
        }
        None => {}
    }
    if let Some(search) = &q.search {
        let mut alternatives = Vec::new();
        for n in &search.order_numbers {
            let p = sql.bind(Bind::Text(n.clone()));
            alternatives.push(format!("order_number = {p}"));
        }
        if let Some(email) = &search.email {
            let p = sql.bind(Bind::Text(email.clone()));
            alternatives.push(format!("email = {p}"));
        }
        if let Some(phone) = &search.phone {
            let p = sql.bind(Bind::Text(phone.clone()));
            alternatives.push(format!("phone = {p}"));
        }
        if let Some(awb) = &search.awb {
            let p = sql.bind(Bind::Text(awb.clone()));
            alternatives.push(format!(
                "id IN (SELECT order_id FROM shipments WHERE awb = {p})"
            ));
        }
        if alternatives.is_empty() {
            sql.text.push_str(" AND 1 = 0");
        } else {
            sql.text
                .push_str(&format!(" AND ({})", alternatives.join(" OR ")));
        }
    }
    if let Some(from) = q.placed_from {
        let p = sql.bind(Bind::Int(to_micros(from)));
        sql.text.push_str(&format!(" AND placed_at >= {p}"));
    }
    if let Some(to) = q.placed_to {
        let p = sql.bind(Bind::Int(to_micros(to)));
        sql.text.push_str(&format!(" AND placed_at < {p}"));
    }
    if let Some(c) = q.cursor {
        let a = sql.bind(Bind::Int(c.placed_at));
        let b = sql.bind(Bind::Int(c.id));
        sql.text.push_str(&format!(
            " AND (placed_at < {a} OR (placed_at = {a} AND id < {b}))"
        ));
    }
    let p = sql.bind(Bind::Int(i64::from(limit) + 1));
    sql.text
        .push_str(&format!(" ORDER BY placed_at DESC, id DESC LIMIT {p}"));

    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.text));
    for b in sql.binds {
        query = match b {
            Bind::Int(i) => query.bind(i),
            Bind::Text(t) => query.bind(t),
        };
    }
    let rows = query.fetch_all(store.reader()).await?;
    let mut orders = rows
        .iter()
        .map(summary_from_row)
        .collect::<Result<Vec<_>, _>>()?;
    let next = if orders.len() > limit as usize {
        orders.truncate(limit as usize);
        orders.last().map(|o| Cursor {
            placed_at: crate::to_micros(o.placed_at),
            id: o.id,
        })
    } else {
        None
    };
    Ok(OrderPage { orders, next })
}

/// How many orders there are in each status.
pub async fn count_by_status(store: &Store) -> Result<Vec<(String, i64)>, StoreError> {
    use sqlx::Row;
    let rows = sqlx::query("SELECT status, COUNT(*) AS n FROM orders GROUP BY status")
        .fetch_all(store.reader())
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("status")?, r.try_get("n")?)))
        .collect()
}

/// A cheap query proving the database answers.
pub async fn count_ping(store: &Store) -> Result<(), StoreError> {
    sqlx::query("SELECT 1").fetch_one(store.reader()).await?;
    Ok(())
}

/// How many orders are stored.
pub async fn count_all(store: &Store) -> Result<i64, StoreError> {
    use sqlx::Row;
    let row = sqlx::query("SELECT COUNT(*) AS n FROM orders")
        .fetch_one(store.reader())
        .await?;
    Ok(row.try_get("n")?)
}
