//! Fuzz target: the `Orderly-Signature` header parser and verifier on hostile headers. No header
//! may panic or take long, none but a real signature is accepted, and any change to a real one is
//! refused.
//!
//! CI runs `PROPTEST_CASES` cases per target (default below); by hand, run longer with e.g.
//! `PROPTEST_CASES=200000 cargo test -p orderly --test fuzz_signature -- --nocapture`.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::time::{Duration, Instant};

use orderly::config::Secret;
use orderly::signature::{sign, verify};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use time::OffsetDateTime;

const PER_CASE: Duration = Duration::from_secs(2);
const WINDOW: Duration = Duration::from_secs(300);

fn secrets() -> Vec<Secret> {
    vec![
        Secret::new("first-secret-0123456789"),
        Secret::new("second-secret-0123456789"),
    ]
}

/// Runs `check` on `cases` inputs from `strategy` and prints the rate (`-- --nocapture`).
fn fuzz<S: Strategy>(
    name: &str,
    default_cases: u32,
    strategy: S,
    check: impl Fn(S::Value) -> Result<(), TestCaseError>,
) where
    S::Value: std::fmt::Debug,
{
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_cases);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let started = Instant::now();
    let result = runner.run(&strategy, |input| {
        let t = Instant::now();
        check(input)?;
        prop_assert!(t.elapsed() < PER_CASE, "took {:?}", t.elapsed());
        Ok(())
    });
    if let Err(e) = result {
        panic!("{name}: {e}");
    }
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "fuzz {name}: {cases} cases in {secs:.2} s ({:.0} cases/s)",
        f64::from(cases) / secs.max(1e-9)
    );
}

/// Header-shaped text: pieces of the real grammar, numbers at the edges, and noise.
fn header() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("t=".to_owned()),
        Just("v1=".to_owned()),
        Just("v0=".to_owned()),
        Just(",".to_owned()),
        Just("=".to_owned()),
        Just(" ".to_owned()),
        any::<i64>().prop_map(|n| n.to_string()),
        Just("-9223372036854775808".to_owned()),
        Just("99999999999999999999999".to_owned()),
        "[0-9a-f]{0,80}",
        "[0-9a-fA-FxX]{63,65}",
        ".{0,12}",
    ];
    prop_oneof![
        prop::collection::vec(piece, 0..24).prop_map(|p| p.concat()),
        ".{0,256}",
        (1usize..2_000).prop_map(|n| "v1=00,".repeat(n) + "t=1"),
    ]
}

#[test]
fn arbitrary_headers_never_panic_and_are_never_accepted() {
    let secrets = secrets();
    let now = OffsetDateTime::now_utc();
    fuzz(
        "signature/headers",
        3_000,
        (header(), prop::collection::vec(any::<u8>(), 0..256)),
        |(h, body)| {
            prop_assert!(verify(Some(&h), &body, &secrets, now, WINDOW).is_err());
            Ok(())
        },
    );
}

#[test]
fn a_real_signature_is_accepted_and_any_change_to_it_is_refused() {
    let secrets = secrets();
    let now = OffsetDateTime::now_utc();
    fuzz(
        "signature/mutations",
        2_000,
        (
            prop::collection::vec(any::<u8>(), 0..512),
            -300i64..=300,
            any::<prop::sample::Index>(),
            1u8..=255,
        ),
        |(body, skew, at, flip)| {
            let t = now.unix_timestamp() + skew;
            let good = sign(secrets[1].expose(), t, &body);
            prop_assert_eq!(verify(Some(&good), &body, &secrets, now, WINDOW), Ok(()));
            // Change one character of the MAC: still hex, never accepted.
            let (prefix, mac) = good.split_at(good.len() - 64);
            let mut mac = mac.as_bytes().to_vec();
            let i = at.index(mac.len());
            mac[i] = if mac[i] == b'0' { b'1' } else { b'0' };
            let bad = format!("{prefix}{}", String::from_utf8(mac).unwrap());
            prop_assert!(verify(Some(&bad), &body, &secrets, now, WINDOW).is_err());
            // Change one byte of the body: refused.
            if !body.is_empty() {
                let mut other = body.clone();
                let j = at.index(other.len());
                other[j] ^= flip;
                prop_assert!(verify(Some(&good), &other, &secrets, now, WINDOW).is_err());
            }
            Ok(())
        },
    );
}
