//! `orderly webhook add | list | replay`: manage outbound webhook endpoints from the shell.

use clap::{Args, Subcommand};
use orderly_store::delivery::{self, NewEndpoint};
use time::OffsetDateTime;

use crate::config::Settings;

/// Webhook commands.
#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Add an endpoint; its signing secret is printed once, as the last line.
    Add(AddArgs),
    /// List endpoints with their state and delivery position.
    List,
    /// Send a stored event again to every enabled endpoint (or one).
    Replay(ReplayArgs),
}

/// Arguments of `webhook add`.
#[derive(Debug, Args)]
pub struct AddArgs {
    /// Where to POST events: https:// on a public address (see ORDERLY_ALLOW_INSECURE_WEBHOOKS and
    /// ORDERLY_WEBHOOK_ALLOWED_NETWORKS).
    #[arg(long)]
    url: String,
    /// Signing secret (at least 16 characters); generated when omitted.
    #[arg(long)]
    secret: Option<String>,
    /// Free text.
    #[arg(long)]
    description: Option<String>,
}

/// Arguments of `webhook replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The event id.
    #[arg(long)]
    event: String,
    /// Only this endpoint id.
    #[arg(long)]
    endpoint: Option<i64>,
}

/// Runs a webhook command.
pub async fn run(cmd: WebhookCommand, settings: &Settings) -> anyhow::Result<()> {
    let store = super::open_store(settings, true).await?;
    let result = execute(cmd, &store, settings).await;
    store.close().await;
    result
}

async fn execute(
    cmd: WebhookCommand,
    store: &orderly_store::Store,
    settings: &Settings,
) -> anyhow::Result<()> {
    let now = OffsetDateTime::now_utc();
    match cmd {
        WebhookCommand::Add(args) => {
            if let Err(why) =
                crate::api::webhooks::check_url(&settings.webhook_egress, &args.url).await
            {
                anyhow::bail!("--url {why}");
            }
            let secret = args
                .secret
                .unwrap_or_else(crate::api::webhooks::generate_secret);
            if secret.len() < 16 {
                anyhow::bail!("--secret must be at least 16 characters");
            }
            let new = NewEndpoint {
                url: &args.url,
                secret: &secret,
                description: args.description.as_deref(),
            };
            let e = delivery::create_endpoint(store, &new, now, "cli").await?;
            eprintln!(
                "Added webhook endpoint {} → {}. Events committed from now on are delivered. Signing secret (shown once):",
                e.id, e.url
            );
            println!("{secret}");
        }
        WebhookCommand::List => {
            let head = delivery::head_seq(store).await?;
            println!("id\tenabled\tbehind\tfailures\turl\tdescription");
            for e in delivery::list_endpoints(store).await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}{}",
                    e.id,
                    if e.enabled { "yes" } else { "no" },
                    (head - e.cursor).max(0),
                    e.consecutive_failures,
                    e.url,
                    e.description.as_deref().unwrap_or(""),
                    e.disabled_reason
                        .map(|r| format!(" (disabled: {r})"))
                        .unwrap_or_default(),
                );
            }
        }
        WebhookCommand::Replay(args) => {
            match delivery::replay(store, &args.event, args.endpoint, now, "cli").await? {
                None => anyhow::bail!("no event {} in the outbox", args.event),
                Some(ids) if ids.is_empty() => {
                    anyhow::bail!("no enabled webhook endpoint to replay to")
                }
                Some(ids) => println!(
                    "Replay of {} queued for endpoint(s) {}; a running worker sends it within a second.",
                    args.event,
                    ids.iter()
                        .map(i64::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }
        }
    }
    Ok(())
}
