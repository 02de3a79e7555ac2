//! `orderly user add --email … --role admin|operator|viewer`: creates a dashboard user (or resets
//! its role and password). The password is prompted for on a terminal, or read from the first line
//! of standard input when it is not one. Saving an existing user ends their sessions.
//! `orderly user disable --email …` disables one and ends their sessions.

use std::io::{BufRead, IsTerminal};

use anyhow::{Context, bail};
use clap::Subcommand;
use orderly_store::accounts::{self, Role};

use crate::config::Settings;

/// `user` subcommands.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a dashboard user, or reset the role and password of an existing one.
    Add {
        /// Sign-in email.
        #[arg(long)]
        email: String,
        /// admin, operator or viewer.
        #[arg(long)]
        role: String,
    },
    /// Disable a user: they cannot sign in, and every session they have ends at once.
    Disable {
        /// Sign-in email.
        #[arg(long)]
        email: String,
    },
}

/// Shortest password accepted.
pub const MIN_PASSWORD: usize = 12;

/// Runs a `user` subcommand.
pub async fn run(command: UserCommand, settings: &Settings) -> anyhow::Result<()> {
    match command {
        UserCommand::Add { email, role } => {
            let role = Role::parse(&role)
                .with_context(|| format!("unknown role {role:?}; use admin, operator or viewer"))?;
            if !email.contains('@') {
                bail!("{email:?} is not an email address");
            }
            let password = read_password()?;
            if password.chars().count() < MIN_PASSWORD {
                bail!("the password must be at least {MIN_PASSWORD} characters");
            }
            let hash = crate::web::session::hash_password(&password)?;
            let store = super::open_store(settings, true).await?;
            let user = accounts::upsert_user(
                &store,
                &email,
                role,
                &hash,
                time::OffsetDateTime::now_utc(),
                "cli",
            )
            .await?;
            store.close().await;
            println!("User {} saved with role {}", user.email, user.role.as_str());
            Ok(())
        }
        UserCommand::Disable { email } => {
            let store = super::open_store(settings, true).await?;
            let disabled =
                accounts::disable_user(&store, &email, time::OffsetDateTime::now_utc(), "cli")
                    .await?;
            store.close().await;
            match disabled {
                Some(user) => {
                    // Sessions are deleted now; open live streams end at their next check.
                    println!("User {} is disabled and signed out", user.email);
                    Ok(())
                }
                None => bail!("no enabled user {email:?}"),
            }
        }
    }
}

/// Reads the password: on a terminal without echo (`rpassword`, which restores the terminal
/// even when Ctrl-C interrupts the prompt), otherwise the first line of standard input.
fn read_password() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        let mut line = String::new();
        stdin
            .lock()
            .read_line(&mut line)
            .context("Failed to read the password from standard input")?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_string());
    }
    // rpassword reads Ctrl-C as a key and raises SIGINT before restoring the terminal; with
    // this handler installed the signal does not end the process, the prompt returns
    // `Interrupted`, and the terminal gets its echo back.
    #[cfg(unix)]
    let _interrupt = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
        .context("Failed to watch for Ctrl-C")?;
    match rpassword::prompt_password(format!("Password (at least {MIN_PASSWORD} characters): ")) {
        Ok(p) => Ok(p),
        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => bail!("interrupted"),
        Err(e) => Err(e).context("Failed to read the password from the terminal"),
    }
}
