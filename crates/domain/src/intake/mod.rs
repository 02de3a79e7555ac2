//! `OrderPlaced` v1 intake: raw bytes in, a validated [`OrderPlaced`] or every field error out.
//!
//! The body is parsed to a `serde_json::Value` and walked by hand, so each invalid field is
//! reported with its RFC 6901 pointer, wrong types are named as such, and unknown fields are
//! ignored. [`order_placed_json`] is the exact inverse. The wire format is in `EVENTS-DRAFT.md`.

mod data;
mod emit;
mod walk;

pub use data::{CITY_MAX, CUSTOMER_ID_MAX, ITEMS_MAX, NAME_MAX, SKU_MAX, TAX_BPS_MAX, UNITS_MAX};
pub use emit::order_placed_json;
pub use walk::MAX_PAISE;

use crate::order::NewOrder;
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;
use walk::{Walker, describe};

/// The event type this module reads.
pub const EVENT_TYPE: &str = "OrderPlaced";
/// The event version this module reads.
pub const EVENT_VERSION: u64 = 1;
/// Longest event id.
pub const EVENT_ID_MAX: usize = 128;

/// One invalid field: where it is and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// RFC 6901 JSON pointer into the request body, e.g. `/data/items/1/units`.
    pub pointer: String,
    /// What is wrong, for the person who wrote the payload.
    pub message: String,
}

/// Why a body is not a valid `OrderPlaced` event.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IntakeError {
    /// Not JSON, or not a JSON object.
    #[error("request body is not a JSON object: {0}")]
    Malformed(String),
    /// Well-formed JSON with one or more invalid fields (all of them are listed).
    #[error("{} invalid field(s): {}", .0.len(), summary(.0))]
    Invalid(Vec<FieldError>),
}

fn summary(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{} {}", e.pointer, e.message))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A validated `OrderPlaced` v1 event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderPlaced {
    /// The event id (1..=128 characters; UUIDv7 recommended). Consumers de-duplicate by it.
    pub id: String,
    /// When checkout emitted the event (UTC).
    pub occurred_at: OffsetDateTime,
    /// The order.
    pub order: NewOrder,
}

/// Parses and validates an `OrderPlaced` v1 envelope `{id, type, version, occurred_at, data}`.
///
/// # Errors
/// [`IntakeError::Malformed`] when the body is not a JSON object; otherwise
/// [`IntakeError::Invalid`] listing every invalid field.
pub fn parse_order_placed(body: &[u8]) -> Result<OrderPlaced, IntakeError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| IntakeError::Malformed(e.to_string()))?;
    let Value::Object(env) = &value else {
        return Err(IntakeError::Malformed(format!(
            "expected an object, got {}",
            describe(&value)
        )));
    };
    let mut w = Walker::default();
    let id = w.req_text(env, "", "id", EVENT_ID_MAX);
    match w.required(env, "", "type") {
        Some(Value::String(t)) if t == EVENT_TYPE => {}
        Some(other) => w.err(
            "/type",
            format!("expected \"{EVENT_TYPE}\", got {}", shown(other)),
        ),
        None => {}
    }
    match w.required(env, "", "version") {
        Some(Value::Number(n)) if n.as_u64() == Some(EVENT_VERSION) => {}
        Some(other) => w.err(
            "/version",
            format!(
                "unsupported version {}; this endpoint reads version {EVENT_VERSION}",
                shown(other)
            ),
        ),
        None => {}
    }
    let occurred_at = w
        .required(env, "", "occurred_at")
        .and_then(|v| data::rfc3339(&mut w, v, "/occurred_at"));
    let order = w
        .required(env, "", "data")
        .and_then(|v| w.object(v, "/data"))
        .and_then(|d| data::new_order(&mut w, d, "/data"));
    if !w.errors.is_empty() {
        return Err(IntakeError::Invalid(w.errors));
    }
    match (id, occurred_at, order) {
        (Some(id), Some(occurred_at), Some(order)) => Ok(OrderPlaced {
            id,
            occurred_at,
            order,
        }),
        _ => Err(IntakeError::Invalid(vec![FieldError {
            pointer: String::new(),
            message: "the event could not be read".into(),
        }])),
    }
}

/// A short rendering of a value for "got ..." (type names quoted as strings, since they are ours).
fn shown(v: &Value) -> String {
    match v {
        Value::String(s) if s.chars().count() <= 40 && !s.chars().any(char::is_control) => {
            format!("\"{s}\"")
        }
        other => describe(other),
    }
}
