//! Shipment figures from the `shipments` and `orders` tables: a rolling window for the rollback
//! guard, and per-stage figures (over the periods a stage was in force) for the rollout report.
//!
//! An attempt is *settled* when it reached an AWB (`awb_assigned`, `pickup_scheduled`, `done`) or
//! `failed`; cancelled and in-flight attempts are not judged.

use orderly_domain::feature::{Integrity, StageFigures, WindowStats};
use orderly_domain::shipment::Step;
use sqlx::Row;
use time::OffsetDateTime;

use crate::{Store, StoreError, to_micros};

/// The typed step of a grouped `shipments` row (an unknown stored step is an error, never a guess).
fn settled_step(r: &sqlx::any::AnyRow) -> Result<Step, StoreError> {
    let stored: String = r.try_get("step")?;
    Step::parse(&stored)
        .ok_or_else(|| StoreError::Corrupt(format!("shipments: unknown step {stored:?}")))
}

/// Shipment attempts settled (last updated) in `[since, until)`.
pub async fn window_stats(
    store: &Store,
    since: OffsetDateTime,
    until: OffsetDateTime,
) -> Result<WindowStats, StoreError> {
    let rows = sqlx::query(
        "SELECT step, failure_class, COUNT(*) AS n FROM shipments
         WHERE updated_at >= $1 AND updated_at < $2
           AND step IN ('awb_assigned', 'pickup_scheduled', 'done', 'failed')
         GROUP BY step, failure_class",
    )
    .bind(to_micros(since))
    .bind(to_micros(until))
    .fetch_all(store.reader())
    .await?;
    let mut stats = WindowStats::default();
    for r in &rows {
        let step = settled_step(r)?;
        let class: Option<String> = r.try_get("failure_class")?;
        let n: i64 = r.try_get("n")?;
        stats.record(
            step != Step::Failed,
            class.as_deref(),
            n.max(0).unsigned_abs(),
        );
    }
    Ok(stats)
}

/// The spec's critical data loss among orders touched in `[since, until)`: orders with two live
/// shipments (two non-cancelled attempts with an AWB, or two `OrderShipped` events), and orders
/// whose shipment was lost (an attempt holds an AWB but the order is still placed or processing,
/// or the order is shipped without an AWB, so it cannot be tracked).
pub async fn integrity(
    store: &Store,
    since: OffsetDateTime,
    until: OffsetDateTime,
) -> Result<Integrity, StoreError> {
    let count = |sql: &'static str| async move {
        let n: i64 = sqlx::query(sql)
            .bind(to_micros(since))
            .bind(to_micros(until))
            .fetch_one(store.reader())
            .await?
            .try_get("n")?;
        Ok::<u64, StoreError>(n.max(0).unsigned_abs())
    };
    let duplicated = count(
        "SELECT COUNT(*) AS n FROM (
            SELECT order_id FROM shipments WHERE awb IS NOT NULL AND step <> 'cancelled'
            GROUP BY order_id HAVING COUNT(*) > 1 AND MAX(updated_at) >= $1 AND MIN(updated_at) < $2
          UNION
            SELECT order_id FROM outbox WHERE event_type = 'OrderShipped' AND order_id IS NOT NULL
            GROUP BY order_id HAVING COUNT(*) > 1 AND MAX(occurred_at) >= $1 AND MIN(occurred_at) < $2
         ) d",
    )
    .await?;
    let lost = count(
        "SELECT COUNT(*) AS n FROM (
            SELECT s.order_id FROM shipments s JOIN orders o ON o.id = s.order_id
            WHERE s.awb IS NOT NULL AND s.step IN ('awb_assigned', 'pickup_scheduled', 'done')
              AND o.status IN ('placed', 'processing') AND s.updated_at >= $1 AND s.updated_at < $2
          UNION
            SELECT id AS order_id FROM orders
            WHERE status = 'shipped' AND awb IS NULL AND updated_at >= $1 AND updated_at < $2
         ) l",
    )
    .await?;
    Ok(Integrity { duplicated, lost })
}

/// `(s.created_at >= $1 AND s.created_at < $2) OR …` for `periods`, starting at placeholder 1. Only
/// placeholder numbers are formatted into the text; every value is bound.
fn period_clause(periods: &[(OffsetDateTime, OffsetDateTime)]) -> String {
    let parts: Vec<String> = (0..periods.len())
        .map(|i| {
            format!(
                "(s.created_at >= ${} AND s.created_at < ${})",
                2 * i + 1,
                2 * i + 2
            )
        })
        .collect();
    parts.join(" OR ")
}

fn bind_periods<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    periods: &[(OffsetDateTime, OffsetDateTime)],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    for (from, to) in periods {
        q = q.bind(to_micros(*from)).bind(to_micros(*to));
    }
    q
}

const SUCCESS: &str = "('awb_assigned', 'pickup_scheduled', 'done')";

/// Figures for shipment attempts created during `periods` (the times a stage was in force):
/// settled attempts, orders fulfilled, AWBs, and time-to-ship (placed → shipped) with the share
/// shipped within `sla`.
pub async fn stage_figures(
    store: &Store,
    periods: &[(OffsetDateTime, OffsetDateTime)],
    sla: time::Duration,
) -> Result<StageFigures, StoreError> {
    let mut f = StageFigures::default();
    if periods.is_empty() {
        return Ok(f);
    }
    let within = period_clause(periods);
    let attempts = format!(
        "SELECT s.step, s.failure_class, COUNT(*) AS n,
                SUM(CASE WHEN s.awb IS NOT NULL THEN 1 ELSE 0 END) AS awbs
         FROM shipments s
         WHERE s.step IN ('awb_assigned', 'pickup_scheduled', 'done', 'failed') AND ({within})
         GROUP BY s.step, s.failure_class"
    );
    for r in &bind_periods(sqlx::query(sqlx::AssertSqlSafe(attempts)), periods)
        .fetch_all(store.reader())
        .await?
    {
        let step = settled_step(r)?;
        let class: Option<String> = r.try_get("failure_class")?;
        let n: i64 = r.try_get("n")?;
        let succeeded = step != Step::Failed;
        f.stats
            .record(succeeded, class.as_deref(), n.max(0).unsigned_abs());
        if succeeded {
            let awbs: Option<i64> = r.try_get("awbs")?;
            f.awbs += awbs.unwrap_or(0).max(0).unsigned_abs();
        }
    }
    let fulfilled = format!(
        "SELECT COUNT(DISTINCT s.order_id) AS n FROM shipments s WHERE s.step IN {SUCCESS} AND ({within})"
    );
    let n: i64 = bind_periods(sqlx::query(sqlx::AssertSqlSafe(fulfilled)), periods)
        .fetch_one(store.reader())
        .await?
        .try_get("n")?;
    f.orders_fulfilled = n.max(0).unsigned_abs();
    time_to_ship(store, periods, &within, sla, &mut f).await?;
    Ok(f)
}

async fn time_to_ship(
    store: &Store,
    periods: &[(OffsetDateTime, OffsetDateTime)],
    within: &str,
    sla: time::Duration,
    f: &mut StageFigures,
) -> Result<(), StoreError> {
    let durations = format!(
        "WITH t AS (SELECT o.shipped_at - o.placed_at AS d FROM orders o
                    WHERE o.shipped_at IS NOT NULL AND o.id IN
                      (SELECT s.order_id FROM shipments s WHERE s.step IN {SUCCESS} AND ({within})))"
    );
    let sla_param = 2 * periods.len() + 1;
    let totals = format!(
        "{durations} SELECT COUNT(*) AS n, CAST(COALESCE(SUM(d), 0) AS BIGINT) AS total,
            CAST(COALESCE(SUM(CASE WHEN d <= ${sla_param} THEN 1 ELSE 0 END), 0) AS BIGINT) AS on_time FROM t"
    );
    let row = bind_periods(sqlx::query(sqlx::AssertSqlSafe(totals)), periods)
        .bind(sla.whole_microseconds().clamp(0, i128::from(i64::MAX)) as i64)
        .fetch_one(store.reader())
        .await?;
    let n: i64 = row.try_get("n")?;
    if n <= 0 {
        return Ok(());
    }
    let total: i64 = row.try_get("total")?;
    let on_time: i64 = row.try_get("on_time")?;
    f.shipped_orders = n.unsigned_abs();
    f.on_time = on_time.max(0).unsigned_abs();
    f.mean_ship_secs = Some(total / n / 1_000_000);
    let median = format!("{durations} SELECT d FROM t ORDER BY d LIMIT 2 OFFSET ${sla_param}");
    let rows = bind_periods(sqlx::query(sqlx::AssertSqlSafe(median)), periods)
        .bind((n - 1) / 2)
        .fetch_all(store.reader())
        .await?;
    let mid: Vec<i64> = rows
        .iter()
        .map(|r| r.try_get::<i64, _>("d"))
        .collect::<Result<_, _>>()?;
    let median_us = match (n % 2, mid.as_slice()) {
        (0, [a, b]) => (a + b) / 2,
        (_, [a, ..]) => *a,
        _ => 0,
    };
    f.median_ship_secs = Some(median_us / 1_000_000);
    Ok(())
}

/// When the first shipment attempt was created, if any (the start of a GA that was configured
/// rather than switched on).
pub async fn first_shipment_at(store: &Store) -> Result<Option<OffsetDateTime>, StoreError> {
    let at: Option<i64> = sqlx::query("SELECT MIN(created_at) AS at FROM shipments")
        .fetch_one(store.reader())
        .await?
        .try_get("at")?;
    Ok(at.map(crate::from_micros))
}
