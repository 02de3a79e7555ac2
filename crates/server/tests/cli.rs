//! The `orderly` binary's operator commands, run as a person would run them.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use std::io::Write;
use std::process::Command;

use orderly_store::{Engine, Store, StoreOptions, testing};

fn orderly(database_url: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_orderly"))
        .args(args)
        .env("ORDERLY_DATABASE_URL", database_url)
        .env("ORDERLY_LOG", "warn")
        .output()
        .expect("run orderly")
}

stories!(
    apikey_create_prints_a_working_key_as_its_last_line,
    import_stores_good_lines_and_explains_each_rejected_one,
    seed_adds_realistic_orders_and_the_audit_chain_verifies,
);

async fn apikey_create_prints_a_working_key_as_its_last_line(engine: Engine) {
    let url = testing::fresh_database(engine).await.unwrap();
    let out = orderly(&url, &["apikey", "create", "--scope", "orders:read"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let key = stdout.lines().last().unwrap().trim();
    let store = Store::connect(&url, StoreOptions::default()).await.unwrap();
    let principal = orderly_store::api_keys::verify(&store, key)
        .await
        .unwrap()
        .unwrap();
    assert!(principal.has_scope("orders:read"));
    let bad = orderly(&url, &["apikey", "create", "--scope", "everything"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown scope"));
}

async fn import_stores_good_lines_and_explains_each_rejected_one(engine: Engine) {
    let url = testing::fresh_database(engine).await.unwrap();
    let dir = std::env::temp_dir().join("orderly-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{}.jsonl", uuid::Uuid::new_v4()));
    let mut file = std::fs::File::create(&path).unwrap();
    let good: Vec<String> = (1..=5).map(|s| common::envelope(s).to_string()).collect();
    let mut bad_total = common::envelope(6);
    bad_total["data"]["total_paise"] = serde_json::json!(1);
    writeln!(file, "{}", good[0]).unwrap();
    writeln!(file, "{{ not json").unwrap();
    writeln!(file, "{}", good[1]).unwrap();
    writeln!(file, "{bad_total}").unwrap();
    writeln!(file).unwrap();
    for g in &good[2..] {
        writeln!(file, "{g}").unwrap();
    }
    writeln!(file, "{}", good[0]).unwrap(); // a redelivery
    drop(file);
    let out = orderly(&url, &["import", path.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("5 new, 1 already stored"), "{stdout}");
    assert!(stdout.contains("line 2:"), "{stdout}");
    assert!(
        stdout.contains("line 4:") && stdout.contains("/data/total_paise"),
        "{stdout}"
    );
    let store = Store::connect(&url, StoreOptions::default()).await.unwrap();
    assert_eq!(orderly_store::orders::count_all(&store).await.unwrap(), 5);
}

async fn seed_adds_realistic_orders_and_the_audit_chain_verifies(engine: Engine) {
    let url = testing::fresh_database(engine).await.unwrap();
    let out = orderly(&url, &["seed", "--orders", "1200"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let again = orderly(&url, &["seed", "--orders", "300"]);
    assert!(again.status.success());
    let store = Store::connect(&url, StoreOptions::default()).await.unwrap();
    assert_eq!(
        orderly_store::orders::count_all(&store).await.unwrap(),
        1500
    );
    let verify = orderly(&url, &["audit", "verify"]);
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    assert!(String::from_utf8_lossy(&verify.stdout).contains("audit log intact"));
    // Tampering is caught and reported with a non-zero exit.
    sqlx::query("UPDATE audit_log SET detail = '{}' WHERE seq = 1")
        .execute(store.writer())
        .await
        .unwrap();
    let broken = orderly(&url, &["audit", "verify"]);
    assert!(!broken.status.success());
    assert!(String::from_utf8_lossy(&broken.stderr).contains("broken at entry 1"));
}
