//! `orderly user add` through the real binary: the password comes from standard input when it is
//! not a terminal, and the user can then sign in.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::io::Write;
use std::process::{Command, Stdio};

use orderly_store::accounts::Role;
use orderly_store::{Engine, Store, StoreOptions, testing};

fn user_add(database_url: &str, email: &str, role: &str, password: &str) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_orderly"))
        .args(["user", "add", "--email", email, "--role", role])
        .env("ORDERLY_DATABASE_URL", database_url)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{password}\n").as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_add_reads_the_password_from_stdin_and_stores_an_argon2id_hash() {
    let url = testing::fresh_database(Engine::Sqlite).await.unwrap();
    let out = user_add(&url, "Ops@Example.in", "operator", "a-long-enough-password");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("ops@example.in"));
    let store = Store::connect(&url, StoreOptions::default()).await.unwrap();
    let (user, hash) = orderly_store::accounts::find_for_login(&store, "ops@example.in")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.role, Role::Operator);
    assert!(hash.starts_with("$argon2id$"));
    assert!(orderly::web::session::verify_password(
        "a-long-enough-password",
        &hash
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_add_refuses_a_short_password_and_an_unknown_role() {
    let url = testing::fresh_database(Engine::Sqlite).await.unwrap();
    let out = user_add(&url, "ops@example.in", "operator", "short");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 12 characters"));
    let out = user_add(
        &url,
        "ops@example.in",
        "superuser",
        "a-long-enough-password",
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown role"));
}
