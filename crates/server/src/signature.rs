//! Webhook-style request signatures: `Orderly-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`.
//! Used to verify inbound `OrderPlaced` events and to sign outbound webhooks.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use time::OffsetDateTime;

use crate::config::Secret;

type HmacSha256 = Hmac<Sha256>;

/// The header that carries the signature.
pub const HEADER: &str = "orderly-signature";

/// Why a signature was refused; the text is safe to return to the sender.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No header at all.
    #[error("missing Orderly-Signature header")]
    Missing,
    /// The header is not `t=<unix seconds>,v1=<hex>`.
    #[error("malformed Orderly-Signature header: expected t=<unix seconds>,v1=<hex HMAC-SHA256>")]
    Malformed,
    /// The timestamp is outside the replay window.
    #[error("signature timestamp is {age_secs} s away from now; the window is {window_secs} s")]
    Stale {
        /// Seconds between the signature and now.
        age_secs: i64,
        /// The allowed window.
        window_secs: u64,
    },
    /// No active secret produces this signature.
    #[error("signature does not match any active secret")]
    Mismatch,
    /// The server has no secret configured, so it cannot accept signed events.
    #[error("intake is not configured: set ORDERLY_INTAKE_SECRETS")]
    NotConfigured,
}

/// Computes the header value for `body` signed with `secret` at `t`.
pub fn sign(secret: &str, t: i64, body: &[u8]) -> String {
    let digest = keyed(secret, t, body)
        .map(|m| hex::encode(m.finalize().into_bytes()))
        .unwrap_or_default();
    format!("t={t},v1={digest}")
}

/// The MAC state over `"<t>.<body>"`; HMAC takes keys of any length, so this is always `Some`.
fn keyed(secret: &str, t: i64, body: &[u8]) -> Option<HmacSha256> {
    let mut m = HmacSha256::new_from_slice(secret.as_bytes()).ok()?;
    m.update(t.to_string().as_bytes());
    m.update(b".");
    m.update(body);
    Some(m)
}

/// Checks `header` over `body` against every active secret, within `window` of `now`.
pub fn verify(
    header: Option<&str>,
    body: &[u8],
    secrets: &[Secret],
    now: OffsetDateTime,
    window: std::time::Duration,
) -> Result<(), SignatureError> {
    if secrets.is_empty() {
        return Err(SignatureError::NotConfigured);
    }
    let header = header.ok_or(SignatureError::Missing)?;
    let mut t: Option<i64> = None;
    let mut candidates: Vec<Vec<u8>> = Vec::new();
    for part in header.split(',') {
        let (k, v) = part
            .trim()
            .split_once('=')
            .ok_or(SignatureError::Malformed)?;
        match k {
            "t" => t = Some(v.parse().map_err(|_| SignatureError::Malformed)?),
            "v1" => candidates.push(hex::decode(v).map_err(|_| SignatureError::Malformed)?),
            _ => {} // future schemes are ignored
        }
    }
    let t = t.ok_or(SignatureError::Malformed)?;
    if candidates.is_empty() {
        return Err(SignatureError::Malformed);
    }
    let age = now.unix_timestamp().saturating_sub(t);
    let window_secs = window.as_secs();
    if age.unsigned_abs() > window_secs {
        return Err(SignatureError::Stale {
            age_secs: age,
            window_secs,
        });
    }
    for secret in secrets {
        for candidate in &candidates {
            // `verify_slice` compares in constant time.
            if keyed(secret.expose(), t, body).is_some_and(|m| m.verify_slice(candidate).is_ok()) {
                return Ok(());
            }
        }
    }
    Err(SignatureError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn secrets(list: &[&str]) -> Vec<Secret> {
        list.iter().map(|s| Secret::new(*s)).collect()
    }

    #[test]
    fn a_signature_made_with_any_active_secret_is_accepted() {
        let now = OffsetDateTime::now_utc();
        let header = sign("second-secret-0123456789", now.unix_timestamp(), b"{}");
        let active = secrets(&["first-secret-0123456789", "second-secret-0123456789"]);
        assert_eq!(
            verify(Some(&header), b"{}", &active, now, Duration::from_secs(300)),
            Ok(())
        );
    }

    #[test]
    fn a_changed_body_is_refused() {
        let now = OffsetDateTime::now_utc();
        let header = sign("first-secret-0123456789", now.unix_timestamp(), b"{}");
        let active = secrets(&["first-secret-0123456789"]);
        assert_eq!(
            verify(
                Some(&header),
                b"{ }",
                &active,
                now,
                Duration::from_secs(300)
            ),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn a_signature_older_than_the_window_is_stale() {
        let now = OffsetDateTime::now_utc();
        let header = sign("first-secret-0123456789", now.unix_timestamp() - 301, b"{}");
        let active = secrets(&["first-secret-0123456789"]);
        assert!(matches!(
            verify(Some(&header), b"{}", &active, now, Duration::from_secs(300)),
            Err(SignatureError::Stale { .. })
        ));
    }

    #[test]
    fn garbage_headers_are_malformed() {
        let now = OffsetDateTime::now_utc();
        let active = secrets(&["first-secret-0123456789"]);
        for h in ["", "t=abc,v1=00", "v1=00", "t=1", "t=1,v1=zz", "nonsense"] {
            assert_eq!(
                verify(Some(h), b"{}", &active, now, Duration::from_secs(300)),
                Err(SignatureError::Malformed),
                "{h}"
            );
        }
    }
}
