//! What every committed change to an order shares, whoever makes it (an action or the shipment
//! saga): who did it ([`Actor`]), the audit entry and `OrderStatusChanged` event of a status change
//! ([`status_changed`]), and the announcement to live dashboards and the outbox ([`announce`]).

use orderly_domain::OrderStatus;
use orderly_store::StoreError;
use orderly_store::audit::{self, AuditEntry};
use orderly_store::fulfilment::OrderRef;
use orderly_store::outbox;

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

/// The audit entry and `OrderStatusChanged` event every transition writes, in the caller's
/// transaction.
pub(crate) async fn status_changed(
    tx: &mut orderly_store::Tx<'_>,
    order: &OrderRef,
    to: OrderStatus,
    actor: &Actor,
    reason: Option<&str>,
    at: time::OffsetDateTime,
) -> Result<(), StoreError> {
    audit::append(
        tx,
        &AuditEntry {
            at,
            actor: actor.as_str(),
            action: "order.status_changed",
            entity: "order",
            entity_id: &order.order_number,
            detail: serde_json::json!({ "from": order.status, "to": to, "reason": reason }),
        },
    )
    .await?;
    outbox::append(
        tx,
        outbox::types::ORDER_STATUS_CHANGED,
        1,
        Some((order.id, &order.order_number)),
        at,
        serde_json::json!({
            "order_number": order.order_number,
            "from": order.status,
            "to": to,
            "actor": actor.as_str(),
            "reason": reason,
            "at": at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
        }),
    )
    .await?;
    Ok(())
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
