//! Feature flags: the current value (`feature_flags`), an append-only change history
//! (`feature_flag_changes`) written with a hash-chained audit entry in the same transaction, and the
//! shipment figures the rollback guard and the rollout report judge a stage by.

use orderly_domain::feature::{FlagState, Stage};
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;
use time::OffsetDateTime;

use crate::audit::{self, AuditEntry};
use crate::{Store, StoreError, Tx, from_micros, to_micros};

/// A flag as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredFlag {
    /// The flag's name.
    pub name: String,
    /// Its value.
    pub state: FlagState,
    /// Bumped on every change.
    pub version: i64,
    /// When it last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// Who changed it (`user:<email>`, `apikey:<prefix>`, `cli`, `rollback-guard`).
    pub updated_by: String,
    /// Why.
    pub reason: String,
    /// Set when the rollback guard switched it off, until someone changes it again.
    pub rolled_back: Option<RolledBack>,
}

/// What the rollback guard recorded when it switched a flag off.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RolledBack {
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The sentence with the figures.
    pub reason: String,
    /// The figures that triggered it.
    pub figures: serde_json::Value,
}

/// One change in a flag's history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlagChange {
    /// Position in the history.
    pub id: i64,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Who.
    pub actor: String,
    /// The stage before (`None` for the first change).
    pub from_stage: Option<Stage>,
    /// The percent before.
    pub from_percent: Option<u8>,
    /// The stage after.
    pub to_stage: Stage,
    /// The percent after.
    pub to_percent: u8,
    /// The staff list after.
    pub staff: Vec<String>,
    /// Why.
    pub reason: String,
    /// True when the rollback guard made it.
    pub automatic: bool,
}

/// A change to make.
#[derive(Debug, Clone)]
pub struct Change<'a> {
    /// The new value.
    pub state: &'a FlagState,
    /// Who makes it.
    pub actor: &'a str,
    /// Why (required; shown in history and audit).
    pub reason: &'a str,
    /// When.
    pub at: OffsetDateTime,
    /// For the rollback guard: the figures that triggered it (marks the change automatic).
    pub rollback_figures: Option<serde_json::Value>,
}

const COLUMNS: &str = "name, stage, percent, staff, version, updated_at, updated_by, reason, \
    rolled_back_at, rolled_back_reason, rolled_back_figures";

fn corrupt(what: &str, v: &str) -> StoreError {
    StoreError::Corrupt(format!("{what}: {v:?}"))
}

fn stage(s: &str) -> Result<Stage, StoreError> {
    Stage::parse(s).ok_or_else(|| corrupt("feature flag stage", s))
}

fn percent(p: i64) -> u8 {
    u8::try_from(p.clamp(0, 100)).unwrap_or(0)
}

fn staff(s: &str) -> Vec<String> {
    serde_json::from_str(s).unwrap_or_default()
}

fn from_row(r: &AnyRow) -> Result<StoredFlag, StoreError> {
    let rolled_back_at: Option<i64> = r.try_get("rolled_back_at")?;
    let rolled_back = match rolled_back_at {
        Some(at) => Some(RolledBack {
            at: from_micros(at),
            reason: r
                .try_get::<Option<String>, _>("rolled_back_reason")?
                .unwrap_or_default(),
            figures: r
                .try_get::<Option<String>, _>("rolled_back_figures")?
                .and_then(|f| serde_json::from_str(&f).ok())
                .unwrap_or(serde_json::Value::Null),
        }),
        None => None,
    };
    Ok(StoredFlag {
        name: r.try_get("name")?,
        state: FlagState {
            stage: stage(&r.try_get::<String, _>("stage")?)?,
            percent: percent(r.try_get("percent")?),
            staff: staff(&r.try_get::<String, _>("staff")?),
        },
        version: r.try_get("version")?,
        updated_at: from_micros(r.try_get("updated_at")?),
        updated_by: r.try_get("updated_by")?,
        reason: r.try_get("reason")?,
        rolled_back,
    })
}

/// The flag's stored value, or `None` when it was never set (config decides then).
pub async fn get(store: &Store, name: &str) -> Result<Option<StoredFlag>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM feature_flags WHERE name = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(name)
        .fetch_optional(store.reader())
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// [`get`] inside a transaction.
pub async fn get_in(tx: &mut Tx<'_>, name: &str) -> Result<Option<StoredFlag>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM feature_flags WHERE name = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(name)
        .fetch_optional(&mut **tx)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Sets the flag inside `tx`, appending the change to the history and the audit log. `expected` is
/// the version the caller saw (`None`: it must not exist yet); a mismatch is [`StoreError::Conflict`].
pub async fn set_in(
    tx: &mut Tx<'_>,
    name: &str,
    expected: Option<i64>,
    c: &Change<'_>,
) -> Result<StoredFlag, StoreError> {
    let before = get_in(tx, name).await?;
    if before.as_ref().map(|f| f.version) != expected {
        return Err(StoreError::Conflict(format!(
            "feature flag {name} changed meanwhile"
        )));
    }
    let at = to_micros(c.at);
    let staff_json =
        serde_json::to_string(&c.state.staff).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let automatic = c.rollback_figures.is_some();
    let (rb_at, rb_reason, rb_figures) = match &c.rollback_figures {
        Some(f) => (Some(at), Some(c.reason), Some(f.to_string())),
        None => (None, None, None),
    };
    let version = expected.unwrap_or(0) + 1;
    let sql = if expected.is_some() {
        "UPDATE feature_flags SET stage = $2, percent = $3, staff = $4, version = $5, updated_at = $6,
            updated_by = $7, reason = $8, rolled_back_at = $9, rolled_back_reason = $10,
            rolled_back_figures = $11 WHERE name = $1 AND version = $12"
    } else {
        "INSERT INTO feature_flags (name, stage, percent, staff, version, updated_at, updated_by, reason,
            rolled_back_at, rolled_back_reason, rolled_back_figures)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    };
    let mut q = sqlx::query(sql)
        .bind(name)
        .bind(c.state.stage.as_str())
        .bind(i64::from(c.state.percent))
        .bind(&staff_json)
        .bind(version)
        .bind(at)
        .bind(c.actor)
        .bind(c.reason)
        .bind(rb_at)
        .bind(rb_reason)
        .bind(rb_figures);
    if let Some(v) = expected {
        q = q.bind(v);
    }
    let conflict = || StoreError::Conflict(format!("feature flag {name} changed meanwhile"));
    let done = q.execute(&mut **tx).await.map_err(|e| {
        if e.as_database_error()
            .is_some_and(|d| d.is_unique_violation())
        {
            conflict()
        } else {
            StoreError::Db(e)
        }
    })?;
    if done.rows_affected() != 1 {
        return Err(conflict());
    }
    let from = before.as_ref().map(|b| &b.state);
    sqlx::query(
        "INSERT INTO feature_flag_changes (name, at, actor, from_stage, from_percent, to_stage, to_percent, staff, reason, automatic)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(name)
    .bind(at)
    .bind(c.actor)
    .bind(from.map(|f| f.stage.as_str()))
    .bind(from.map(|f| i64::from(f.percent)))
    .bind(c.state.stage.as_str())
    .bind(i64::from(c.state.percent))
    .bind(&staff_json)
    .bind(c.reason)
    .bind(i64::from(automatic))
    .execute(&mut **tx)
    .await?;
    let detail = serde_json::json!({
        "from": from.map(|f| serde_json::json!({"stage": f.stage, "percent": f.percent, "staff": f.staff})),
        "to": {"stage": c.state.stage, "percent": c.state.percent, "staff": c.state.staff},
        "reason": c.reason,
        "automatic": automatic,
        "figures": c.rollback_figures,
    });
    audit::append(
        tx,
        &AuditEntry {
            at: c.at,
            actor: c.actor,
            action: if automatic {
                "feature_flag.rolled_back"
            } else {
                "feature_flag.changed"
            },
            entity: "feature_flag",
            entity_id: name,
            detail,
        },
    )
    .await?;
    get_in(tx, name).await?.ok_or(StoreError::NotFound)
}

/// Sets the flag in its own transaction (see [`set_in`]), whatever its current version.
pub async fn set(store: &Store, name: &str, c: &Change<'_>) -> Result<StoredFlag, StoreError> {
    crate::retry_busy(5, || async {
        let mut tx = store.begin().await?;
        let expected = get_in(&mut tx, name).await?.map(|f| f.version);
        let flag = set_in(&mut tx, name, expected, c).await?;
        tx.commit().await?;
        Ok(flag)
    })
    .await
}

/// The flag's changes, newest first, at most `limit`.
pub async fn history(store: &Store, name: &str, limit: i64) -> Result<Vec<FlagChange>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, at, actor, from_stage, from_percent, to_stage, to_percent, staff, reason, automatic
         FROM feature_flag_changes WHERE name = $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(name)
    .bind(limit)
    .fetch_all(store.reader())
    .await?;
    rows.iter()
        .map(|r| {
            let from_stage: Option<String> = r.try_get("from_stage")?;
            Ok(FlagChange {
                id: r.try_get("id")?,
                at: from_micros(r.try_get("at")?),
                actor: r.try_get("actor")?,
                from_stage: from_stage.as_deref().map(stage).transpose()?,
                from_percent: r.try_get::<Option<i64>, _>("from_percent")?.map(percent),
                to_stage: stage(&r.try_get::<String, _>("to_stage")?)?,
                to_percent: percent(r.try_get("to_percent")?),
                staff: staff(&r.try_get::<String, _>("staff")?),
                reason: r.try_get("reason")?,
                automatic: r.try_get::<i64, _>("automatic")? != 0,
            })
        })
        .collect()
}

mod stats;

pub use stats::{first_shipment_at, integrity, stage_figures, window_stats};
