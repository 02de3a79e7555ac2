//! Turns an HTTP status plus body into either a JSON value to decode or an [`Error`].
//!
//! Shiprocket reports errors in several envelopes (see the reference §1.1) and sometimes inside a
//! 2xx body, so classification looks at the HTTP status *and* at in-body markers.

use std::time::Duration;

use serde_json::Value;

use crate::error::{Error, FieldError, masked_excerpt};
use crate::flex::{value_to_i64, value_to_string};

/// PHP errors leaked on bad input: a 500 carrying one of these will fail the same way again.
const DETERMINISTIC_500: &[&str] = &[
    "invalid argument supplied for foreach",
    "trying to get property",
    "non-object",
    "undefined index",
    "undefined offset",
];

/// Classifies a response. `Ok(Value::Null)` means an empty 2xx body.
pub(crate) fn classify(
    endpoint: &'static str,
    status: u16,
    retry_after: Option<Duration>,
    body: &[u8],
) -> Result<Value, Error> {
    let text = String::from_utf8_lossy(body);
    let parsed: Option<Value> = if text.trim().is_empty() {
        Some(Value::Null)
    } else {
        serde_json::from_slice(body).ok()
    };
    let Some(value) = parsed else {
        return Err(non_json(status, retry_after, &text));
    };
    if (200..300).contains(&status) {
        if let Some(code) = body_status(&value) {
            return Err(from_status(endpoint, code, None, &value));
        }
        return Ok(value);
    }
    Err(from_status(endpoint, status, retry_after, &value))
}

/// A non-JSON body (HTML from nginx, a plain-text login failure, garbage in a 2xx).
fn non_json(status: u16, retry_after: Option<Duration>, text: &str) -> Error {
    let excerpt = masked_excerpt(text.trim());
    match status {
        429 => Error::RateLimited { retry_after },
        401 => Error::Unauthorized { message: excerpt },
        403 => Error::Forbidden { message: excerpt },
        500..=599 => Error::ServerError {
            status,
            message: excerpt,
            retryable: true,
        },
        _ => Error::Undecodable {
            status,
            excerpt,
            detail: "body is not JSON".to_owned(),
        },
    }
}

/// An error code carried inside a 2xx body: `status_code` ≥ 400 or `status` ≥ 400.
fn body_status(v: &Value) -> Option<u16> {
    let obj = v.as_object()?;
    ["status_code", "status"]
        .iter()
        .filter_map(|k| obj.get(*k).and_then(value_to_i64))
        .find(|c| (400..600).contains(c))
        .and_then(|c| u16::try_from(c).ok())
}

/// The human message of an error body (`message`, `error`, or a plain string body).
pub(crate) fn message_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Object(m) => ["message", "error", "awb_assign_error", "response"]
            .iter()
            .find_map(|k| m.get(*k).and_then(value_to_string))
            .unwrap_or_default(),
        _ => String::new(),
    }
}

/// The Laravel field bag, from `errors` or from a `message` that is itself the bag.
fn field_errors(v: &Value) -> Vec<FieldError> {
    let bag = v
        .get("errors")
        .filter(|e| e.is_object())
        .or_else(|| v.get("message").filter(|m| m.is_object()));
    let Some(Value::Object(map)) = bag else {
        return Vec::new();
    };
    map.iter()
        .map(|(field, msgs)| FieldError {
            field: field.clone(),
            messages: match msgs {
                Value::Array(a) => a.iter().filter_map(value_to_string).collect(),
                other => value_to_string(other).into_iter().collect(),
            },
        })
        .collect()
}

/// Finds an AWB anywhere the known bodies put it.
fn awb_in(v: &Value) -> Option<String> {
    [
        v.get("awb_code"),
        v.get("awb"),
        v.pointer("/response/data/awb_code"),
        v.pointer("/data/awb_code"),
    ]
    .into_iter()
    .flatten()
    .find_map(value_to_string)
}

/// Maps a refusal message (4xx body or `awb_assign_error`) to the most specific error.
pub(crate) fn refusal(status: u16, message: String, v: &Value) -> Error {
    let m = message.to_ascii_lowercase();
    if m.contains("pickup location") && (m.contains("wrong") || m.contains("choose")) {
        let valid = v
            .get("data")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|d| {
                        d.get("pickup_location")
                            .and_then(value_to_string)
                            .or_else(|| value_to_string(d))
                    })
                    .collect()
            })
            .unwrap_or_default();
        return Error::WrongPickupLocation { message, valid };
    }
    if m.contains("already assigned") || m.contains("cannot reassign") {
        return Error::AwbAlreadyAssigned {
            awb: awb_in(v),
            message,
        };
    }
    if m.contains("already in pickup queue") {
        return Error::AlreadyInPickupQueue { message };
    }
    if m.contains("insufficient") || m.contains("recharge") || m.contains("wallet") {
        return Error::InsufficientBalance { message };
    }
    if m.contains("manifest already generated")
        || v.get("already_manifested_shipment_ids").is_some()
    {
        let shipment_ids = v
            .get("already_manifested_shipment_ids")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(value_to_i64).collect())
            .unwrap_or_default();
        return Error::AlreadyManifested {
            message,
            shipment_ids,
        };
    }
    if m.contains("not serviceable") || m.contains("no courier") || m.contains("unserviceable") {
        return Error::NotServiceable { message };
    }
    let fields = field_errors(v);
    if !fields.is_empty() || status == 422 {
        let message = if message.is_empty() {
            "Invalid data".to_owned()
        } else {
            message
        };
        return Error::Validation { message, fields };
    }
    let missing =
        m.contains("not found") || m.contains("does not exist") || m.contains("not exists");
    if missing && !m.contains("channel") {
        return Error::NotFound { message };
    }
    Error::Rejected { status, message }
}

/// Classifies a JSON error body by its (HTTP or in-body) status code.
fn from_status(
    endpoint: &'static str,
    status: u16,
    retry_after: Option<Duration>,
    v: &Value,
) -> Error {
    let message = message_of(v);
    match status {
        429 => Error::RateLimited { retry_after },
        401 => Error::Unauthorized { message },
        403 => Error::Forbidden { message },
        404 if endpoint == "courier/serviceability" && !message.contains("404 Not Found") => {
            if message.to_ascii_lowercase().contains("order") {
                Error::NotFound { message }
            } else {
                Error::NotServiceable { message }
            }
        }
        404 => Error::NotFound { message },
        408 => Error::Timeout {
            after: Duration::ZERO,
        },
        500..=599 => {
            let lower = message.to_ascii_lowercase();
            let retryable = status != 500 || !DETERMINISTIC_500.iter().any(|p| lower.contains(p));
            Error::ServerError {
                status,
                message,
                retryable,
            }
        }
        _ => refusal(status, message, v),
    }
}

/// The longest `Retry-After` honoured: a larger value (or a garbled one like `1e20`) would stop
/// every Shiprocket call of the process for that long, so it is clamped to this.
pub(crate) const MAX_RETRY_AFTER: Duration = Duration::from_secs(600);

/// Parses a `Retry-After` header value given in seconds (HTTP dates are not used by Shiprocket),
/// clamped to [`MAX_RETRY_AFTER`].
pub(crate) fn parse_retry_after(raw: &str) -> Option<Duration> {
    let s = raw.trim();
    let secs = match s.parse::<u64>() {
        Ok(n) => n.min(MAX_RETRY_AFTER.as_secs()) as f64,
        Err(_) => s.parse::<f64>().ok().filter(|f| *f >= 0.0)?,
    };
    // NaN fails the filter above; infinity and anything huge clamp here.
    Some(Duration::from_secs_f64(
        secs.min(MAX_RETRY_AFTER.as_secs_f64()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use serde_json::json;

    fn kind(endpoint: &'static str, status: u16, body: &str) -> ErrorKind {
        match classify(endpoint, status, None, body.as_bytes()) {
            Ok(v) => panic!("expected an error, got {v}"),
            Err(e) => e.kind(),
        }
    }

    #[test]
    fn a_validation_bag_in_message_is_read() {
        let body = json!({"message": {"address": ["Address line 1 should have House no"], "email": ["The email field is required."]}});
        let e = classify(
            "settings/company/addpickup",
            422,
            None,
            body.to_string().as_bytes(),
        )
        .unwrap_err();
        match e {
            Error::Validation { fields, .. } => assert_eq!(fields.len(), 2),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_wrong_pickup_location_error_carries_the_valid_nicknames() {
        let body = json!({"message": "Wrong Pickup location entered. Please choose one location from the data given",
            "data": [{"pickup_location": "Primary"}, {"pickup_location": "Warehouse 2"}], "status_code": 422});
        match classify(
            "orders/create/adhoc",
            422,
            None,
            body.to_string().as_bytes(),
        )
        .unwrap_err()
        {
            Error::WrongPickupLocation { valid, .. } => {
                assert_eq!(valid, vec!["Primary", "Warehouse 2"])
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn html_from_nginx_is_a_retryable_server_error() {
        assert_eq!(
            kind(
                "courier/assign/awb",
                502,
                "<html><body>502 Bad Gateway</body></html>"
            ),
            ErrorKind::ServerError
        );
    }

    #[test]
    fn a_plain_text_login_failure_is_unauthorized() {
        assert_eq!(
            kind("auth/login", 401, "Invalid email and password combination"),
            ErrorKind::Unauthorized
        );
        assert_eq!(
            kind(
                "auth/login",
                400,
                r#"{"message":"Invalid email and password combination"}"#
            ),
            ErrorKind::Rejected
        );
    }

    #[test]
    fn leaked_php_errors_are_not_retried() {
        let e = classify(
            "orders/cancel",
            500,
            None,
            br#"{"message":"Trying to get property of non-object","status_code":500}"#,
        )
        .unwrap_err();
        assert!(!e.is_retryable());
        let e = classify(
            "orders/cancel",
            503,
            None,
            br#"{"message":"Service Unavailable"}"#,
        )
        .unwrap_err();
        assert!(e.is_retryable());
    }

    #[test]
    fn a_garbage_2xx_body_is_undecodable_with_a_masked_excerpt() {
        let e = classify("courier/track/awbs", 200, None, b"<?php phone 9876543210").unwrap_err();
        match e {
            Error::Undecodable { excerpt, .. } => assert!(!excerpt.contains("9876543210")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn retry_after_seconds_are_parsed() {
        assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after("0.5"), Some(Duration::from_millis(500)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        for absurd in [
            "1e20",
            "1e400",
            "inf",
            "18446744073709551615",
            "99999999999999999999999",
        ] {
            assert_eq!(parse_retry_after(absurd), Some(MAX_RETRY_AFTER), "{absurd}");
        }
        for garbage in ["-1", "NaN", "-inf", ""] {
            assert_eq!(parse_retry_after(garbage), None, "{garbage}");
        }
    }

    #[test]
    fn wallet_and_already_assigned_refusals_are_specific() {
        let v = json!({"awb_code": "1234567890"});
        assert_eq!(
            refusal(200, "Insufficient amount to label this shipment".into(), &v).kind(),
            ErrorKind::InsufficientBalance
        );
        assert_eq!(
            refusal(400, "Already in Pickup Queue.".into(), &json!({})).kind(),
            ErrorKind::AlreadyInPickupQueue
        );
        match refusal(200, "AWB is already assigned".into(), &v) {
            Error::AwbAlreadyAssigned { awb, .. } => assert_eq!(awb.as_deref(), Some("1234567890")),
            other => panic!("{other:?}"),
        }
    }
}
