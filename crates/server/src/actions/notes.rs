//! Internal notes: author, time, text; visible to all staff.

use orderly_domain::intake::FieldError;
use orderly_store::audit::{self, AuditEntry};
use orderly_store::fulfilment;

use super::{ActionError, Actor, announce};
use crate::app::AppState;

/// Longest note accepted.
const MAX_NOTE: usize = 2000;

/// Adds a note to an order (any status).
pub async fn add_note(
    state: &AppState,
    order_number: &str,
    text: &str,
    actor: &Actor,
) -> Result<(), ActionError> {
    let body = text.trim();
    if body.is_empty() || body.chars().count() > MAX_NOTE {
        return Err(ActionError::Invalid(vec![FieldError {
            pointer: "/text".into(),
            message: format!("a note is 1 to {MAX_NOTE} characters"),
        }]));
    }
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    let order = fulfilment::load_order(&mut tx, order_number)
        .await?
        .ok_or(ActionError::NotFound)?;
    fulfilment::add_note(&mut tx, order.id, actor.as_str(), body, now).await?;
    audit::append(
        &mut tx,
        &AuditEntry {
            at: now,
            actor: actor.as_str(),
            action: "order.note_added",
            entity: "order",
            entity_id: order_number,
            detail: serde_json::json!({ "length": body.chars().count() }),
        },
    )
    .await?;
    tx.commit().await?;
    announce(state, order_number, "note");
    Ok(())
}
