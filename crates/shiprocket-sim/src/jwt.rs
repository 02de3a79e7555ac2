//! Hand-rolled HS256 JWTs shaped like Shiprocket's (10-day `exp`, claims sub/iat/exp/nbf/jti/iss/cid).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::json;
use sha2::Sha256;

/// Token lifetime: 240 hours, as Shiprocket's (`exp - iat = 864000`).
pub const LIFETIME_SECS: i64 = 864_000;

const ISSUER: &str = "https://apiv2.shiprocket.in/v1/external/auth/login";

fn sign(secret: &[u8], input: &str) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(mut mac) => {
            mac.update(input.as_bytes());
            URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

/// Issues a token for user `sub` of company `cid`, issued at `iat` (unix seconds).
pub fn issue(secret: &[u8], sub: i64, cid: i64, iat: i64, jti: &str) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"HS256"}"#);
    let claims = json!({
        "iss": ISSUER, "iat": iat, "exp": iat + LIFETIME_SECS, "nbf": iat, "jti": jti,
        "sub": sub, "prv": "05bb660f67cacf38a7dc1a4c5c8b0d8d5dd7c8e4", "cid": cid,
    });
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let input = format!("{header}.{payload}");
    let sig = sign(secret, &input);
    format!("{input}.{sig}")
}

/// Verifies the signature and returns the claims.
#[cfg(test)]
pub fn verify(secret: &[u8], token: &str) -> Option<serde_json::Value> {
    let (input, sig) = token.rsplit_once('.')?;
    if sign(secret, input) != sig {
        return None;
    }
    let payload = input.split('.').nth(1)?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_expires_ten_days_after_issue_and_verifies_with_its_secret() {
        let t = issue(b"k", 7, 9, 1_700_000_000, "abc");
        let c = verify(b"k", &t).unwrap();
        assert_eq!(
            c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(),
            864_000
        );
        assert_eq!(c["cid"], 9);
        assert!(verify(b"other", &t).is_none());
    }
}
