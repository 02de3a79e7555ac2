//! `orderly apikey create --scope orders:read`: prints the new key as the last line.

use clap::{Args, Subcommand};

use crate::config::Settings;

/// API key commands.
#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Create a key; the key itself is printed once, as the last line.
    Create(CreateArgs),
}

/// Arguments of `apikey create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// A name to recognise the key by.
    #[arg(long, default_value = "cli")]
    name: String,
    /// Scopes: orders:read, orders:write, events:read, admin (repeatable).
    #[arg(long = "scope", required = true)]
    scopes: Vec<String>,
}

/// Scopes Orderly knows.
pub const SCOPES: &[&str] = &[
    "orders:read",
    "orders:write",
    "events:read",
    "metrics:read",
    "admin",
];

/// Runs an API key command.
pub async fn run(cmd: ApiKeyCommand, settings: &Settings) -> anyhow::Result<()> {
    match cmd {
        ApiKeyCommand::Create(args) => {
            if let Some(bad) = args.scopes.iter().find(|s| !SCOPES.contains(&s.as_str())) {
                anyhow::bail!("unknown scope {bad:?}; known scopes: {}", SCOPES.join(", "));
            }
            let store = super::open_store(settings, true).await?;
            let key =
                orderly_store::api_keys::create(&store, &args.name, &args.scopes, "cli").await?;
            store.close().await;
            eprintln!(
                "Created API key {} ({}) with scopes {}. It is shown once:",
                key.prefix,
                args.name,
                args.scopes.join(" ")
            );
            println!("{}", key.key);
            Ok(())
        }
    }
}
