//! Business operations, shared by the JSON API and the dashboard. Each is one transaction that
//! carries its status history, audit entry and outbox events; live updates and outbox delivery are
//! announced after commit.

mod address;
mod batch;
mod cancel;
mod notes;
mod processing;
pub(crate) use processing::status_changed;
mod shipment;
mod tracking;

pub use address::edit_shipping_address;
pub use batch::{BatchKind, MAX_BATCH, resume_batches, run_batch, start_batch};
pub use cancel::cancel_order;
pub use notes::add_note;
pub use processing::mark_processing;
pub use shipment::{
    ShipmentOutcome, generate_shipment, quotes, request as request_shipment, retry_shipment,
};
pub use tracking::{TrackingResult, TrackingUpdate, apply_tracking};

use orderly_domain::intake::FieldError;
use orderly_store::StoreError;

use crate::app::AppState;

/// Who did something: recorded in history, audit and notes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor(String);

impl Actor {
    /// A dashboard user.
    pub fn user(email: &str) -> Actor {
        Actor(format!("user:{email}"))
    }

    /// A machine caller.
    pub fn api_key(prefix: &str) -> Actor {
        Actor(format!("apikey:{prefix}"))
    }

    /// A background process (`worker`, `tracking`, `batch`, …).
    pub fn system(name: &str) -> Actor {
        Actor(name.to_string())
    }

    /// The recorded form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

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

/// Announces a committed change: live dashboards and the outbox dispatcher.
pub(crate) fn announce(state: &AppState, order_number: &str, kind: &'static str) {
    state.live.publish(order_number, kind);
    state.live.notify_outbox();
}

/// The shipment failure reason shown on the order.
pub(crate) fn failure_reason(message: &str) -> String {
    message.trim_end_matches('.').to_string()
}
