//! The crash-safe shipment saga. One attempt moves `requested → sr_order_created → courier_chosen →
//! awb_assigned → pickup_scheduled → done` (or `failed` / `cancelled`); the result of every
//! Shiprocket call is committed before the next call, so a crash anywhere resumes where it stopped
//! and never creates a second shipment:
//!
//! - creating the Shiprocket order is safe to repeat (Shiprocket returns the existing order for a
//!   repeated channel order id);
//! - before assigning an AWB again, the shipment is read back and an AWB already there is taken;
//! - the AWB, the order's `shipped` status and `OrderShipped` are committed in one transaction.

use orderly_domain::OrderStatus;
use orderly_domain::shipment::Step;
use orderly_store::fulfilment::{self, Shipment, ShipmentUpdate};
use orderly_store::orders;

use super::{assign_awb, choose_courier, create_order, documents, outcome, pickup};
use crate::app::AppState;

/// Where a test wants the saga to stop, simulating a crash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopAt {
    /// Run to the end.
    Never,
    /// Stop before the step named (nothing of it done).
    Before(&'static str),
    /// Make the step's Shiprocket call, then stop before committing its result.
    AfterCall(&'static str),
}

/// What a step decided.
#[derive(Debug)]
pub(crate) enum Next {
    /// Go on with the next step.
    Continue,
    /// Stop for now (finished, failed, waiting for a retry, or a simulated crash).
    Stop,
}

/// Runs attempt `id` from its persisted step until it ends, waits, or reaches `stop`.
pub async fn run(state: &AppState, id: i64, stop: StopAt) -> anyhow::Result<()> {
    let Some(sr) = state.shiprocket.clone() else {
        anyhow::bail!("Shiprocket is not configured");
    };
    for _ in 0..32 {
        let mut conn = state.store.reader().acquire().await?;
        let sh = fulfilment::load_shipment(&mut conn, id).await?;
        drop(conn);
        if sh.step.is_terminal() {
            return Ok(());
        }
        if stop == StopAt::Before(step_name(sh.step)) {
            return Ok(());
        }
        let mut conn = state.store.reader().acquire().await?;
        let summary = orders::get_summary_by_id(&mut conn, sh.order_id).await?;
        drop(conn);
        if summary.status == OrderStatus::Cancelled {
            outcome::abandon(state, &sr, &sh).await?;
            return Ok(());
        }
        if fulfilment::cancel_intent(&state.store, sh.order_id)
            .await?
            .is_some()
        {
            // A cancellation is under way: no new Shiprocket work; the order ends cancelled (the
            // attempt is then abandoned) or the intent is cleared and the saga goes on.
            return Ok(());
        }
        if !sh.step.has_awb() {
            // No new shipment work while fulfilment is off for this order; work past the AWB finishes.
            if let Err(off) = crate::feature::check(state, &summary.order_number, &sh.actor).await {
                outcome::fail(state, &sh, "feature_disabled", &off.reason, None).await?;
                return Ok(());
            }
        }
        let after_call = matches!(stop, StopAt::AfterCall(s) if s == step_name(sh.step));
        let next = match sh.step {
            Step::Requested => create_order::create_order(state, &sr, &sh, after_call).await?,
            Step::SrOrderCreated => {
                choose_courier::choose_courier(state, &sr, &sh, after_call).await?
            }
            Step::CourierChosen => assign_awb::assign_awb(state, &sr, &sh, after_call).await?,
            Step::AwbAssigned => pickup::schedule_pickup(state, &sr, &sh, after_call).await?,
            Step::PickupScheduled => documents::documents(state, &sr, &sh, after_call).await?,
            Step::Done | Step::Failed | Step::Cancelled => return Ok(()),
        };
        if matches!(next, Next::Stop) {
            return Ok(());
        }
    }
    Ok(())
}

/// The public name of the work done in each step (used by `StopAt`).
fn step_name(step: Step) -> &'static str {
    match step {
        Step::Requested => "create_order",
        Step::SrOrderCreated => "choose_courier",
        Step::CourierChosen => "assign_awb",
        Step::AwbAssigned => "schedule_pickup",
        Step::PickupScheduled => "documents",
        Step::Done | Step::Failed | Step::Cancelled => "end",
    }
}

/// Every step boundary, in order, for crash tests.
pub const STEPS: &[&str] = &[
    "create_order",
    "choose_courier",
    "assign_awb",
    "schedule_pickup",
    "documents",
];

/// Commits `u` if the attempt is still in `expect_step`; false when it moved on meanwhile.
pub(crate) async fn save(
    state: &AppState,
    sh: &Shipment,
    expect_step: Step,
    u: &ShipmentUpdate,
) -> anyhow::Result<bool> {
    let mut conn = state.store.writer().acquire().await?;
    Ok(fulfilment::update_fields(&mut conn, sh.id, expect_step, u, state.clock.now()).await?)
}
