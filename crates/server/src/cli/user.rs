//! `orderly user add --email … --role admin|operator|viewer`: creates a dashboard user (or resets
//! its role and password). The password is prompted for on a terminal, or read from the first line
//! of standard input when it is not one.

use std::io::{BufRead, IsTerminal, Write};

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
    }
}

fn read_password() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    let tty = stdin.is_terminal();
    if tty {
        eprint!("Password (at least {MIN_PASSWORD} characters): ");
        std::io::stderr().flush().ok();
        stty("-echo");
    }
    let mut line = String::new();
    let read = stdin.lock().read_line(&mut line);
    if tty {
        stty("echo");
        eprintln!();
    }
    read.context("Failed to read the password from standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// Turns terminal echo off or on (best effort: without `stty` the password is shown).
fn stty(arg: &str) {
    let _ = std::process::Command::new("stty")
        .arg(arg)
        .stdin(std::process::Stdio::inherit())
        .status();
}
