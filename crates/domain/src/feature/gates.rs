//! The spec's rollout success gates (section 11): alpha (internal team), beta (limited users) and GA,
//! each a list of checks a stage's figures must pass before ops advance to the next stage.

use serde::Serialize;

use super::{Stage, WindowStats, pct};

/// A rollout phase of the spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Phase {
    /// Week 1, internal team only (the `internal` stage).
    Alpha,
    /// Weeks 2–3, limited external users (the `percent` stage).
    Beta,
    /// Week 4 on, everyone (the `on` stage).
    Ga,
}

impl Phase {
    /// The phase's name as the spec writes it.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Alpha => "Alpha",
            Phase::Beta => "Beta",
            Phase::Ga => "GA",
        }
    }

    /// The flag stage that runs this phase.
    pub fn stage(self) -> Stage {
        match self {
            Phase::Alpha => Stage::Internal,
            Phase::Beta => Stage::Percent,
            Phase::Ga => Stage::On,
        }
    }

    /// The spec's expected volume for the phase, for context.
    pub fn volume(self) -> &'static str {
        match self {
            Phase::Alpha => "5–10 orders",
            Phase::Beta => "50–200 orders",
            Phase::Ga => "all orders",
        }
    }
}

/// What happened while one stage was in force.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StageFigures {
    /// Settled shipment attempts.
    pub stats: WindowStats,
    /// Distinct orders that got an AWB.
    pub orders_fulfilled: u64,
    /// Successful attempts that carry an AWB.
    pub awbs: u64,
    /// Orders with both a placed and a shipped time (the time-to-ship sample).
    pub shipped_orders: u64,
    /// Median placed → shipped, in seconds.
    pub median_ship_secs: Option<i64>,
    /// Mean placed → shipped, in seconds.
    pub mean_ship_secs: Option<i64>,
    /// Shipped orders that shipped within the SLA.
    pub on_time: u64,
}

/// One success-gate check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GateCheck {
    /// What is measured.
    pub what: &'static str,
    /// The spec's target, e.g. `< 1.0 %`.
    pub target: String,
    /// The measured value, or `no data`.
    pub actual: String,
    /// Passed, failed, or `None` when there is nothing to judge yet.
    pub met: Option<bool>,
}

/// Hours as `36.5 h`.
pub fn hours(secs: i64) -> String {
    format!("{:.1} h", secs as f64 / 3600.0)
}

fn rate_check(what: &'static str, value: Option<f64>, limit: f64, below: bool) -> GateCheck {
    GateCheck {
        what,
        target: format!("{} {}", if below { "<" } else { ">" }, pct(limit)),
        actual: value.map(pct).unwrap_or_else(|| "no data".into()),
        met: value.map(|v| if below { v < limit } else { v > limit }),
    }
}

/// The checks of `phase` against `f`.
pub fn gate_checks(phase: Phase, f: &StageFigures) -> Vec<GateCheck> {
    let error = f.stats.error_rate();
    let success = f.stats.success_rate();
    match phase {
        Phase::Alpha => vec![
            rate_check("Error rate", error, 0.01, true),
            rate_check("Shipment generation success rate", success, 0.95, false),
            GateCheck {
                what: "AWB retrieval",
                target: "every successful shipment has an AWB".into(),
                actual: format!("{} of {}", f.awbs, f.stats.succeeded),
                met: (f.stats.succeeded > 0).then_some(f.awbs == f.stats.succeeded),
            },
        ],
        Phase::Beta => vec![
            rate_check("Error rate", error, 0.005, true),
            rate_check("Shipment generation success rate", success, 0.98, false),
            GateCheck {
                what: "Average time-to-ship",
                target: "< 48.0 h".into(),
                actual: f
                    .mean_ship_secs
                    .map(hours)
                    .unwrap_or_else(|| "no data".into()),
                met: f.mean_ship_secs.map(|s| s < 48 * 3600),
            },
        ],
        Phase::Ga => vec![
            rate_check("Error rate", error, 0.003, true),
            rate_check(
                "On-time fulfilment (within the SLA)",
                (f.shipped_orders > 0).then(|| f.on_time as f64 / f.shipped_orders as f64),
                0.99,
                false,
            ),
            rate_check("Shipment generation success rate", success, 0.98, false),
        ],
    }
}

/// True when every check passed, false when one failed, `None` while any lacks data.
pub fn all_met(checks: &[GateCheck]) -> Option<bool> {
    let mut all = true;
    for c in checks {
        match c.met {
            Some(false) => return Some(false),
            None => all = false,
            Some(true) => {}
        }
    }
    all.then_some(true)
}

/// How long the flag must have been at GA, without a break, before it may be removed (spec: "after
/// more than 2 weeks in GA").
pub const REMOVAL_AFTER_GA_SECS: i64 = 14 * 24 * 3600;

/// Whether the flag may be removed from the code, and why (or why not yet).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Removal {
    /// True when the spec's removal criteria are met.
    pub may_remove: bool,
    /// A sentence for the rollout report.
    pub why: String,
}

/// The spec's removal criteria: more than two weeks at GA in one stretch (`ga_for_secs`, `None`
/// when GA is not in force), the GA gate met over that stretch (error rate under 0.3 %, on-time
/// and success rates), and no critical data loss (`critical_losses`) in it.
pub fn removal(ga_for_secs: Option<i64>, ga_gate: Option<bool>, critical_losses: u64) -> Removal {
    let no = |why: String| Removal {
        may_remove: false,
        why,
    };
    let Some(secs) = ga_for_secs else {
        return no("Not yet: the flag is not at GA (on); it may be removed after more than two weeks at GA with the GA gate met.".into());
    };
    let days = secs as f64 / 86_400.0;
    if critical_losses > 0 {
        return no(format!(
            "Not yet: {critical_losses} order(s) with critical data loss during GA; the two weeks start again after a clean stretch."
        ));
    }
    if secs <= REMOVAL_AFTER_GA_SECS {
        let left = (REMOVAL_AFTER_GA_SECS - secs) as f64 / 86_400.0;
        return no(format!(
            "Not yet: {days:.1} days at GA of the more than 14 required ({left:.1} to go)."
        ));
    }
    match ga_gate {
        Some(true) => Removal {
            may_remove: true,
            why: format!(
                "The flag may be removed: {days:.1} days at GA with the GA gate met and no critical data loss."
            ),
        },
        Some(false) => no(format!(
            "Not yet: {days:.1} days at GA, but the GA gate is not met."
        )),
        None => no(format!(
            "Not yet: {days:.1} days at GA, but not enough shipments to judge the GA gate."
        )),
    }
}

#[cfg(test)]
mod removal_tests {
    use super::*;

    #[test]
    fn the_flag_may_be_removed_after_two_weeks_at_ga_with_the_gate_met() {
        let day = 86_400;
        assert!(!removal(None, Some(true), 0).may_remove);
        let r = removal(Some(10 * day), Some(true), 0);
        assert!(!r.may_remove && r.why.contains("4.0 to go"), "{}", r.why);
        assert!(!removal(Some(14 * day), Some(true), 0).may_remove);
        assert!(!removal(Some(15 * day), Some(false), 0).may_remove);
        assert!(!removal(Some(15 * day), None, 0).may_remove);
        assert!(!removal(Some(15 * day), Some(true), 1).may_remove);
        let r = removal(Some(15 * day), Some(true), 0);
        assert!(r.may_remove, "{}", r.why);
    }
}
