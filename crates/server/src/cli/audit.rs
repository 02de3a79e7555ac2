//! `orderly audit verify`: recomputes the audit log's hash chain.

use clap::Subcommand;

use crate::config::Settings;

/// Audit commands.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check every entry's hash and link; exits non-zero on the first broken one.
    Verify,
}

/// Runs an audit command.
pub async fn run(cmd: AuditCommand, settings: &Settings) -> anyhow::Result<()> {
    match cmd {
        AuditCommand::Verify => {
            let store = super::open_store(settings, false).await?;
            let v = orderly_store::audit::verify(&store).await?;
            store.close().await;
            match v.broken {
                None => {
                    println!("audit log intact: {} entries verified", v.rows);
                    Ok(())
                }
                Some((seq, why)) => anyhow::bail!(
                    "audit log broken at entry {seq}: {why} ({} entries before it verified)",
                    v.rows
                ),
            }
        }
    }
}
