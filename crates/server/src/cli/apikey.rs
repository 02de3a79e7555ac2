//! `orderly apikey create --scope orders:read [--expires-in 90d]` (prints the new key as the last
//! line), `orderly apikey list` and `orderly apikey revoke PREFIX`.

use clap::{Args, Subcommand};
use orderly_store::api_keys;
use time::OffsetDateTime;

use crate::config::Settings;

/// API key commands.
#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Create a key; the key itself is printed once, as the last line.
    Create(CreateArgs),
    /// List every key: prefix, name, scopes, created, last used, expiry, state.
    List,
    /// Revoke a key by its prefix; it is refused from then on.
    Revoke {
        /// The key's public prefix (the part after `ok_`).
        prefix: String,
    },
}

/// Arguments of `apikey create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// A name to recognise the key by.
    #[arg(long, default_value = "cli")]
    name: String,
    /// Scopes: orders:read, orders:write, events:read, metrics:read, admin (repeatable).
    #[arg(long = "scope", required = true)]
    scopes: Vec<String>,
    /// Expire the key after this long: a number with d, h or m (`90d`, `12h`); never when omitted.
    #[arg(long = "expires-in", value_parser = parse_duration)]
    expires_in: Option<time::Duration>,
}

/// Parses `90d`, `12h` or `30m`.
pub fn parse_duration(s: &str) -> Result<time::Duration, String> {
    let s = s.trim();
    let bad = || format!("{s:?} is not a duration like 90d, 12h or 30m");
    let (digits, unit) = s.split_at(s.len().saturating_sub(1));
    let n: i64 = digits.parse().map_err(|_| bad())?;
    if n <= 0 || n > 3650 * 24 * 60 {
        return Err(bad());
    }
    match unit {
        "d" => Ok(time::Duration::days(n)),
        "h" => Ok(time::Duration::hours(n)),
        "m" => Ok(time::Duration::minutes(n)),
        _ => Err(bad()),
    }
}

/// Runs an API key command.
pub async fn run(cmd: ApiKeyCommand, settings: &Settings) -> anyhow::Result<()> {
    let now = OffsetDateTime::now_utc();
    match cmd {
        ApiKeyCommand::Create(args) => {
            let expires_at = args.expires_in.map(|d| now + d);
            if let Err(errors) =
                crate::api::api_keys::validate(&args.name, &args.scopes, expires_at, now)
            {
                let text: Vec<String> = errors
                    .iter()
                    .map(|e| format!("{}: {}", e.pointer.trim_start_matches('/'), e.message))
                    .collect();
                anyhow::bail!("{}", text.join("; "));
            }
            let store = super::open_store(settings, true).await?;
            let key =
                api_keys::create_expiring(&store, &args.name, &args.scopes, expires_at, now, "cli")
                    .await?;
            store.close().await;
            let until = expires_at
                .map(|e| format!(", expiring {}", crate::web::format::ist(e)))
                .unwrap_or_default();
            eprintln!(
                "Created API key {} ({}) with scopes {}{until}. It is shown once:",
                key.prefix,
                args.name,
                args.scopes.join(" ")
            );
            println!("{}", key.key);
            Ok(())
        }
        ApiKeyCommand::List => {
            let store = super::open_store(settings, true).await?;
            let keys = api_keys::list(&store).await?;
            store.close().await;
            println!("PREFIX    STATE    NAME / SCOPES / CREATED / LAST USED / EXPIRES");
            for k in keys {
                let when = |t: Option<OffsetDateTime>| {
                    t.map(crate::web::format::ist)
                        .unwrap_or_else(|| "never".into())
                };
                println!(
                    "{:<9} {:<8} {} / {} / {} / last used {} / expires {}",
                    k.prefix,
                    k.state(now),
                    k.name,
                    k.scopes.join(" "),
                    crate::web::format::ist(k.created_at),
                    when(k.last_used_at),
                    when(k.expires_at),
                );
            }
            Ok(())
        }
        ApiKeyCommand::Revoke { prefix } => {
            let store = super::open_store(settings, true).await?;
            let revoked = api_keys::revoke(&store, &prefix, now, "cli").await?;
            store.close().await;
            match revoked {
                Some(k) => {
                    println!("API key {} ({}) is revoked", k.prefix, k.name);
                    Ok(())
                }
                None => {
                    anyhow::bail!("no API key with prefix {prefix:?} (see `orderly apikey list`)")
                }
            }
        }
    }
}
