//! `GET/POST /settings/fulfilment` and `GET /settings/fulfilment/report`: the fulfilment rollout flag.
//! Everyone signed in sees the stage, the banner after an automatic rollback, the history and the
//! rollout report (per stage: orders fulfilled, success and error rates, median time-to-ship,
//! against the spec's alpha / beta / GA gates); admins change the flag with a reason.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::Response;
use http::StatusCode;
use orderly_domain::feature::{FlagState, ORDER_FULFILLMENT, Stage, split_list};
use orderly_store::accounts::Role;
use orderly_store::flags::{self, FlagChange};
use serde::Deserialize;

use super::format::ist;
use super::{Session, WebError};
use crate::app::AppState;
use crate::feature::report::{self, StageReport};
use crate::feature::{self, SetError, Source};

/// A change as shown in the history table.
#[derive(Debug)]
pub struct HistoryRow {
    at: String,
    actor: String,
    from: String,
    to: String,
    reason: String,
    automatic: bool,
}

fn describe(stage: Option<Stage>, percent: Option<u8>) -> String {
    match (stage, percent) {
        (None, _) => "(unset)".into(),
        (Some(Stage::Percent), Some(p)) => format!("percent ({p} %)"),
        (Some(s), _) => s.as_str().into(),
    }
}

impl From<&FlagChange> for HistoryRow {
    fn from(c: &FlagChange) -> Self {
        HistoryRow {
            at: ist(c.at),
            actor: c.actor.clone(),
            from: describe(c.from_stage, c.from_percent),
            to: describe(Some(c.to_stage), Some(c.to_percent)),
            reason: c.reason.clone(),
            automatic: c.automatic,
        }
    }
}

#[derive(Template)]
#[template(path = "flags_settings.html")]
struct SettingsPage {
    email: String,
    role: &'static str,
    csrf: String,
    banner: Option<String>,
    message: Option<String>,
    stage: &'static str,
    summary: String,
    percent: u8,
    staff: String,
    source: &'static str,
    version: i64,
    updated: Option<String>,
    history: Vec<HistoryRow>,
    is_admin: bool,
    rollback: RollbackShown,
}

/// The rollback guard's configured limits (`ORDERLY_ROLLBACK_*`), as the page states them.
#[derive(Debug)]
struct RollbackShown {
    window: String,
    min_sample: u64,
    max_error_pct: String,
    min_success_pct: String,
}

impl From<&crate::feature::RollbackSettings> for RollbackShown {
    fn from(r: &crate::feature::RollbackSettings) -> Self {
        RollbackShown {
            window: span(r.window),
            min_sample: r.thresholds.min_sample,
            max_error_pct: percent(r.thresholds.max_error_rate),
            min_success_pct: percent(r.thresholds.min_success_rate),
        }
    }
}

/// A rate as a percent with at most two decimals: 0.01 → "1", 0.025 → "2.5".
fn percent(rate: f64) -> String {
    format!("{}", (rate * 10_000.0).round() / 100.0)
}

/// A window in the largest whole unit: "1 hour", "30 minutes", "90 seconds".
fn span(d: std::time::Duration) -> String {
    let secs = d.as_secs();
    let (n, unit) = if secs.is_multiple_of(3600) {
        (secs / 3600, "hour")
    } else if secs.is_multiple_of(60) {
        (secs / 60, "minute")
    } else {
        (secs, "second")
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

#[derive(Template)]
#[template(path = "flags_report.html")]
struct ReportPage {
    email: String,
    role: &'static str,
    csrf: String,
    banner: Option<String>,
    summary: String,
    sla_hours: i64,
    stages: Vec<StageReport>,
    removal: orderly_domain::feature::Removal,
}

/// `?done=` after a change.
#[derive(Debug, Default, Deserialize)]
pub struct Done {
    /// `saved` or `stale`.
    pub done: Option<String>,
}

/// The change form.
#[derive(Debug, Deserialize)]
pub struct SetForm {
    /// The session's CSRF token.
    pub csrf: String,
    /// `off`, `internal`, `percent`, `on`.
    pub stage: String,
    /// For `percent`.
    #[serde(default)]
    pub percent: String,
    /// For `internal`: comma-separated emails or API key prefixes.
    #[serde(default)]
    pub staff: String,
    /// Why.
    #[serde(default)]
    pub reason: String,
    /// The version the form was rendered with.
    #[serde(default)]
    pub version: i64,
}

/// `GET /settings/fulfilment`.
pub async fn page(
    State(state): State<AppState>,
    session: Session,
    Query(done): Query<Done>,
) -> Result<Response, WebError> {
    let current = feature::current(&state).await?;
    let history = flags::history(&state.store, ORDER_FULFILLMENT, 50).await?;
    let stored = current.stored.as_ref();
    let message = match done.done.as_deref() {
        Some("saved") => Some("The fulfilment flag was changed.".to_string()),
        Some("stale") => {
            Some("Someone changed the flag while you were editing; review it and try again.".into())
        }
        _ => None,
    };
    super::render(&SettingsPage {
        email: session.email().to_string(),
        role: session.role().as_str(),
        csrf: session.csrf().to_string(),
        banner: feature::banner(&state).await,
        message,
        stage: current.state.stage.as_str(),
        summary: current.state.describe(),
        percent: current.state.percent,
        staff: current.state.staff.join(", "),
        source: match current.source {
            Source::Database => "set in Orderly",
            Source::Config => "from ORDERLY_FEATURE_ORDER_FULFILLMENT (never changed here)",
            Source::Default => "default (never set)",
        },
        version: stored.map(|s| s.version).unwrap_or(0),
        updated: stored.map(|s| format!("{} by {}: {}", ist(s.updated_at), s.updated_by, s.reason)),
        history: history.iter().map(HistoryRow::from).collect(),
        is_admin: session.role() >= Role::Admin,
        rollback: RollbackShown::from(&state.settings.feature_rollback),
    })
}

fn refuse(message: impl Into<String>) -> WebError {
    WebError::Message(StatusCode::UNPROCESSABLE_ENTITY, message.into())
}

/// `POST /settings/fulfilment` (admins).
pub async fn save(
    State(state): State<AppState>,
    session: Session,
    Form(f): Form<SetForm>,
) -> Result<Response, WebError> {
    session.authorise(Role::Admin, &f.csrf)?;
    let stage =
        Stage::parse(&f.stage).ok_or_else(|| refuse("Choose off, internal, percent or on."))?;
    let percent = if stage == Stage::Percent {
        orderly_domain::feature::parse_percent(&f.percent)
            .map_err(|_| refuse("Give a percent from 0 to 100."))?
    } else {
        0
    };
    let new =
        FlagState::new(stage, percent, &split_list(&f.staff)).map_err(|e| refuse(e.to_string()))?;
    let actor = format!("user:{}", session.email());
    match feature::set(&state, &new, &actor, &f.reason, Some(f.version)).await {
        Ok(_) => Ok(super::see_other("/settings/fulfilment?done=saved")),
        Err(SetError::Conflict) => Ok(super::see_other("/settings/fulfilment?done=stale")),
        Err(SetError::Invalid(m)) => Err(refuse(m)),
        Err(SetError::Store(e)) => Err(e.into()),
    }
}

/// `GET /settings/fulfilment/report`.
pub async fn report_page(
    State(state): State<AppState>,
    session: Session,
) -> Result<Response, WebError> {
    let r = report::build(&state).await?;
    super::render(&ReportPage {
        email: session.email().to_string(),
        role: session.role().as_str(),
        csrf: session.csrf().to_string(),
        banner: feature::banner(&state).await,
        summary: r.flag.state.describe(),
        sla_hours: state.settings.sla_hours,
        stages: r.stages,
        removal: r.removal,
    })
}
