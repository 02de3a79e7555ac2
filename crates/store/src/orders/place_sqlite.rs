//! The SQLite intake writer: one thread with its own connection takes every `OrderPlaced` and
//! commits them in groups (one `IMMEDIATE` transaction, a savepoint per order, cached prepared
//! statements). SQLite allows one writer anyway; grouping turns a commit and a thread hand-off per
//! statement into one of each per group. Semantics are exactly those of [`super::place`].

use std::sync::mpsc;

use orderly_domain::order::NewOrder;
use rusqlite::{OptionalExtension, TransactionBehavior, params};
use time::OffsetDateTime;
use tokio::sync::oneshot;

use super::{Flags, IntakeOutcome, OrderSummary, SUMMARY_COLUMNS};
use crate::bulk_sqlite::{append_audit, err, insert_history, insert_items, insert_order_row};
use crate::{StoreError, from_micros, to_micros};

/// Orders committed together at most.
const GROUP: usize = 64;

struct Job {
    order: NewOrder,
    hash: String,
    event_id: String,
    source: String,
    actor: String,
    received_at: OffsetDateTime,
    address_suspect: Option<String>,
    reply: oneshot::Sender<Result<IntakeOutcome, StoreError>>,
}

/// Handle to the writer thread; the thread ends when the last handle is dropped.
#[derive(Debug)]
pub(crate) struct IntakeWriter {
    jobs: mpsc::Sender<Job>,
}

impl IntakeWriter {
    /// Opens a connection to `path` and starts the thread.
    pub(crate) fn start(path: &str) -> Result<IntakeWriter, StoreError> {
        let conn = rusqlite::Connection::open(path).map_err(err)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(err)?;
        let (jobs, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("sqlite-intake".into())
            .spawn(move || run(conn, rx))
            .map_err(|e| StoreError::Bulk(e.to_string()))?;
        Ok(IntakeWriter { jobs })
    }

    /// Stores `order` unless it is already there (see [`super::place`]).
    pub(crate) async fn place(
        &self,
        order: &NewOrder,
        hash: &str,
        meta: &super::PlacedMeta<'_>,
    ) -> Result<IntakeOutcome, StoreError> {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            order: order.clone(),
            hash: hash.to_string(),
            event_id: meta.event_id.to_string(),
            source: meta.source.to_string(),
            actor: meta.actor.to_string(),
            received_at: meta.received_at,
            address_suspect: meta.address_suspect.clone(),
            reply,
        };
        self.jobs
            .send(job)
            .map_err(|_| StoreError::Bulk("the intake writer stopped".into()))?;
        answer
            .await
            .map_err(|_| StoreError::Bulk("the intake writer stopped".into()))?
    }
}

fn run(mut conn: rusqlite::Connection, rx: mpsc::Receiver<Job>) {
    while let Ok(first) = rx.recv() {
        let mut group = vec![first];
        while group.len() < GROUP {
            match rx.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        match commit_group(&mut conn, &group) {
            Ok(outcomes) => {
                for (job, outcome) in group.into_iter().zip(outcomes) {
                    let _ = job.reply.send(outcome);
                }
            }
            Err(e) => {
                let busy = e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy);
                for job in group {
                    let failure = if busy {
                        StoreError::Db(sqlx::Error::PoolTimedOut)
                    } else {
                        StoreError::Bulk(e.to_string())
                    };
                    let _ = job.reply.send(Err(failure));
                }
            }
        }
    }
}

fn commit_group(
    conn: &mut rusqlite::Connection,
    group: &[Job],
) -> Result<Vec<Result<IntakeOutcome, StoreError>>, rusqlite::Error> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut outcomes = Vec::with_capacity(group.len());
    for job in group {
        tx.execute_batch("SAVEPOINT one")?;
        let outcome = place_one(&tx, job);
        match &outcome {
            Ok(IntakeOutcome::Created(_) | IntakeOutcome::Duplicate(_)) => {
                tx.execute_batch("RELEASE one")?
            }
            _ => tx.execute_batch("ROLLBACK TO one; RELEASE one")?,
        }
        outcomes.push(outcome);
    }
    tx.commit()?;
    Ok(outcomes)
}

fn place_one(tx: &rusqlite::Transaction<'_>, j: &Job) -> Result<IntakeOutcome, StoreError> {
    let seen: Option<(i64, String)> = tx
        .prepare_cached("SELECT order_id, content_hash FROM processed_events WHERE event_id = ?1")
        .map_err(err)?
        .query_row(params![j.event_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
        .map_err(err)?;
    if let Some((order_id, seen_hash)) = seen {
        let summary = summary(tx, order_id)?;
        return Ok(
            if seen_hash == j.hash && summary.order_number == j.order.order_number.as_str() {
                IntakeOutcome::Duplicate(summary)
            } else {
                IntakeOutcome::EventIdReused(summary)
            },
        );
    }
    let now = to_micros(j.received_at);
    if insert_order_row(tx, &j.order, now, &j.hash, j.address_suspect.clone())? == 0 {
        let (id, existing): (i64, String) = tx
            .prepare_cached("SELECT id, content_hash FROM orders WHERE order_number = ?1")
            .map_err(err)?
            .query_row(params![j.order.order_number.as_str()], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .map_err(err)?;
        let summary = summary(tx, id)?;
        if existing != j.hash {
            return Ok(IntakeOutcome::Conflict(summary));
        }
        record_event(tx, j, id, now)?;
        return Ok(IntakeOutcome::Duplicate(summary));
    }
    let id = tx.last_insert_rowid();
    insert_items(tx, id, &j.order)?;
    insert_history(
        tx,
        id,
        &j.actor,
        &format!("received via {}", j.source),
        to_micros(j.order.placed_at),
    )?;
    let detail = serde_json::json!({
        "event_id": j.event_id,
        "source": j.source,
        "content_hash": j.hash,
        "total_paise": j.order.total.paise(),
        "address_suspect": j.address_suspect.is_some(),
    });
    append_audit(
        tx,
        now,
        &j.actor,
        "order.placed",
        "order",
        j.order.order_number.as_str(),
        &detail.to_string(),
    )?;
    record_event(tx, j, id, now)?;
    Ok(IntakeOutcome::Created(summary(tx, id)?))
}

fn record_event(
    tx: &rusqlite::Transaction<'_>,
    j: &Job,
    order_id: i64,
    now: i64,
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO processed_events (event_id, source, order_id, content_hash, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (event_id) DO NOTHING",
    )
    .map_err(err)?
    .execute(params![j.event_id, j.source, order_id, j.hash, now])
    .map_err(err)?;
    Ok(())
}

/// The list-row summary of order `id`, read through this connection.
fn summary(tx: &rusqlite::Transaction<'_>, id: i64) -> Result<OrderSummary, StoreError> {
    let sql = format!("SELECT {SUMMARY_COLUMNS} FROM orders WHERE id = ?1");
    let mut stmt = tx.prepare_cached(&sql).map_err(err)?;
    let corrupt = |e: StoreError| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    };
    stmt.query_row(params![id], |r| {
        let id: i64 = r.get("id")?;
        let status: String = r.get("status")?;
        let payment: String = r.get("payment_method")?;
        Ok(OrderSummary {
            id,
            order_number: r.get("order_number")?,
            placed_at: from_micros(r.get("placed_at")?),
            status: super::read::typed_status(id, &status).map_err(corrupt)?,
            version: r.get("version")?,
            customer_name: r.get("customer_name")?,
            email: r.get("email")?,
            phone: r.get("phone")?,
            total_paise: r.get("total_paise")?,
            payment_method: super::read::typed_payment(id, &payment).map_err(corrupt)?,
            payment_status: r.get("payment_status")?,
            flags: Flags {
                address_suspect: r.get("address_suspect")?,
                shipment_failed: r.get("shipment_failed")?,
                pickup_error: r.get("pickup_error")?,
                ndr: r.get("ndr")?,
            },
            awb: r.get("awb")?,
            courier_name: r.get("courier_name")?,
            tracking_url: r.get("tracking_url")?,
            seen: r.get::<_, Option<i64>>("seen_at")?.is_some(),
        })
    })
    .map_err(err)
}
