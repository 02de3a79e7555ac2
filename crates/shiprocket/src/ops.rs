//! Operator-facing messages for every error: what happened and what to do, without secrets or PII.

use crate::error::Error;

impl Error {
    /// A sentence an operations person can act on. Contains no credentials; undecodable bodies are
    /// shown only as a short excerpt with long digit runs masked.
    pub fn ops_message(&self) -> String {
        match self {
            Self::Transport { message } => format!(
                "Could not reach Shiprocket ({message}). Check the network and ORDERLY_SHIPROCKET_URL; the call can be retried."
            ),
            Self::Timeout { after } => format!(
                "Shiprocket did not answer within {:.1} s; it may be slow or down. Retry later.",
                after.as_secs_f64()
            ),
            Self::RateLimited { retry_after } => match retry_after {
                Some(d) => format!(
                    "Shiprocket rate limit reached; retry after {} s. Lower ORDERLY_SHIPROCKET_RPM if this keeps happening.",
                    d.as_secs().max(1)
                ),
                None => "Shiprocket rate limit reached; retry in a minute. Lower ORDERLY_SHIPROCKET_RPM if this keeps happening.".to_owned(),
            },
            Self::Unauthorized { message } => format!(
                "Shiprocket rejected the API login ({message}). Check ORDERLY_SHIPROCKET_EMAIL and ORDERLY_SHIPROCKET_PASSWORD: they must be an API user (Settings → API), not the panel login."
            ),
            Self::Forbidden { message } => format!(
                "The Shiprocket API user is not allowed to do this ({message}). Enable the module for the API user under Settings → API, or finish account activation/KYC."
            ),
            Self::Validation { message, fields } => {
                if fields.is_empty() {
                    format!("Shiprocket rejected the data: {message}")
                } else {
                    let list: Vec<String> = fields
                        .iter()
                        .map(|f| format!("{}: {}", f.field, f.messages.join(" ")))
                        .collect();
                    format!("Shiprocket rejected the data ({message}) — {}", list.join("; "))
                }
            }
            Self::NotServiceable { message } => format!(
                "No courier can serve this pickup/delivery pincode pair ({message}). Check the pincode, weight and COD flag, or ship another way."
            ),
            Self::CourierRefused { message } => format!(
                "The courier assignment was refused: {message}. Choose another courier or retry later."
            ),
            Self::InsufficientBalance { message } => format!(
                "Shiprocket wallet balance is too low ({message}). Recharge the wallet, then retry the shipment."
            ),
            Self::WrongPickupLocation { message, valid } => {
                if valid.is_empty() {
                    format!("Shiprocket does not know this pickup location ({message}). Nicknames are case- and space-sensitive; see Settings → Pickup Addresses.")
                } else {
                    format!(
                        "Shiprocket does not know this pickup location ({message}). Valid nicknames: {}. They are case- and space-sensitive.",
                        valid.join(", ")
                    )
                }
            }
            Self::AwbAlreadyAssigned { message, awb } => match awb {
                Some(a) => format!("This shipment already has AWB {a} ({message}); use it instead of assigning again."),
                None => format!("This shipment already has an AWB ({message}); read the shipment back to get it."),
            },
            Self::AlreadyInPickupQueue { message } => format!(
                "The pickup for this shipment is already requested ({message}); nothing to do."
            ),
            Self::AlreadyManifested { message, shipment_ids } => format!(
                "A manifest already exists for shipment(s) {shipment_ids:?} ({message}); drop them from the request."
            ),
            Self::NotFound { message } => format!("Shiprocket does not know this record: {message}."),
            Self::Rejected { status, message } => {
                let hint = if message.contains("billing/shipping address") {
                    " Check the pickup location nickname, a non-empty billing e-mail and the company billing profile in the panel."
                } else {
                    ""
                };
                format!("Shiprocket refused the request (HTTP {status}): {message}.{hint}")
            }
            Self::ServerError { status, message, retryable } => {
                if *retryable {
                    format!("Shiprocket had a server error (HTTP {status}: {message}). Usually temporary; retry later.")
                } else {
                    format!("Shiprocket failed on this input (HTTP {status}: {message}). Check the ids sent; retrying will not help.")
                }
            }
            Self::Undecodable { status, excerpt, .. } => format!(
                "Shiprocket sent a response the client does not understand (HTTP {status}): \"{excerpt}\". Report it to engineering."
            ),
            Self::CircuitOpen { retry_in } => format!(
                "Shiprocket calls are paused after repeated failures; a trial call is allowed in {} s. Shipments queue meanwhile.",
                retry_in.as_secs().max(1)
            ),
            Self::Config { message } => format!("The Shiprocket client is misconfigured: {message}."),
        }
    }
}
