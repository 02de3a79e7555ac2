//! Batches: N orders, one job each, run with bounded concurrency in the background; resumable.

use std::sync::Arc;
use std::time::Duration;

use orderly_domain::OrderStatus;
use orderly_domain::intake::FieldError;
use orderly_domain::order::ORDER_NUMBER_MAX_LEN;
use orderly_domain::shipment::Step;
use orderly_store::fulfilment;
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;
use utoipa::ToSchema;

use super::shipment::{ShipmentOutcome, request, wait};
use super::{ActionError, Actor};
use crate::app::AppState;

/// What a batch does to each order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BatchKind {
    /// Generate a shipment (marking placed orders processing first).
    GenerateShipments,
    /// Mark as processing.
    MarkProcessing,
}

impl BatchKind {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            BatchKind::GenerateShipments => "generate_shipments",
            BatchKind::MarkProcessing => "mark_processing",
        }
    }
}

/// Largest batch accepted.
pub const MAX_BATCH: usize = 1000;
/// Orders worked on at once (Shiprocket's rate limiter paces the calls).
const CONCURRENCY: usize = 4;
/// How long one job waits for its shipment before reporting it as still retrying.
const JOB_BUDGET: Duration = Duration::from_secs(900);

/// The order numbers trimmed and de-duplicated in first-seen order. The count and each length are
/// checked first, so the work is bounded whatever is sent; de-duplication is linear.
fn unique_order_numbers(order_numbers: &[String]) -> Result<Vec<String>, ActionError> {
    let invalid = |message: String| {
        ActionError::Invalid(vec![FieldError {
            pointer: "/order_numbers".into(),
            message,
        }])
    };
    let count = || format!("send 1 to {MAX_BATCH} order numbers");
    if order_numbers.len() > MAX_BATCH {
        return Err(invalid(count()));
    }
    if order_numbers
        .iter()
        .any(|n| n.chars().count() > ORDER_NUMBER_MAX_LEN)
    {
        return Err(invalid(format!(
            "an order number is at most {ORDER_NUMBER_MAX_LEN} characters"
        )));
    }
    let mut seen = std::collections::HashSet::with_capacity(order_numbers.len());
    let unique: Vec<String> = order_numbers
        .iter()
        .map(|n| n.trim())
        .filter(|n| !n.is_empty() && seen.insert(*n))
        .map(str::to_string)
        .collect();
    if unique.is_empty() {
        return Err(invalid(count()));
    }
    Ok(unique)
}

/// Starts a batch and returns its id; progress is in `GET /api/v1/batches/{id}`.
pub async fn start_batch(
    state: &AppState,
    kind: BatchKind,
    order_numbers: &[String],
    actor: &Actor,
) -> Result<i64, ActionError> {
    let unique = unique_order_numbers(order_numbers)?;
    if kind == BatchKind::GenerateShipments && state.shiprocket.is_none() {
        return Err(ActionError::NotConfigured);
    }
    let id = fulfilment::create_batch(
        &state.store,
        kind.as_str(),
        actor.as_str(),
        &unique,
        state.clock.now(),
    )
    .await?;
    let bg = state.clone();
    tokio::spawn(async move { run_batch(bg, id).await });
    Ok(id)
}

/// Resumes every unfinished batch after a restart: jobs a crash left running go back to pending.
pub async fn resume_batches(state: AppState) {
    let Ok(open) = fulfilment::open_batches(&state.store).await else {
        return;
    };
    for id in open {
        if let Err(e) = fulfilment::requeue_running(&state.store, id).await {
            tracing::warn!(batch = id, error = %e, "could not requeue a batch's jobs");
            continue;
        }
        tracing::info!(batch = id, "resuming batch");
        tokio::spawn(run_batch(state.clone(), id));
    }
}

/// Works through a batch's pending jobs.
pub async fn run_batch(state: AppState, id: i64) {
    let Ok(Some(batch)) = fulfilment::batch(&state.store, id).await else {
        return;
    };
    let kind = if batch.kind == BatchKind::MarkProcessing.as_str() {
        BatchKind::MarkProcessing
    } else {
        BatchKind::GenerateShipments
    };
    let actor = Actor::system(&batch.actor);
    let permits = Arc::new(Semaphore::new(CONCURRENCY));
    let mut running = Vec::new();
    loop {
        let Ok(permit) = permits.clone().acquire_owned().await else {
            break;
        };
        // On shutdown, claim nothing new; the rest is resumed at the next start.
        if state.shutdown.is_triggered() {
            break;
        }
        let now = state.clock.now();
        let job = match fulfilment::claim_next_job(&state.store, id, now).await {
            Ok(Some(job)) => job,
            Ok(None) => break,
            Err(e) => {
                tracing::warn!(batch = id, error = %e, "could not claim a batch job");
                break;
            }
        };
        let (state, actor) = (state.clone(), actor.clone());
        running.push(tokio::spawn(async move {
            let (ok, message, awb) = run_job(&state, kind, id, &job.order_number, &actor).await;
            let at = state.clock.now();
            if let Err(e) = fulfilment::finish_job(
                &state.store,
                id,
                job.position,
                ok,
                &message,
                awb.as_deref(),
                at,
            )
            .await
            {
                tracing::warn!(batch = id, error = %e, "could not record a batch result");
            }
            state.metrics.inc(
                "orderly_batch_jobs_total",
                &[
                    ("kind", kind.as_str()),
                    ("result", if ok { "succeeded" } else { "failed" }),
                ],
                1.0,
            );
            state.live.publish(&job.order_number, "batch");
            drop(permit);
        }));
    }
    for r in running {
        let _ = r.await;
    }
    if let Err(e) = fulfilment::close_if_done(&state.store, id, state.clock.now()).await {
        tracing::warn!(batch = id, error = %e, "could not close a finished batch");
    }
}

async fn run_job(
    state: &AppState,
    kind: BatchKind,
    batch: i64,
    order_number: &str,
    actor: &Actor,
) -> (bool, String, Option<String>) {
    if kind == BatchKind::MarkProcessing {
        return match super::mark_processing(state, order_number, None, actor).await {
            Ok(_) => (true, "marked as processing".into(), None),
            Err(e) => (false, e.to_string(), None),
        };
    }
    let order = orderly_store::orders::get(&state.store, order_number)
        .await
        .ok()
        .flatten();
    // A job resumed after a crash may find its order already shipped by this batch (the process
    // died after the shipment's commit, before the job's result): report that shipment.
    if let Some(o) = &order
        && let Ok(attempts) = fulfilment::shipments(&state.store, o.summary.id).await
        && let Some(sh) = attempts
            .iter()
            .find(|s| s.batch_id == Some(batch) && s.awb.is_some() && s.step != Step::Cancelled)
    {
        let awb = sh.awb.clone().unwrap_or_default();
        let courier = sh.courier_name.clone().unwrap_or_default();
        return (true, format!("AWB {awb} via {courier}"), Some(awb));
    }
    let placed = order.is_some_and(|o| o.summary.status == OrderStatus::Placed);
    if placed && let Err(e) = super::mark_processing(state, order_number, None, actor).await {
        return (false, e.to_string(), None);
    }
    let id = match request(state, order_number, None, None, Some(batch), actor).await {
        Ok(id) => id,
        Err(e) => return (false, e.to_string(), None),
    };
    let mut outcome = wait(state, id, JOB_BUDGET).await;
    // While Shiprocket is down the attempt waits for it (not failed): so does the job, so the batch
    // reports what really happened once Shiprocket is back.
    while matches!(outcome, Ok(ShipmentOutcome::Pending { .. }))
        && matches!(fulfilment::waiting(&state.store).await, Ok(Some(_)))
    {
        outcome = wait(state, id, JOB_BUDGET).await;
    }
    match outcome {
        Ok(ShipmentOutcome::Shipped {
            awb, courier_name, ..
        }) => (true, format!("AWB {awb} via {courier_name}"), Some(awb)),
        Ok(ShipmentOutcome::Failed { reason, .. }) => (false, reason, None),
        Ok(ShipmentOutcome::Pending { .. }) => (
            false,
            "Shiprocket is still failing; it keeps being retried in the background".into(),
            None,
        ),
        Err(e) => (false, e.to_string(), None),
    }
}
