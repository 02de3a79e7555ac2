//! The `feature.orders.order_fulfillment` flag as pure rules: its stages, whether fulfilment is open
//! for an order and a person ([`applies`]), the automatic rollback threshold ([`rollback_due`]) and the
//! spec's alpha / beta / GA success gates ([`gate_checks`]). Nothing here does I/O.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub mod gates;

pub use gates::{GateCheck, Phase, Removal, StageFigures, all_met, gate_checks, removal};

/// The flag's name, as stored and audited.
pub const ORDER_FULFILLMENT: &str = "feature.orders.order_fulfillment";

/// How far fulfilment is rolled out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// Nobody: orders stay `placed`, no fulfilment actions.
    Off,
    /// Only the listed staff (user emails, API key prefixes) — the spec's alpha.
    Internal,
    /// A stable share of orders chosen by a hash of the order number — the spec's beta.
    Percent,
    /// Every order — the spec's GA.
    On,
}

impl Stage {
    /// Every stage, in rollout order.
    pub const ALL: [Stage; 4] = [Stage::Off, Stage::Internal, Stage::Percent, Stage::On];

    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Off => "off",
            Stage::Internal => "internal",
            Stage::Percent => "percent",
            Stage::On => "on",
        }
    }

    /// Reads a stored or typed spelling.
    pub fn parse(s: &str) -> Option<Stage> {
        Stage::ALL
            .into_iter()
            .find(|st| st.as_str().eq_ignore_ascii_case(s.trim()))
    }

    /// The spec's rollout phase this stage corresponds to (none for `off`).
    pub fn phase(self) -> Option<Phase> {
        match self {
            Stage::Off => None,
            Stage::Internal => Some(Phase::Alpha),
            Stage::Percent => Some(Phase::Beta),
            Stage::On => Some(Phase::Ga),
        }
    }
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The flag's value: a stage, the share for `percent`, and the staff list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlagState {
    /// The stage.
    pub stage: Stage,
    /// 0–100; meaningful for `percent`.
    pub percent: u8,
    /// Staff who may fulfil in `internal` (and always in `percent`): emails or API key prefixes.
    pub staff: Vec<String>,
}

/// Why a flag value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlagError {
    /// Not one of `off`, `internal`, `percent`, `on`.
    #[error("unknown stage {0:?}: use off, internal, percent or on")]
    UnknownStage(String),
    /// Not a whole number from 0 to 100.
    #[error("percent must be a whole number from 0 to 100, not {0:?}")]
    BadPercent(String),
    /// `internal` with nobody on the list would be `off` in disguise.
    #[error("the internal stage needs at least one staff email or API key prefix")]
    NoStaff,
}

impl FlagState {
    /// Everything off.
    pub fn off() -> FlagState {
        FlagState {
            stage: Stage::Off,
            percent: 0,
            staff: Vec::new(),
        }
    }

    /// A checked value: percent at most 100, staff trimmed, de-duplicated, emails lower-cased.
    pub fn new(stage: Stage, percent: u8, staff: &[String]) -> Result<FlagState, FlagError> {
        if percent > 100 {
            return Err(FlagError::BadPercent(percent.to_string()));
        }
        let mut list: Vec<String> = Vec::new();
        for s in staff.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
            let s = if s.contains('@') {
                s.to_lowercase()
            } else {
                s.to_string()
            };
            if !list.contains(&s) {
                list.push(s);
            }
        }
        if stage == Stage::Internal && list.is_empty() {
            return Err(FlagError::NoStaff);
        }
        Ok(FlagState {
            stage,
            percent,
            staff: list,
        })
    }

    /// Reads the config form: `off`, `on`, `internal:<a@x,b@y>`, `percent:<n>`.
    pub fn parse_config(s: &str) -> Result<FlagState, FlagError> {
        let (stage, arg) = s.trim().split_once(':').unwrap_or((s.trim(), ""));
        let st = Stage::parse(stage).ok_or_else(|| FlagError::UnknownStage(stage.to_string()))?;
        match st {
            Stage::Off | Stage::On => FlagState::new(st, 0, &[]),
            Stage::Internal => FlagState::new(st, 0, &split_list(arg)),
            Stage::Percent => FlagState::new(st, parse_percent(arg)?, &[]),
        }
    }

    /// A short description: `off`, `internal (2 staff)`, `percent (20 %)`, `on`.
    pub fn describe(&self) -> String {
        match self.stage {
            Stage::Off | Stage::On => self.stage.as_str().to_string(),
            Stage::Internal => format!("internal ({} staff)", self.staff.len()),
            Stage::Percent => format!("percent ({} %)", self.percent),
        }
    }

    /// True when `actor` (`user:<email>`, `apikey:<prefix>` or the bare id) is on the staff list.
    pub fn is_staff(&self, actor: &str) -> bool {
        let id = actor
            .strip_prefix("user:")
            .or_else(|| actor.strip_prefix("apikey:"))
            .unwrap_or(actor)
            .trim();
        !id.is_empty()
            && self.staff.iter().any(|s| {
                if s.contains('@') {
                    s.eq_ignore_ascii_case(id)
                } else {
                    s == id
                }
            })
    }
}

/// Splits a comma-separated list, dropping blanks.
pub fn split_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Reads a percent `0`–`100` (a trailing `%` is allowed).
pub fn parse_percent(s: &str) -> Result<u8, FlagError> {
    let t = s.trim().trim_end_matches('%').trim();
    match t.parse::<u8>() {
        Ok(p) if p <= 100 => Ok(p),
        _ => Err(FlagError::BadPercent(s.to_string())),
    }
}

/// The order's bucket, 0–99: the first 8 bytes of SHA-256 of the order number, modulo 100. The same
/// order number always lands in the same bucket, on every machine and release.
pub fn bucket(order_number: &str) -> u8 {
    let digest = Sha256::digest(order_number.as_bytes());
    let first = digest.first_chunk::<8>().copied().unwrap_or_default();
    (u64::from_be_bytes(first) % 100) as u8
}

/// Whether fulfilment is open, and a sentence saying why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// True when fulfilment actions may run for this order and actor.
    pub allowed: bool,
    /// Why, in words for the dashboard and the API.
    pub why: String,
}

/// Decides whether fulfilment is open for `order_number` when `actor` acts (`None`: no person, e.g.
/// a worker with no requester). `percent` is decided by [`bucket`] alone, except that listed staff
/// keep the access they had in `internal`.
pub fn applies(state: &FlagState, order_number: &str, actor: Option<&str>) -> Decision {
    let staff = actor.is_some_and(|a| state.is_staff(a));
    let (allowed, why) = match state.stage {
        Stage::Off => (
            false,
            "Fulfilment is switched off (feature.orders.order_fulfillment is off); orders stay placed."
                .to_string(),
        ),
        Stage::On => (true, "Fulfilment is on for every order.".to_string()),
        Stage::Internal if staff => (
            true,
            "Fulfilment is limited to internal staff, and you are on the list.".to_string(),
        ),
        Stage::Internal => (
            false,
            "Fulfilment is limited to internal staff for now (feature.orders.order_fulfillment is internal)."
                .to_string(),
        ),
        Stage::Percent => {
            let b = bucket(order_number);
            if b < state.percent {
                (
                    true,
                    format!("This order is inside the {} % rollout.", state.percent),
                )
            } else if staff {
                (
                    true,
                    format!(
                        "This order is outside the {} % rollout, but you are internal staff.",
                        state.percent
                    ),
                )
            } else {
                (
                    false,
                    format!(
                        "This order is outside the {} % rollout of fulfilment (feature.orders.order_fulfillment).",
                        state.percent
                    ),
                )
            }
        }
    };
    Decision { allowed, why }
}

/// Settled shipment attempts over a window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowStats {
    /// Attempts that reached an AWB or failed (cancelled and in-flight attempts are not counted).
    pub settled: u64,
    /// Attempts that got an AWB.
    pub succeeded: u64,
    /// Attempts that failed for any reason.
    pub failed: u64,
    /// Failed attempts whose cause is the integration, not the order (see [`is_system_error`]).
    pub errors: u64,
}

impl WindowStats {
    /// Succeeded / settled, when anything settled.
    pub fn success_rate(&self) -> Option<f64> {
        ratio(self.succeeded, self.settled)
    }

    /// Errors / settled, when anything settled.
    pub fn error_rate(&self) -> Option<f64> {
        ratio(self.errors, self.settled)
    }

    /// Adds `count` settled attempts: `succeeded`, or failed with `failure_class`. Attempts stopped
    /// by the flag itself ([`NOT_JUDGED_CLASSES`]) say nothing about shipping and are not counted.
    pub fn record(&mut self, succeeded: bool, failure_class: Option<&str>, count: u64) {
        if !succeeded && failure_class.is_some_and(|c| NOT_JUDGED_CLASSES.contains(&c)) {
            return;
        }
        self.settled += count;
        if succeeded {
            self.succeeded += count;
        } else {
            self.failed += count;
            if is_system_error(failure_class) {
                self.errors += count;
            }
        }
    }
}

fn ratio(n: u64, d: u64) -> Option<f64> {
    (d > 0).then(|| n as f64 / d as f64)
}

/// Failure classes caused by the order or the merchant's account (an address no courier serves, a
/// courier's refusal, a validation message, the wallet): they lower the success rate but are not
/// integration errors. Every other class — and a failure with no class — is an error.
pub const ORDER_PROBLEM_CLASSES: &[&str] = &[
    "not_serviceable",
    "courier_refused",
    "validation",
    "wrong_pickup_location",
    "insufficient_balance",
    "rejected",
];

/// Failure classes that are not shipment outcomes: the saga stopping an attempt because the flag
/// closed fulfilment for its order. Counting them would let a rollout change roll itself back.
pub const NOT_JUDGED_CLASSES: &[&str] = &["feature_disabled"];

/// True when a failed attempt counts as an error (Shiprocket down, timeouts, 5xx, auth, our bugs).
pub fn is_system_error(failure_class: Option<&str>) -> bool {
    failure_class.is_none_or(|c| !ORDER_PROBLEM_CLASSES.contains(&c))
}

/// When the rollback guard switches fulfilment off.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// Roll back when the error rate goes over this (spec: 1 %).
    pub max_error_rate: f64,
    /// Roll back when the success rate goes under this (spec: 90 %).
    pub min_success_rate: f64,
    /// Judge the rates on no fewer settled attempts than this at GA (`on`); the earlier stages use
    /// the smaller of this and their own minimum ([`Thresholds::min_sample_for`]).
    pub min_sample: u64,
    /// The minimum sample in alpha (`internal`, 5–10 orders in all): small enough to fire there.
    pub min_sample_alpha: u64,
    /// The minimum sample in beta (`percent`, 50–200 orders).
    pub min_sample_beta: u64,
}

impl Default for Thresholds {
    fn default() -> Thresholds {
        Thresholds {
            max_error_rate: 0.01,
            min_success_rate: 0.90,
            min_sample: 20,
            min_sample_alpha: 3,
            min_sample_beta: 10,
        }
    }
}

impl Thresholds {
    /// The minimum sample while `stage` is in force. A fixed 20 is more than alpha's 5–10 orders,
    /// so the guard could never fire there: each stage has its own, never above `min_sample`.
    pub fn min_sample_for(&self, stage: Stage) -> u64 {
        match stage {
            Stage::Internal => self.min_sample_alpha.min(self.min_sample),
            Stage::Percent => self.min_sample_beta.min(self.min_sample),
            Stage::Off | Stage::On => self.min_sample,
        }
    }

    /// These thresholds with the minimum sample of `stage` in `min_sample`.
    pub fn for_stage(&self, stage: Stage) -> Thresholds {
        Thresholds {
            min_sample: self.min_sample_for(stage),
            ..*self
        }
    }
}

/// The spec's "critical data loss" over a window: counted apart from the rates because one case is
/// enough to roll back at once, whatever the sample.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Integrity {
    /// Orders with more than one live shipment (two AWBs, or two `OrderShipped` events).
    pub duplicated: u64,
    /// Orders whose shipment was lost: an AWB at Shiprocket the order does not record, or a
    /// shipped order with no AWB (no tracking).
    pub lost: u64,
}

/// The reason to roll back at once for critical data loss, or `None`.
pub fn critical_loss_due(i: &Integrity) -> Option<String> {
    match (i.duplicated, i.lost) {
        (0, 0) => None,
        (d, 0) => Some(format!(
            "Critical data loss: {d} order(s) with a duplicated shipment; rolled back at once."
        )),
        (0, l) => Some(format!(
            "Critical data loss: {l} order(s) whose shipment or tracking was lost; rolled back at once."
        )),
        (d, l) => Some(format!(
            "Critical data loss: {d} order(s) with a duplicated shipment and {l} whose shipment or tracking was lost; rolled back at once."
        )),
    }
}

/// A percentage with one decimal: `0.0325` → `3.3 %`.
pub fn pct(r: f64) -> String {
    format!("{:.1} %", r * 100.0)
}

/// The reason to roll back, with the figures, or `None` while the window is healthy or too small.
pub fn rollback_due(stats: &WindowStats, t: &Thresholds) -> Option<String> {
    if stats.settled == 0 || stats.settled < t.min_sample {
        return None;
    }
    let error = stats.error_rate()?;
    let success = stats.success_rate()?;
    let figures = format!(
        "{} of {} shipment attempts succeeded ({}), {} errors ({})",
        stats.succeeded,
        stats.settled,
        pct(success),
        stats.errors,
        pct(error)
    );
    if error > t.max_error_rate {
        Some(format!(
            "Error rate {} is over the {} threshold: {figures}.",
            pct(error),
            pct(t.max_error_rate)
        ))
    } else if success < t.min_success_rate {
        Some(format!(
            "Success rate {} is under the {} threshold: {figures}.",
            pct(success),
            pct(t.min_success_rate)
        ))
    } else {
        None
    }
}

#[cfg(test)]
#[path = "feature_tests.rs"]
mod tests;
