//! Fuzz target: the `OrderPlaced` decoder and validator on hostile bytes — arbitrary bytes,
//! byte-level mutations of a valid envelope, deep nesting and oversized values. No input may
//! panic or take long, and whatever is accepted is a consistent order.
//!
//! CI runs `PROPTEST_CASES` cases per target (default below); by hand, run longer with e.g.
//! `PROPTEST_CASES=200000 cargo test -p orderly-domain --test fuzz_intake -- --nocapture`.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::time::{Duration, Instant};

use orderly_domain::intake::parse_order_placed;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const EXAMPLE: &str = include_str!("fixtures/order_placed.json");

/// The most one input may take (generous: CI machines are shared and slow).
const PER_CASE: Duration = Duration::from_secs(2);

/// Runs `check` on `cases` inputs from `strategy`, failing on a panic or a slow case, and
/// prints the rate (`-- --nocapture` shows it).
fn fuzz<S: Strategy>(name: &str, default_cases: u32, strategy: S, check: impl Fn(S::Value))
where
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
        check(input);
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

/// Parses `body`; when accepted, the order must be internally consistent.
fn parse_and_check(body: &[u8]) {
    if let Ok(ev) = parse_order_placed(body) {
        assert_eq!(
            ev.order.total,
            ev.order.expected_total(),
            "accepted a wrong total"
        );
        assert!(
            !ev.order.items.is_empty(),
            "accepted an order without items"
        );
    }
}

/// One edit to a byte string.
#[derive(Debug, Clone)]
enum Edit {
    Flip(prop::sample::Index, u8),
    Insert(prop::sample::Index, Vec<u8>),
    Delete(prop::sample::Index, usize),
    Duplicate(prop::sample::Index, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    let interesting = prop_oneof![
        Just(b"\"".to_vec()),
        Just(b"{".to_vec()),
        Just(b"[".to_vec()),
        Just(b"-".to_vec()),
        Just(b"e999".to_vec()),
        Just(b"\\u0000".to_vec()),
        Just(b"\\ud800".to_vec()),
        Just(b"99999999999999999999999".to_vec()),
        Just("\u{202e}\u{0928}".as_bytes().to_vec()),
        prop::collection::vec(any::<u8>(), 1..8),
    ];
    prop_oneof![
        (any::<prop::sample::Index>(), any::<u8>()).prop_map(|(i, b)| Edit::Flip(i, b)),
        (any::<prop::sample::Index>(), interesting).prop_map(|(i, b)| Edit::Insert(i, b)),
        (any::<prop::sample::Index>(), 1..16usize).prop_map(|(i, n)| Edit::Delete(i, n)),
        (any::<prop::sample::Index>(), 1..64usize).prop_map(|(i, n)| Edit::Duplicate(i, n)),
    ]
}

fn apply(body: &mut Vec<u8>, e: &Edit) {
    if body.is_empty() {
        return;
    }
    match e {
        Edit::Flip(i, b) => {
            let at = i.index(body.len());
            body[at] ^= b | 1;
        }
        Edit::Insert(i, bytes) => {
            let at = i.index(body.len() + 1);
            body.splice(at..at, bytes.iter().copied());
        }
        Edit::Delete(i, n) => {
            let at = i.index(body.len());
            let end = (at + n).min(body.len());
            body.drain(at..end);
        }
        Edit::Duplicate(i, n) => {
            let at = i.index(body.len());
            let end = (at + n).min(body.len());
            let copy = body[at..end].to_vec();
            body.splice(at..at, copy);
        }
    }
}

#[test]
fn arbitrary_bytes_never_panic_and_finish_quickly() {
    fuzz(
        "intake/bytes",
        1_000,
        prop::collection::vec(any::<u8>(), 0..4_096),
        |body| parse_and_check(&body),
    );
}

#[test]
fn mutations_of_a_valid_envelope_never_panic_and_accept_only_consistent_orders() {
    fuzz(
        "intake/mutations",
        2_000,
        prop::collection::vec(edit(), 1..8),
        |edits| {
            let mut body = EXAMPLE.as_bytes().to_vec();
            for e in &edits {
                apply(&mut body, e);
            }
            parse_and_check(&body);
        },
    );
}

#[test]
fn deep_nesting_and_oversized_values_are_refused_without_panic() {
    fuzz(
        "intake/shapes",
        200,
        (
            1usize..100_000,
            prop::sample::select(vec!["[", "{\"a\":", "\"", "9", "-0.", "1e"]),
        ),
        |(n, piece)| {
            let body = piece.repeat(n);
            let _ = parse_order_placed(body.as_bytes());
            let in_field = EXAMPLE.replacen("\"ORD-", &format!("\"{}", piece.repeat(n)), 1);
            parse_and_check(in_field.as_bytes());
        },
    );
}
