//! The client's error taxonomy: one `Error` for every way a Shiprocket call can fail, with a
//! stable `ErrorKind` for metrics and storage and an `ops_message()` an operator can act on.

use std::time::Duration;

/// One validation complaint: a field name and Shiprocket's messages for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The request field (e.g. `billing_pincode`), or `""` when Shiprocket gave none.
    pub field: String,
    /// Shiprocket's messages for that field.
    pub messages: Vec<String>,
}

/// Everything that can go wrong calling Shiprocket.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The connection failed (DNS, refused, reset, TLS).
    #[error("transport error: {message}")]
    Transport {
        /// What the HTTP stack reported.
        message: String,
    },
    /// No answer within the request timeout or the call's retry budget.
    #[error("timed out after {after:?}")]
    Timeout {
        /// How long the attempt (or the whole call) waited.
        after: Duration,
    },
    /// HTTP 429 from Shiprocket, or the client-side limiter could not admit the call within budget.
    #[error("rate limited (retry after {retry_after:?})")]
    RateLimited {
        /// The server's `Retry-After`, or the limiter's wait.
        retry_after: Option<Duration>,
    },
    /// HTTP 401 even after one fresh login, or login itself refused the credentials.
    #[error("unauthorized: {message}")]
    Unauthorized {
        /// Shiprocket's message.
        message: String,
    },
    /// HTTP 403: the API user lacks a module permission, or the account is not activated.
    #[error("forbidden: {message}")]
    Forbidden {
        /// Shiprocket's message.
        message: String,
    },
    /// The request was rejected field by field (Laravel validation bag).
    #[error("validation failed: {message}")]
    Validation {
        /// The top-level message ("Oops! Invalid Data.").
        message: String,
        /// Every field error, in the order Shiprocket sent them.
        fields: Vec<FieldError>,
    },
    /// No courier serves the pickup/delivery pincode pair.
    #[error("not serviceable: {message}")]
    NotServiceable {
        /// Shiprocket's message.
        message: String,
    },
    /// AWB assignment refused by the courier or Shiprocket (often with HTTP 200 and `awb_assign_status: 0`).
    #[error("courier refused: {message}")]
    CourierRefused {
        /// The `awb_assign_error` or message text.
        message: String,
    },
    /// The Shiprocket wallet cannot pay for the label.
    #[error("insufficient wallet balance: {message}")]
    InsufficientBalance {
        /// Shiprocket's message.
        message: String,
    },
    /// The order names a pickup location nickname Shiprocket does not have.
    #[error("wrong pickup location: {message}")]
    WrongPickupLocation {
        /// Shiprocket's message.
        message: String,
        /// The nicknames Shiprocket listed as valid (may be empty).
        valid: Vec<String>,
    },
    /// The shipment already has an AWB (or cannot be reassigned).
    #[error("AWB already assigned: {message}")]
    AwbAlreadyAssigned {
        /// Shiprocket's message.
        message: String,
        /// The existing AWB, when the body carried it.
        awb: Option<String>,
    },
    /// The pickup for this shipment is already requested ("Already in Pickup Queue").
    #[error("already in pickup queue: {message}")]
    AlreadyInPickupQueue {
        /// Shiprocket's message.
        message: String,
    },
    /// A manifest was already generated for some of the shipments.
    #[error("manifest already generated: {message}")]
    AlreadyManifested {
        /// Shiprocket's message.
        message: String,
        /// The shipments Shiprocket named.
        shipment_ids: Vec<i64>,
    },
    /// The order, shipment, AWB or path does not exist.
    #[error("not found: {message}")]
    NotFound {
        /// Shiprocket's message.
        message: String,
    },
    /// Any other refusal: a 4xx without a field bag, or a 2xx body that reports failure.
    #[error("rejected (HTTP {status}): {message}")]
    Rejected {
        /// The HTTP status.
        status: u16,
        /// Shiprocket's message.
        message: String,
    },
    /// HTTP 5xx.
    #[error("server error (HTTP {status}): {message}")]
    ServerError {
        /// The HTTP status.
        status: u16,
        /// Shiprocket's message (or a masked excerpt of a non-JSON body).
        message: String,
        /// False for 500s that are really a rejected request (leaked PHP errors on bad input).
        retryable: bool,
    },
    /// The body could not be read as the expected shape.
    #[error("undecodable response (HTTP {status}): {detail}")]
    Undecodable {
        /// The HTTP status.
        status: u16,
        /// At most 200 characters of the body, with digit runs of 6 or more masked.
        excerpt: String,
        /// What the decoder complained about.
        detail: String,
    },
    /// The circuit breaker is open: the call was not sent.
    #[error("circuit open; retry in {retry_in:?}")]
    CircuitOpen {
        /// Time until the breaker lets a trial call through.
        retry_in: Duration,
    },
    /// The client was configured wrongly (bad base URL, TLS set-up).
    #[error("configuration error: {message}")]
    Config {
        /// What is wrong.
        message: String,
    },
}

/// A stable, copyable name for an error class, for metrics labels and database columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// See [`Error::Transport`].
    Transport,
    /// See [`Error::Timeout`].
    Timeout,
    /// See [`Error::RateLimited`].
    RateLimited,
    /// See [`Error::Unauthorized`].
    Unauthorized,
    /// See [`Error::Forbidden`].
    Forbidden,
    /// See [`Error::Validation`].
    Validation,
    /// See [`Error::NotServiceable`].
    NotServiceable,
    /// See [`Error::CourierRefused`].
    CourierRefused,
    /// See [`Error::InsufficientBalance`].
    InsufficientBalance,
    /// See [`Error::WrongPickupLocation`].
    WrongPickupLocation,
    /// See [`Error::AwbAlreadyAssigned`].
    AwbAlreadyAssigned,
    /// See [`Error::AlreadyInPickupQueue`].
    AlreadyInPickupQueue,
    /// See [`Error::AlreadyManifested`].
    AlreadyManifested,
    /// See [`Error::NotFound`].
    NotFound,
    /// See [`Error::Rejected`].
    Rejected,
    /// See [`Error::ServerError`].
    ServerError,
    /// See [`Error::Undecodable`].
    Undecodable,
    /// See [`Error::CircuitOpen`].
    CircuitOpen,
    /// See [`Error::Config`].
    Config,
}

impl ErrorKind {
    /// The snake_case name used in metrics and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Transport => "transport",
            Self::Timeout => "timeout",
            Self::RateLimited => "rate_limited",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::Validation => "validation",
            Self::NotServiceable => "not_serviceable",
            Self::CourierRefused => "courier_refused",
            Self::InsufficientBalance => "insufficient_balance",
            Self::WrongPickupLocation => "wrong_pickup_location",
            Self::AwbAlreadyAssigned => "awb_already_assigned",
            Self::AlreadyInPickupQueue => "already_in_pickup_queue",
            Self::AlreadyManifested => "already_manifested",
            Self::NotFound => "not_found",
            Self::Rejected => "rejected",
            Self::ServerError => "server_error",
            Self::Undecodable => "undecodable",
            Self::CircuitOpen => "circuit_open",
            Self::Config => "config",
        }
    }
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Error {
    /// The error's class.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Transport { .. } => ErrorKind::Transport,
            Self::Timeout { .. } => ErrorKind::Timeout,
            Self::RateLimited { .. } => ErrorKind::RateLimited,
            Self::Unauthorized { .. } => ErrorKind::Unauthorized,
            Self::Forbidden { .. } => ErrorKind::Forbidden,
            Self::Validation { .. } => ErrorKind::Validation,
            Self::NotServiceable { .. } => ErrorKind::NotServiceable,
            Self::CourierRefused { .. } => ErrorKind::CourierRefused,
            Self::InsufficientBalance { .. } => ErrorKind::InsufficientBalance,
            Self::WrongPickupLocation { .. } => ErrorKind::WrongPickupLocation,
            Self::AwbAlreadyAssigned { .. } => ErrorKind::AwbAlreadyAssigned,
            Self::AlreadyInPickupQueue { .. } => ErrorKind::AlreadyInPickupQueue,
            Self::AlreadyManifested { .. } => ErrorKind::AlreadyManifested,
            Self::NotFound { .. } => ErrorKind::NotFound,
            Self::Rejected { .. } => ErrorKind::Rejected,
            Self::ServerError { .. } => ErrorKind::ServerError,
            Self::Undecodable { .. } => ErrorKind::Undecodable,
            Self::CircuitOpen { .. } => ErrorKind::CircuitOpen,
            Self::Config { .. } => ErrorKind::Config,
        }
    }

    /// True when repeating the same call later may succeed (transport, timeout, 429, most 5xx,
    /// open circuit). The client already retried these within its budget before returning them.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Transport { .. }
            | Self::Timeout { .. }
            | Self::RateLimited { .. }
            | Self::CircuitOpen { .. } => true,
            Self::ServerError { retryable, .. } => *retryable,
            _ => false,
        }
    }

    /// The server's `Retry-After` (or the breaker's cool-down), when known.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after } => *retry_after,
            Self::CircuitOpen { retry_in } => Some(*retry_in),
            _ => None,
        }
    }
}

impl From<&Error> for ErrorKind {
    fn from(e: &Error) -> Self {
        e.kind()
    }
}

/// Masks every run of 6 or more digits with `#` (pincodes, phones, AWBs) and keeps at most 200 characters.
pub fn masked_excerpt(body: &str) -> String {
    let mut out = String::with_capacity(body.len().min(256));
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.len() >= 6 {
            out.extend(std::iter::repeat_n('#', run.len()));
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in body.chars() {
        if c.is_ascii_digit() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
        if out.chars().count() > 200 {
            break;
        }
    }
    flush(&mut run, &mut out);
    out.chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_mask_pincodes_and_phones_and_stay_short() {
        let body = format!(
            "<html>call 9876543210 at 110030 or 12345{}",
            "x".repeat(500)
        );
        let e = masked_excerpt(&body);
        assert!(e.chars().count() <= 200);
        assert!(!e.contains("9876543210") && !e.contains("110030"));
        assert!(e.contains("##########") && e.contains("12345"));
    }

    #[test]
    fn a_digit_run_at_the_cut_is_still_masked() {
        let body = format!("{}98765432101234", "a".repeat(195));
        let e = masked_excerpt(&body);
        assert_eq!(e.chars().count(), 200);
        assert!(!e.contains("98765"), "{e}");
    }

    #[test]
    fn kinds_have_stable_names_and_retryability() {
        let e = Error::RateLimited {
            retry_after: Some(Duration::from_secs(7)),
        };
        assert_eq!(e.kind().as_str(), "rate_limited");
        assert!(e.is_retryable());
        assert!(e.ops_message().contains("7 s"));
        let v = Error::Validation {
            message: "Oops! Invalid Data.".into(),
            fields: vec![FieldError {
                field: "order_id".into(),
                messages: vec!["required".into()],
            }],
        };
        assert!(!v.is_retryable());
        assert!(v.ops_message().contains("order_id: required"));
    }
}
