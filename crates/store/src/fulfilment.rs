//! The fulfilment side of the store: status transitions with optimistic concurrency, shipment
//! attempts (the saga's persisted steps), notes, batches, idempotency keys and tracking events.

mod batches;
mod cancel_intent;
mod idempotency;
mod leases;
mod notes;
mod shipments;
mod tracking;
mod transition;
mod waiting;

pub use batches::{
    Batch, BatchJob, batch, claim_next_job, close_if_done, create_batch, finish_job, open_batches,
    requeue_running,
};
pub use cancel_intent::{
    CancelIntent, cancel_intent, clear_cancel_intent, pending_cancel_intents, set_cancel_intent,
};
pub use idempotency::{
    IdempotentResponse, Reservation, complete as idempotency_complete,
    lookup as idempotency_lookup, release as idempotency_release, remember as idempotency_remember,
    reserve as idempotency_reserve,
};
pub use leases::{claim_lease, release_lease, renew_lease};
pub use notes::{Note, add_note, notes};
pub use shipments::{
    Shipment, ShipmentUpdate, cancel_all, insert_attempt, load as load_shipment, open_for_order,
    runnable, shipments, update_fields,
};
pub use tracking::{
    TrackedShipment, mark_picked_up, record_event, set_tracking_status, shipment_by_awb,
    stale_shipped, tracking_status,
};
pub use transition::{
    OrderRef, Transition, load_order, set_flag, set_shipping_info, transition,
    update_shipping_address,
};
pub use waiting::{Waiting, park, resume_waiting, waiting};
