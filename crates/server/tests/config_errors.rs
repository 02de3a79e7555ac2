//! A setting Orderly cannot use stops start-up with a message naming the variable — never a
//! panic, never a silent default — and `ORDERLY_LOG_FORMAT=json` writes one JSON object per line.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use std::process::{Command, Output};

use orderly_store::{Engine, testing};

/// `orderly migrate` with only `env` set (nothing inherited from the test's environment).
fn migrate(env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_orderly"))
        .arg("migrate")
        .env_clear()
        .envs(env.iter().copied())
        .output()
        .expect("run orderly")
}

fn sqlite_url() -> String {
    let dir = std::env::temp_dir().join("orderly-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let id = uuid::Uuid::new_v4().simple();
    format!("sqlite://{}", dir.join(format!("{id}.db")).display())
}

#[test]
fn every_unusable_setting_is_refused_with_a_message_naming_it() {
    let url = sqlite_url();
    let cases = [
        ("ORDERLY_COURIER_POLICY", "cheapset"),
        ("ORDERLY_LOG", "info,sqlx=loud"),
        ("ORDERLY_LOG_FORMAT", "xml"),
        ("ORDERLY_ROLLBACK_WINDOW_SECS", "inf"),
        ("ORDERLY_ROLLBACK_WINDOW_SECS", "1e300"),
        ("ORDERLY_ROLLBACK_CHECK_SECS", "1e20"),
        ("ORDERLY_ROLLBACK_MAX_ERROR_PCT", "250"),
        ("ORDERLY_SLA_HOURS", "9999999999999"),
        ("ORDERLY_SLA_HOURS", "-3"),
        ("ORDERLY_SHIPROCKET_TIMEOUT_SECS", "0"),
        ("ORDERLY_SHIPROCKET_TIMEOUT_SECS", "18446744073709551615"),
        (
            "ORDERLY_SHIPROCKET_BREAKER_COOLDOWN_SECS",
            "18446744073709551615",
        ),
        ("ORDERLY_SIGNATURE_TOLERANCE_SECS", "99999999999"),
        ("ORDERLY_DATABASE_MAX_CONNECTIONS", "0"),
        ("ORDERLY_SHIPROCKET_RPM", "lots"),
        ("ORDERLY_SHIPROCKET_URL", "not a url"),
        ("ORDERLY_PUBLIC_URL", "javascript:alert(1)"),
        ("ORDERLY_BIND", "everywhere"),
        ("ORDERLY_INTAKE_SECRETS", "short"),
    ];
    for (var, value) in cases {
        let out = migrate(&[("ORDERLY_DATABASE_URL", &url), (var, value)]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{var}={value} was accepted");
        assert!(stderr.contains(var), "{var}={value}: {stderr}");
        assert!(!stderr.contains("panicked"), "{var}={value}: {stderr}");
    }

    // A database URL may carry a password: the refusal names the variable, not the value.
    let out = migrate(&[("ORDERLY_DATABASE_URL", "mysql://orderly:hunter2@db/orderly")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("ORDERLY_DATABASE_URL"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");

    // The same variables with good values start fine.
    let out = migrate(&[
        ("ORDERLY_DATABASE_URL", &url),
        ("ORDERLY_COURIER_POLICY", "Best-Rated"),
        ("ORDERLY_LOG", "warn,orderly=info"),
        ("ORDERLY_ROLLBACK_WINDOW_SECS", "600"),
        ("ORDERLY_SLA_HOURS", "48"),
        ("ORDERLY_SHIPROCKET_URL", "http://127.0.0.1:9/v1/external"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

stories!(json_log_format_writes_one_object_per_line);

async fn json_log_format_writes_one_object_per_line(engine: Engine) {
    let url = testing::fresh_database(engine).await.unwrap();
    let out = migrate(&[
        ("ORDERLY_DATABASE_URL", &url),
        ("ORDERLY_LOG", "info"),
        ("ORDERLY_LOG_FORMAT", "json"),
    ]);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{stderr}");
    let lines: Vec<serde_json::Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}")))
        .collect();
    let applied: Vec<_> = lines
        .iter()
        .filter(|l| l["message"] == "migration applied")
        .collect();
    assert!(!applied.is_empty(), "{stderr}");
    for l in applied {
        assert_eq!(l["level"], "INFO");
        assert!(l["version"].is_i64(), "{l}");
        assert!(l["timestamp"].is_string(), "{l}");
    }
}
