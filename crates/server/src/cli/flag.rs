//! `orderly flag get` and `orderly flag set <off|internal|percent|on> [--percent N] [--staff a@x,b@y]
//! --reason "…"`: the fulfilment rollout flag from the command line (audited as `cli`).

use clap::Subcommand;
use orderly_domain::feature::{FlagState, ORDER_FULFILLMENT, Stage, split_list};
use orderly_store::flags;

use crate::config::Settings;
use crate::feature::{self, SetError};

/// Flag commands.
#[derive(Debug, Subcommand)]
pub enum FlagCommand {
    /// Show feature.orders.order_fulfillment: stage, where the value comes from, recent changes.
    Get,
    /// Change feature.orders.order_fulfillment.
    Set {
        /// off, internal, percent or on.
        stage: String,
        /// For percent: the share of orders, 0–100.
        #[arg(long)]
        percent: Option<u8>,
        /// For internal: staff emails or API key prefixes, comma-separated.
        #[arg(long)]
        staff: Option<String>,
        /// Why (required; kept in the history and the audit log).
        #[arg(long)]
        reason: String,
    },
}

/// Runs a flag command.
pub async fn run(cmd: FlagCommand, settings: &Settings) -> anyhow::Result<()> {
    let store = super::open_store(settings, true).await?;
    let result = match cmd {
        FlagCommand::Get => show(&store, settings).await,
        FlagCommand::Set {
            stage,
            percent,
            staff,
            reason,
        } => set(&store, &stage, percent, staff.as_deref(), &reason).await,
    };
    store.close().await;
    result
}

async fn show(store: &orderly_store::Store, settings: &Settings) -> anyhow::Result<()> {
    let current = feature::load(store, settings).await?;
    println!("{ORDER_FULFILLMENT}: {}", current.state.describe());
    if !current.state.staff.is_empty() {
        println!("staff: {}", current.state.staff.join(", "));
    }
    match &current.stored {
        Some(s) => println!(
            "set by {} at {} (version {}): {}",
            s.updated_by, s.updated_at, s.version, s.reason
        ),
        None => println!(
            "never set; from {}",
            if settings.feature_order_fulfillment.is_some() {
                "ORDERLY_FEATURE_ORDER_FULFILLMENT"
            } else {
                "the default (off)"
            }
        ),
    }
    if let Some(rb) = current.stored.as_ref().and_then(|s| s.rolled_back.as_ref()) {
        println!("rolled back automatically at {}: {}", rb.at, rb.reason);
    }
    for c in flags::history(store, ORDER_FULFILLMENT, 10).await? {
        println!(
            "  {}  {:<22} {} → {}{}  {}",
            c.at,
            c.actor,
            c.from_stage.map(Stage::as_str).unwrap_or("(unset)"),
            c.to_stage,
            if c.to_stage == Stage::Percent {
                format!(" {} %", c.to_percent)
            } else {
                String::new()
            },
            c.reason
        );
    }
    Ok(())
}

async fn set(
    store: &orderly_store::Store,
    stage: &str,
    percent: Option<u8>,
    staff: Option<&str>,
    reason: &str,
) -> anyhow::Result<()> {
    let st = Stage::parse(stage).ok_or_else(|| {
        anyhow::anyhow!("unknown stage {stage:?}: use off, internal, percent or on")
    })?;
    if st == Stage::Percent && percent.is_none() {
        anyhow::bail!("the percent stage needs --percent N (0–100)");
    }
    let staff = staff.map(split_list).unwrap_or_default();
    let new = FlagState::new(st, percent.unwrap_or(0), &staff)?;
    let now = time::OffsetDateTime::now_utc();
    match feature::set_on(store, &new, "cli", reason, None, now).await {
        Ok(s) => {
            println!(
                "{ORDER_FULFILLMENT} is now {} (version {})",
                s.state.describe(),
                s.version
            );
            Ok(())
        }
        Err(SetError::Invalid(m)) => anyhow::bail!("{m}"),
        Err(e) => Err(e.into()),
    }
}
