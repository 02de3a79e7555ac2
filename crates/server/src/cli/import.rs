//! `orderly import FILE.jsonl`: one OrderPlaced envelope a line, through the same validation as HTTP
//! intake, with a progress bar and a summary of rejected lines and why.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use orderly_domain::intake::{IntakeError, parse_order_placed};
use orderly_domain::pincodes;
use orderly_store::orders::{self, IntakeOutcome, PlacedMeta};
use time::OffsetDateTime;

use crate::config::Settings;

/// Arguments of `import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// A JSON Lines file: one OrderPlaced v1 envelope per line.
    pub file: PathBuf,
    /// Show at most this many rejected lines in the summary.
    #[arg(long, default_value_t = 20)]
    pub show_rejected: usize,
}

/// Counts of what happened to each line.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportSummary {
    /// New orders stored.
    pub created: u64,
    /// Already stored with identical content.
    pub duplicates: u64,
    /// Order number stored with different content (not changed).
    pub conflicts: u64,
    /// Lines that are not valid OrderPlaced events: (line number, reason).
    pub rejected: Vec<(u64, String)>,
}

/// Runs `import`.
pub async fn run(args: ImportArgs, settings: &Settings) -> anyhow::Result<()> {
    let store = super::open_store(settings, true).await?;
    let file = std::fs::File::open(&args.file)
        .with_context(|| format!("cannot open {}", args.file.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = ProgressBar::new(size);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {bar:40} {bytes}/{total_bytes} ({eta}) {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let summary = import(&store, BufReader::new(file), |bytes, s| {
        bar.inc(bytes);
        bar.set_message(format!("{} new, {} rejected", s.created, s.rejected.len()));
    })
    .await?;
    bar.finish_and_clear();
    store.close().await;
    println!(
        "imported: {} new, {} already stored, {} conflicting, {} rejected",
        summary.created,
        summary.duplicates,
        summary.conflicts,
        summary.rejected.len()
    );
    for (line, why) in summary.rejected.iter().take(args.show_rejected) {
        println!("  line {line}: {why}");
    }
    if summary.rejected.len() > args.show_rejected {
        println!(
            "  … and {} more",
            summary.rejected.len() - args.show_rejected
        );
    }
    Ok(())
}

/// Imports every line of `reader`; `progress` is called after each line with its byte length.
pub async fn import(
    store: &orderly_store::Store,
    reader: impl BufRead,
    mut progress: impl FnMut(u64, &ImportSummary),
) -> anyhow::Result<ImportSummary> {
    let mut summary = ImportSummary::default();
    for (n, line) in reader.lines().enumerate() {
        let line_no = n as u64 + 1;
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                summary
                    .rejected
                    .push((line_no, format!("unreadable line: {e}")));
                continue;
            }
        };
        let bytes = line.len() as u64 + 1;
        if line.trim().is_empty() {
            progress(bytes, &summary);
            continue;
        }
        match parse_order_placed(line.as_bytes()) {
            Err(IntakeError::Malformed(why)) => summary.rejected.push((line_no, why)),
            Err(IntakeError::Invalid(fields)) => {
                let reasons: Vec<String> = fields
                    .iter()
                    .map(|f| format!("{}: {}", f.pointer, f.message))
                    .collect();
                summary.rejected.push((line_no, reasons.join("; ")));
            }
            Ok(event) => {
                let meta = PlacedMeta {
                    event_id: &event.id,
                    source: "import",
                    actor: "import",
                    received_at: OffsetDateTime::now_utc(),
                    address_suspect: pincodes::check_address(&event.order.shipping_address),
                };
                match orders::place(store, &event.order, &meta).await? {
                    IntakeOutcome::Created(_) => summary.created += 1,
                    IntakeOutcome::Duplicate(_) => summary.duplicates += 1,
                    IntakeOutcome::Conflict(s) => {
                        summary.conflicts += 1;
                        summary.rejected.push((
                            line_no,
                            format!(
                                "order {} already stored with different content",
                                s.order_number
                            ),
                        ));
                    }
                    IntakeOutcome::EventIdReused(_) => {
                        summary.conflicts += 1;
                        summary.rejected.push((
                            line_no,
                            format!("event id {} already used for other content", event.id),
                        ));
                    }
                }
            }
        }
        progress(bytes, &summary);
    }
    Ok(summary)
}
