//! Measures `Synth::order` throughput: `cargo run --release -p orderly-synth --example throughput [N]`.
#![expect(clippy::print_stdout, reason = "a measurement tool")]

use orderly_synth::Synth;
use std::time::Instant;

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let start_at = time::OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000);
    let mut synth = Synth::new(1);
    let t = Instant::now();
    let mut paise = 0i64;
    for seq in 0..n {
        let o = synth.order(seq, start_at + time::Duration::seconds(seq as i64));
        paise += o.total.paise();
    }
    let order_secs = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let m = n.min(100_000);
    for seq in 0..m {
        let o = synth.order(seq, start_at);
        std::hint::black_box(synth.envelope(&o));
    }
    let env_secs = t.elapsed().as_secs_f64();
    let bodies: Vec<Vec<u8>> = (0..m)
        .map(|seq| {
            let o = synth.order(seq, start_at);
            serde_json::to_vec(&synth.envelope(&o)).unwrap_or_default()
        })
        .collect();
    let t = Instant::now();
    let accepted = bodies
        .iter()
        .filter(|b| orderly_domain::intake::parse_order_placed(b).is_ok())
        .count();
    let parse_secs = t.elapsed().as_secs_f64();
    println!(
        "{n} orders in {order_secs:.2} s ({:.0}/s), total value {}",
        n as f64 / order_secs,
        orderly_domain::Money::from_paise(paise)
    );
    println!(
        "{m} orders + envelopes in {env_secs:.2} s ({:.0}/s)",
        m as f64 / env_secs
    );
    println!(
        "{accepted}/{m} envelopes parsed and validated in {parse_secs:.2} s ({:.0}/s)",
        m as f64 / parse_secs
    );
}
