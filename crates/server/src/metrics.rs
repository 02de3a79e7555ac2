//! A small Prometheus registry: counters, gauges and histograms with labels, rendered as the text
//! exposition format on `/metrics`. Cheap to clone; one per process.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex};

type Labels = Vec<(&'static str, String)>;

/// Upper bounds (seconds) of every histogram's buckets.
const BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0,
    86400.0,
];

#[derive(Debug, Default)]
struct Histogram {
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

#[derive(Debug, Default)]
struct Registry {
    help: BTreeMap<&'static str, (&'static str, &'static str)>,
    counters: BTreeMap<(&'static str, Labels), f64>,
    gauges: BTreeMap<(&'static str, Labels), f64>,
    histograms: BTreeMap<(&'static str, Labels), Histogram>,
}

/// The process's metrics.
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    inner: Arc<Mutex<Registry>>,
}

fn labels(l: &[(&'static str, &str)]) -> Labels {
    l.iter().map(|(k, v)| (*k, (*v).to_string())).collect()
}

impl Metrics {
    /// Declares a metric's help text and type (`counter`, `gauge` or `histogram`).
    pub fn describe(&self, name: &'static str, kind: &'static str, help: &'static str) {
        if let Ok(mut r) = self.inner.lock() {
            r.help.insert(name, (kind, help));
        }
    }

    /// Adds `by` to a counter.
    pub fn inc(&self, name: &'static str, l: &[(&'static str, &str)], by: f64) {
        if let Ok(mut r) = self.inner.lock() {
            *r.counters.entry((name, labels(l))).or_default() += by;
        }
    }

    /// Sets a gauge.
    pub fn set(&self, name: &'static str, l: &[(&'static str, &str)], value: f64) {
        if let Ok(mut r) = self.inner.lock() {
            r.gauges.insert((name, labels(l)), value);
        }
    }

    /// Records one observation (seconds) in a histogram.
    pub fn observe(&self, name: &'static str, l: &[(&'static str, &str)], value: f64) {
        if let Ok(mut r) = self.inner.lock() {
            let h = r.histograms.entry((name, labels(l))).or_default();
            if h.counts.is_empty() {
                h.counts = vec![0; BUCKETS.len()];
            }
            for (i, b) in BUCKETS.iter().enumerate() {
                if value <= *b {
                    h.counts[i] += 1;
                }
            }
            h.sum += value;
            h.count += 1;
        }
    }

    /// The Prometheus text exposition of everything recorded.
    pub fn render(&self) -> String {
        let Ok(r) = self.inner.lock() else {
            return String::new();
        };
        let mut out = String::new();
        let mut described = std::collections::BTreeSet::new();
        let mut header = |out: &mut String, name: &'static str, default_kind: &str| {
            if described.insert(name) {
                let (kind, help) = r.help.get(name).copied().unwrap_or((default_kind, ""));
                let _ = writeln!(out, "# HELP {name} {help}");
                let _ = writeln!(out, "# TYPE {name} {kind}");
            }
        };
        for ((name, l), v) in &r.counters {
            header(&mut out, name, "counter");
            let _ = writeln!(out, "{name}{} {v}", fmt_labels(l, None));
        }
        for ((name, l), v) in &r.gauges {
            header(&mut out, name, "gauge");
            let _ = writeln!(out, "{name}{} {v}", fmt_labels(l, None));
        }
        for ((name, l), h) in &r.histograms {
            header(&mut out, name, "histogram");
            for (i, b) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "{name}_bucket{} {}",
                    fmt_labels(l, Some(&b.to_string())),
                    h.counts[i]
                );
            }
            let _ = writeln!(
                out,
                "{name}_bucket{} {}",
                fmt_labels(l, Some("+Inf")),
                h.count
            );
            let _ = writeln!(out, "{name}_sum{} {}", fmt_labels(l, None), h.sum);
            let _ = writeln!(out, "{name}_count{} {}", fmt_labels(l, None), h.count);
        }
        out
    }
}

fn fmt_labels(l: &Labels, le: Option<&str>) -> String {
    let mut parts: Vec<String> = l
        .iter()
        .map(|(k, v)| {
            format!(
                "{k}=\"{}\"",
                v.replace('\\', "\\\\")
                    .replace('"', "\\\"")
                    .replace('\n', "\\n")
            )
        })
        .collect();
    if let Some(le) = le {
        parts.push(format!("le=\"{le}\""));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("{{{}}}", parts.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_gauges_and_histograms_render_as_prometheus_text() {
        let m = Metrics::default();
        m.describe("orderly_things_total", "counter", "Things.");
        m.inc("orderly_things_total", &[("kind", "a\"b")], 2.0);
        m.set("orderly_lag_seconds", &[], 1.5);
        m.observe("orderly_latency_seconds", &[("endpoint", "x")], 0.02);
        let text = m.render();
        assert!(text.contains("# TYPE orderly_things_total counter"));
        assert!(text.contains("orderly_things_total{kind=\"a\\\"b\"} 2"));
        assert!(text.contains("orderly_lag_seconds 1.5"));
        assert!(text.contains("orderly_latency_seconds_bucket{endpoint=\"x\",le=\"0.025\"} 1"));
        assert!(text.contains("orderly_latency_seconds_count{endpoint=\"x\"} 1"));
    }
}
