//! Webhook-style request signatures: `Orderly-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`.
//! Used to verify inbound `OrderPlaced` events and to sign outbound webhooks.
//!
//! The header comes from anyone on the internet, so its cost is bounded before any work: at most
//! [`MAX_HEADER_LEN`] bytes, at most [`MAX_SIGNATURES`] `v1` values of exactly 32 bytes each, and the
//! MAC of the body is computed once per active secret whatever the number of values. [`parse`] and
//! the timestamp check need no body, so the intake refuses a bad header before reading the body.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

use crate::config::Secret;

type HmacSha256 = Hmac<Sha256>;

/// The header that carries the signature.
pub const HEADER: &str = "orderly-signature";
/// Longest header accepted, in bytes (a timestamp and a few signatures need under 400).
pub const MAX_HEADER_LEN: usize = 512;
/// Most `v1` values one header may carry (one per secret during a rotation, with room to spare).
pub const MAX_SIGNATURES: usize = 4;
/// Length of one HMAC-SHA256 signature, in bytes.
const MAC_LEN: usize = 32;

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

/// A parsed header: the timestamp and the candidate signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedSignature {
    /// Unix seconds the sender signed at.
    pub t: i64,
    /// The `v1` values (1 to [`MAX_SIGNATURES`], 32 bytes each).
    pub candidates: Vec<[u8; MAC_LEN]>,
}

/// Parses `header` without looking at any body: bounded length, one `t`, 1 to [`MAX_SIGNATURES`]
/// `v1` values of exactly 64 hex digits. Unknown schemes are ignored but count towards the length.
pub fn parse(header: Option<&str>) -> Result<ParsedSignature, SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    if header.len() > MAX_HEADER_LEN {
        return Err(SignatureError::Malformed);
    }
    let mut t: Option<i64> = None;
    let mut candidates: Vec<[u8; MAC_LEN]> = Vec::new();
    for part in header.split(',') {
        let (k, v) = part
            .trim()
            .split_once('=')
            .ok_or(SignatureError::Malformed)?;
        match k {
            "t" if t.is_none() => t = Some(v.parse().map_err(|_| SignatureError::Malformed)?),
            "t" => return Err(SignatureError::Malformed),
            "v1" => {
                if candidates.len() == MAX_SIGNATURES {
                    return Err(SignatureError::Malformed);
                }
                let mut mac = [0u8; MAC_LEN];
                hex::decode_to_slice(v, &mut mac).map_err(|_| SignatureError::Malformed)?;
                candidates.push(mac);
            }
            _ => {} // future schemes are ignored
        }
    }
    let t = t.ok_or(SignatureError::Malformed)?;
    if candidates.is_empty() {
        return Err(SignatureError::Malformed);
    }
    Ok(ParsedSignature { t, candidates })
}

impl ParsedSignature {
    /// Refuses a timestamp more than `window` away from `now` (no body needed).
    pub fn check_time(
        &self,
        now: OffsetDateTime,
        window: std::time::Duration,
    ) -> Result<(), SignatureError> {
        let age = now.unix_timestamp().saturating_sub(self.t);
        let window_secs = window.as_secs();
        if age.unsigned_abs() > window_secs {
            return Err(SignatureError::Stale {
                age_secs: age,
                window_secs,
            });
        }
        Ok(())
    }

    /// True when some candidate is the MAC of `body` under some secret: one MAC per secret,
    /// each candidate compared in constant time.
    pub fn matches(&self, body: &[u8], secrets: &[Secret]) -> bool {
        secrets.iter().any(|secret| {
            let Some(mac) = keyed(secret.expose(), self.t, body) else {
                return false;
            };
            let expected = mac.finalize().into_bytes();
            // Every candidate is compared (no early exit), so timing says nothing about which.
            self.candidates
                .iter()
                .fold(0u8, |acc, c| acc | c.ct_eq(expected.as_slice()).unwrap_u8())
                == 1
        })
    }
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
    let parsed = parse(header)?;
    parsed.check_time(now, window)?;
    if parsed.matches(body, secrets) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
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
        let empties = format!("t=1,{}", vec!["v1="; 3000].join(","));
        let five = format!(
            "t=1,{}",
            vec![format!("v1={}", "00".repeat(32)); 5].join(",")
        );
        let long = format!(
            "t=1,v1={},x={}",
            "00".repeat(32),
            "a".repeat(MAX_HEADER_LEN)
        );
        for h in [
            "",
            "t=abc,v1=00",
            "v1=00",
            "t=1",
            "t=1,v1=zz",
            "nonsense",
            "t=1,v1=",
            "t=1,v1=00",
            "t=1,t=2,v1=00",
            &empties,
            &five,
            &long,
        ] {
            assert_eq!(
                verify(Some(h), b"{}", &active, now, Duration::from_secs(300)),
                Err(SignatureError::Malformed),
                "{h}"
            );
        }
    }
}
