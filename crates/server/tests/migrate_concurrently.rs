//! `orderly migrate` run by several processes at once (a rolling deploy starts several `serve`s,
//! and each migrates at start): every process succeeds and the schema is applied once.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use std::process::{Command, Stdio};

use orderly_store::{Engine, Store, StoreOptions, testing};
use sqlx::Row;

stories!(five_migrate_processes_at_once_all_succeed_and_apply_the_schema_once);

async fn five_migrate_processes_at_once_all_succeed_and_apply_the_schema_once(engine: Engine) {
    let url = testing::fresh_database(engine).await.unwrap();
    let children: Vec<_> = (0..5)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_orderly"))
                .arg("migrate")
                .env("ORDERLY_DATABASE_URL", &url)
                .env("ORDERLY_LOG", "warn")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("start orderly migrate")
        })
        .collect();
    let outputs: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().expect("wait for orderly migrate"))
        .collect();

    let mut applied = 0;
    for out in &outputs {
        assert!(
            out.status.success(),
            "orderly migrate failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        let n: usize = stdout
            .split_whitespace()
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("unexpected output {stdout:?}"));
        applied += n;
    }

    let store = Store::connect(
        &url,
        StoreOptions {
            migrate: false,
            ..StoreOptions::default()
        },
    )
    .await
    .unwrap();
    let versions: Vec<i64> = sqlx::query("SELECT version FROM schema_migrations ORDER BY version")
        .fetch_all(store.reader())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<i64, _>("version"))
        .collect();
    assert!(!versions.is_empty());
    let expected: Vec<i64> = (1..=versions.len() as i64).collect();
    assert_eq!(versions, expected, "each migration recorded once");
    assert_eq!(
        applied,
        versions.len(),
        "the processes applied each migration once between them"
    );
    assert_eq!(store.migrate().await.unwrap(), 0, "nothing left to apply");
    store.close().await;
}
