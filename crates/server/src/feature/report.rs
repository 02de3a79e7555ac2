//! The rollout report: for each stage (internal = alpha, percent = beta, on = GA), the shipment
//! figures of the periods that stage was in force, set against the spec's success gates.

use orderly_domain::feature::gates::hours;
use orderly_domain::feature::{
    GateCheck, ORDER_FULFILLMENT, Phase, Removal, Stage, StageFigures, all_met, gate_checks, pct,
    removal,
};
use orderly_store::StoreError;
use orderly_store::flags;
use serde::Serialize;
use time::OffsetDateTime;

use super::{Effective, current};
use crate::app::AppState;

/// One stage's row of the report.
#[derive(Debug, Clone, Serialize)]
pub struct StageReport {
    /// The flag stage.
    pub stage: Stage,
    /// The spec's phase name (`Alpha`, `Beta`, `GA`).
    pub phase: &'static str,
    /// The spec's expected volume.
    pub volume: &'static str,
    /// True for the stage in force now.
    pub current: bool,
    /// How many separate periods the stage was in force.
    pub periods: usize,
    /// The figures.
    pub figures: StageFigures,
    /// Success rate, formatted (`no data` when nothing settled).
    pub success_rate: String,
    /// Error rate, formatted.
    pub error_rate: String,
    /// Median time-to-ship, formatted.
    pub median_time_to_ship: String,
    /// The gate's checks.
    pub checks: Vec<GateCheck>,
    /// Every check passed (`Some(true)`), one failed (`Some(false)`), or not enough data (`None`).
    pub gate_met: Option<bool>,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The flag in force.
    pub flag: Effective,
    /// Alpha, beta, GA rows.
    pub stages: Vec<StageReport>,
    /// Whether the flag may be removed from the code yet (spec: more than two weeks at GA with the
    /// gates met and no critical data loss).
    pub removal: Removal,
}

/// The `[from, to)` periods each stage was in force, from the change history (oldest first) and the
/// stage before the first change (config or off).
pub fn periods(
    changes: &[(OffsetDateTime, Stage)],
    initial: Stage,
    now: OffsetDateTime,
) -> Vec<(Stage, OffsetDateTime, OffsetDateTime)> {
    let end = now + time::Duration::seconds(1);
    let mut out = Vec::new();
    let mut from = OffsetDateTime::UNIX_EPOCH;
    let mut stage = initial;
    for (at, to) in changes {
        if *at > from {
            out.push((stage, from, *at));
        }
        from = *at;
        stage = *to;
    }
    if end > from {
        out.push((stage, from, end));
    }
    out
}

/// Builds the report over the whole history.
pub async fn build(state: &AppState) -> Result<Report, StoreError> {
    let flag = current(state).await?;
    let mut history = flags::history(&state.store, ORDER_FULFILLMENT, 10_000).await?;
    history.reverse();
    let initial = match history.first() {
        Some(first) => first.from_stage.unwrap_or_else(|| config_stage(state)),
        None => flag.state.stage,
    };
    let changes: Vec<(OffsetDateTime, Stage)> =
        history.iter().map(|c| (c.at, c.to_stage)).collect();
    let all = periods(&changes, initial, state.clock.now());
    let sla = time::Duration::hours(state.settings.sla_hours);
    let mut stages = Vec::new();
    for phase in [Phase::Alpha, Phase::Beta, Phase::Ga] {
        let stage = phase.stage();
        let mine: Vec<(OffsetDateTime, OffsetDateTime)> = all
            .iter()
            .filter(|(s, _, _)| *s == stage)
            .map(|(_, f, t)| (*f, *t))
            .collect();
        let figures = flags::stage_figures(&state.store, &mine, sla).await?;
        let checks = gate_checks(phase, &figures);
        stages.push(StageReport {
            stage,
            phase: phase.name(),
            volume: phase.volume(),
            current: flag.state.stage == stage,
            periods: mine.len(),
            success_rate: figures
                .stats
                .success_rate()
                .map(pct)
                .unwrap_or_else(|| "no data".into()),
            error_rate: figures
                .stats
                .error_rate()
                .map(pct)
                .unwrap_or_else(|| "no data".into()),
            median_time_to_ship: figures
                .median_ship_secs
                .map(hours)
                .unwrap_or_else(|| "no data".into()),
            gate_met: all_met(&checks),
            checks,
            figures,
        });
    }
    let removal = removal_now(state, &flag, &all, sla).await?;
    Ok(Report {
        flag,
        stages,
        removal,
    })
}

/// Judges the removal criteria over the current stretch at GA (the last period, when GA is in force).
async fn removal_now(
    state: &AppState,
    flag: &Effective,
    all: &[(Stage, OffsetDateTime, OffsetDateTime)],
    sla: time::Duration,
) -> Result<Removal, StoreError> {
    let now = state.clock.now();
    // The current stretch at GA: the last periods, as long as they are all `on` (a change from
    // `on` to `on` does not break it; any other stage does).
    let Some((Stage::On, _, to)) = all.last().copied() else {
        return Ok(removal(None, None, 0));
    };
    if flag.state.stage != Stage::On {
        return Ok(removal(None, None, 0));
    }
    let from = all
        .iter()
        .rev()
        .take_while(|(s, _, _)| *s == Stage::On)
        .map(|(_, f, _)| *f)
        .last()
        .unwrap_or(to);
    // A GA stretch that began before any change (configured `on`) counts from the first shipment.
    let figures = flags::stage_figures(&state.store, &[(from, to)], sla).await?;
    let gate = all_met(&gate_checks(Phase::Ga, &figures));
    let integrity = flags::integrity(&state.store, from, to).await?;
    let began = if from == OffsetDateTime::UNIX_EPOCH {
        flags::first_shipment_at(&state.store).await?.unwrap_or(now)
    } else {
        from
    };
    Ok(removal(
        Some((now - began).whole_seconds().max(0)),
        gate,
        integrity.duplicated + integrity.lost,
    ))
}

fn config_stage(state: &AppState) -> Stage {
    state
        .settings
        .feature_order_fulfillment
        .as_deref()
        .and_then(|v| orderly_domain::feature::FlagState::parse_config(v).ok())
        .map(|s| s.stage)
        .unwrap_or(Stage::Off)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_follow_the_changes_and_start_with_the_initial_stage() {
        let t = |s: i64| OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(s);
        let p = periods(
            &[
                (t(100), Stage::Internal),
                (t(200), Stage::Percent),
                (t(300), Stage::Off),
            ],
            Stage::Off,
            t(400),
        );
        assert_eq!(
            p,
            vec![
                (Stage::Off, t(0), t(100)),
                (Stage::Internal, t(100), t(200)),
                (Stage::Percent, t(200), t(300)),
                (Stage::Off, t(300), t(401)),
            ]
        );
        assert_eq!(periods(&[], Stage::On, t(5)), vec![(Stage::On, t(0), t(6))]);
    }
}
