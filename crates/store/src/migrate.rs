//! A small migration runner: numbered SQL files per engine, embedded at compile time, applied in
//! order inside a transaction each, under a database-wide lock, recorded with their checksum.

use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::{Engine, Store, StoreError, Tx};

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
    Migration {
        version: 6,
        name: "shipment_waiting",
        sqlite: include_str!("../migrations/sqlite/0006_shipment_waiting.sql"),
        postgres: include_str!("../migrations/postgres/0006_shipment_waiting.sql"),
    },
    Migration {
        version: 7,
        name: "retention",
        sqlite: include_str!("../migrations/sqlite/0007_retention.sql"),
        postgres: include_str!("../migrations/postgres/0007_retention.sql"),
    },
    Migration {
        version: 8,
        name: "access",
        sqlite: include_str!("../migrations/sqlite/0008_access.sql"),
        postgres: include_str!("../migrations/postgres/0008_access.sql"),
    },
    Migration {
        version: 9,
        name: "cancel_intent",
        sqlite: include_str!("../migrations/sqlite/0009_cancel_intent.sql"),
        postgres: include_str!("../migrations/postgres/0009_cancel_intent.sql"),
    },
];

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version BIGINT PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at BIGINT NOT NULL)";

/// The PostgreSQL advisory lock that serialises migrations across processes ("orderlym" in ASCII).
const PG_MIGRATION_LOCK: i64 = 0x6f72_6465_726c_796d;

/// Applies every migration not yet recorded; returns how many ran.
///
/// Several processes may migrate one database at once (every `serve` migrates at start, and a
/// rolling deploy starts several together). Each migration runs in its own transaction that first
/// takes a database-wide lock — `pg_advisory_xact_lock` on PostgreSQL, the write lock on SQLite —
/// and only then reads which versions are applied, so a migration runs exactly once and the others
/// find it done.
pub(crate) async fn run(store: &Store) -> Result<usize, StoreError> {
    let pool = store.writer();
    if store.engine() == Engine::Sqlite {
        // Atomic under SQLite's write lock; PostgreSQL creates it under the advisory lock below
        // (concurrent `CREATE TABLE IF NOT EXISTS` races there on the type catalogue).
        sqlx::query(CREATE_TABLE).execute(pool).await?;
    }
    let mut ran = 0;
    loop {
        let mut tx = pool.begin().await?;
        lock(store.engine(), &mut tx).await?;
        let applied =
            sqlx::query("SELECT version, checksum FROM schema_migrations ORDER BY version")
                .fetch_all(&mut *tx)
                .await?;
        let Some((m, sql, checksum)) = next_pending(store.engine(), &applied)? else {
            tx.commit().await?;
            return Ok(ran);
        };
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
}

/// Takes the migration lock for the rest of `tx` (released at commit or rollback).
async fn lock(engine: Engine, tx: &mut Tx<'_>) -> Result<(), StoreError> {
    match engine {
        Engine::Postgres => {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(PG_MIGRATION_LOCK)
                .execute(&mut **tx)
                .await?;
            sqlx::query(CREATE_TABLE).execute(&mut **tx).await?;
        }
        Engine::Sqlite => {
            // A write as the transaction's first statement takes the database's write lock
            // (waiting up to `busy_timeout`), before anything is read.
            sqlx::query("UPDATE schema_migrations SET version = version WHERE version < 0")
                .execute(&mut **tx)
                .await?;
        }
    }
    Ok(())
}

/// The first migration not in `applied`, with its SQL for `engine` and checksum; an error when
/// an applied migration's file changed since.
fn next_pending(
    engine: Engine,
    applied: &[sqlx::any::AnyRow],
) -> Result<Option<(&'static Migration, &'static str, String)>, StoreError> {
    for m in MIGRATIONS {
        let sql = match engine {
            Engine::Sqlite => m.sqlite,
            Engine::Postgres => m.postgres,
        };
        let checksum = hex::encode(Sha256::digest(sql.as_bytes()));
        let Some(row) = applied
            .iter()
            .find(|r| r.try_get::<i64, _>("version").ok() == Some(m.version))
        else {
            return Ok(Some((m, sql, checksum)));
        };
        let stored: String = row.try_get("checksum")?;
        if stored != checksum {
            return Err(StoreError::Migration(format!(
                "migration {} ({}) changed after it was applied",
                m.version, m.name
            )));
        }
    }
    Ok(None)
}

/// Splits a migration file on `;` at line ends, dropping comments and blank statements.
fn split_statements(sql: &str) -> impl Iterator<Item = &str> {
    sql.split(";\n").map(str::trim).filter(|s| {
        s.lines()
            .any(|l| !l.trim().is_empty() && !l.trim().starts_with("--"))
    })
}
