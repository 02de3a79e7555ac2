//! A small migration runner: numbered SQL files per engine, embedded at compile time, applied in
//! order inside a transaction each, recorded with their checksum.

use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::{Engine, Store, StoreError};

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "init",
        sqlite: include_str!("../migrations/sqlite/0001_init.sql"),
        postgres: include_str!("../migrations/postgres/0001_init.sql"),
    },
    Migration {
        version: 2,
        name: "fulfilment",
        sqlite: include_str!("../migrations/sqlite/0002_fulfilment.sql"),
        postgres: include_str!("../migrations/postgres/0002_fulfilment.sql"),
    },
    Migration {
        version: 3,
        name: "delivery",
        sqlite: include_str!("../migrations/sqlite/0003_delivery.sql"),
        postgres: include_str!("../migrations/postgres/0003_delivery.sql"),
    },
    Migration {
        version: 4,
        name: "accounts",
        sqlite: include_str!("../migrations/sqlite/0004_accounts.sql"),
        postgres: include_str!("../migrations/postgres/0004_accounts.sql"),
    },
    Migration {
        version: 5,
        name: "feature_flags",
        sqlite: include_str!("../migrations/sqlite/0005_feature_flags.sql"),
        postgres: include_str!("../migrations/postgres/0005_feature_flags.sql"),
    },
];

/// Applies every migration not yet recorded; returns how many ran.
pub(crate) async fn run(store: &Store) -> Result<usize, StoreError> {
    let pool = store.writer();
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version BIGINT PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at BIGINT NOT NULL)",
    )
    .execute(pool)
    .await?;
    let applied = sqlx::query("SELECT version, checksum FROM schema_migrations ORDER BY version")
        .fetch_all(pool)
        .await?;
    let mut ran = 0;
    for m in MIGRATIONS {
        let sql = match store.engine() {
            Engine::Sqlite => m.sqlite,
            Engine::Postgres => m.postgres,
        };
        let checksum = hex::encode(Sha256::digest(sql.as_bytes()));
        if let Some(row) = applied
            .iter()
            .find(|r| r.try_get::<i64, _>("version").ok() == Some(m.version))
        {
            let stored: String = row.try_get("checksum")?;
            if stored != checksum {
                return Err(StoreError::Migration(format!(
                    "migration {} ({}) changed after it was applied",
                    m.version, m.name
                )));
            }
            continue;
        }
        let mut tx = pool.begin().await?;
        for statement in split_statements(sql) {
            sqlx::query(statement).execute(&mut *tx).await?;
        }
        sqlx::query(
            "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(m.version)
        .bind(m.name)
        .bind(checksum)
        .bind(crate::to_micros(time::OffsetDateTime::now_utc()))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        tracing::info!(version = m.version, name = m.name, "migration applied");
        ran += 1;
    }
    Ok(ran)
}

/// Splits a migration file on `;` at line ends, dropping comments and blank statements.
fn split_statements(sql: &str) -> impl Iterator<Item = &str> {
    sql.split(";\n").map(str::trim).filter(|s| {
        s.lines()
            .any(|l| !l.trim().is_empty() && !l.trim().starts_with("--"))
    })
}
