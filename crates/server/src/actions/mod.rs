//! Business operations, shared by the JSON API and the dashboard. Each is one transaction that
//! carries its status history, audit entry and outbox events; live updates and outbox delivery are
//! announced after commit.

mod address;
mod batch;
mod cancel;
mod notes;
mod processing;
mod shipment;
mod tracking;

pub use address::edit_shipping_address;
pub use batch::{BatchKind, MAX_BATCH, resume_batches, run_batch, start_batch};
pub use cancel::{cancel_order, finish_pending_cancels};
pub use notes::add_note;
pub use processing::mark_processing;
pub use shipment::{
    ShipmentOutcome, generate_shipment, quotes, request as request_shipment, retry_shipment,
};
pub use tracking::{TrackingResult, TrackingUpdate, apply_tracking};

use orderly_domain::intake::FieldError;
use orderly_store::StoreError;

pub use crate::changes::Actor;
pub(crate) use crate::changes::{announce, failure_reason, status_changed};

use crate::app::AppState;

/// Why an action did not happen. `Display` is a sentence for people.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// No such order (or shipment).
    #[error("no such order")]
    NotFound,
    /// The order changed since the caller read it.
    #[error("this order changed, reload")]
    Stale,
    /// The action is not allowed in the order's state.
    #[error("{0}")]
    NotAllowed(String),
    /// The input is invalid.
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// Fulfilment is switched off for this order.
    #[error("{0}")]
    FeatureDisabled(String),
    /// Shiprocket refused or failed; the message says what to do.
    #[error("{0}")]
    Shiprocket(String),
    /// Shiprocket is not configured.
    #[error(
        "Shiprocket is not configured: set ORDERLY_SHIPROCKET_EMAIL and ORDERLY_SHIPROCKET_PASSWORD"
    )]
    NotConfigured,
    /// Something broke on our side (logged).
    #[error("something went wrong on our side; it has been logged")]
    Internal(String),
}

impl From<StoreError> for ActionError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ActionError::NotFound,
            StoreError::Conflict(m) if m.contains("changed") => ActionError::Stale,
            StoreError::Conflict(m) => ActionError::NotAllowed(m),
            other => {
                tracing::error!(error = %other, "store error in an action");
                ActionError::Internal(other.to_string())
            }
        }
    }
}

impl From<sqlx::Error> for ActionError {
    fn from(e: sqlx::Error) -> Self {
        ActionError::from(StoreError::Db(e))
    }
}

/// Refuses with `FeatureDisabled` unless fulfilment is open for this order and actor.
pub(crate) async fn gate(
    state: &AppState,
    order_number: &str,
    actor: &Actor,
) -> Result<(), ActionError> {
    crate::feature::check(state, order_number, actor.as_str())
        .await
        .map_err(|d| ActionError::FeatureDisabled(d.reason))
}
