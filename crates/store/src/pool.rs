//! Connecting to SQLite or PostgreSQL, with the pool layout each engine needs.

use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

use crate::{StoreError, Tx, migrate};

/// Which database engine a store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// Embedded SQLite (WAL), the default.
    Sqlite,
    /// PostgreSQL, the scale-out path.
    Postgres,
}

impl Engine {
    /// Lower-case name, for logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
        }
    }
}

/// Tuning for [`Store::connect`].
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Connections for readers (SQLite) or for everything (PostgreSQL).
    pub max_connections: u32,
    /// Run pending migrations on connect.
    pub migrate: bool,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            max_connections: 8,
            migrate: true,
        }
    }
}

/// The storage handle: cheap to clone, shared by every request and worker.
///
/// SQLite allows one writer at a time, so writes go through a one-connection pool (callers queue
/// in-process instead of fighting over the file lock) while reads use a pool of their own.
/// PostgreSQL uses one pool for both.
#[derive(Debug, Clone)]
pub struct Store {
    engine: Engine,
    write: AnyPool,
    read: AnyPool,
    sqlite_path: Option<String>,
    intake: Option<std::sync::Arc<crate::orders::IntakeWriter>>,
}

impl Store {
    /// Connects to `url` (`sqlite://path/to/file.db` or `postgres://…`) and, unless told otherwise,
    /// applies pending migrations. The SQLite file and its folder are created when missing.
    pub async fn connect(url: &str, options: StoreOptions) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let store = if url.starts_with("sqlite:") {
            connect_sqlite(url, &options).await?
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let connect = AnyConnectOptions::from_str(url)?;
            let pool = AnyPoolOptions::new()
                .max_connections(options.max_connections.max(2))
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(connect)
                .await?;
            Store {
                engine: Engine::Postgres,
                write: pool.clone(),
                read: pool,
                sqlite_path: None,
                intake: None,
            }
        } else {
            return Err(StoreError::Migration(
                "database URL must start with sqlite: or postgres://".into(),
            ));
        };
        if options.migrate {
            migrate::run(&store).await?;
        }
        Ok(store)
    }

    /// The engine behind this store.
    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// The SQLite file, when the engine is SQLite.
    pub fn sqlite_path(&self) -> Option<&str> {
        self.sqlite_path.as_deref()
    }

    /// The SQLite intake writer (group commit), when the engine is SQLite.
    pub(crate) fn intake_writer(&self) -> Option<&crate::orders::IntakeWriter> {
        self.intake.as_deref()
    }

    /// The pool for reads.
    pub fn reader(&self) -> &AnyPool {
        &self.read
    }

    /// The pool for writes (one connection on SQLite).
    pub fn writer(&self) -> &AnyPool {
        &self.write
    }

    /// Starts a write transaction.
    pub async fn begin(&self) -> Result<Tx<'static>, StoreError> {
        let mut tx = self.write.begin().await?;
        if self.engine == Engine::Sqlite {
            // Take the write lock now, as BEGIN IMMEDIATE would: SQLite has more than one writer
            // connection (the intake writer, bulk loads), and a transaction that reads first and
            // writes later would otherwise fail with SQLITE_BUSY instead of waiting its turn.
            sqlx::query("UPDATE audit_head SET seq = seq WHERE id = 0")
                .execute(&mut *tx)
                .await?;
        }
        Ok(tx)
    }

    /// Applies pending migrations (idempotent).
    pub async fn migrate(&self) -> Result<usize, StoreError> {
        migrate::run(self).await
    }

    /// Closes every connection (checkpointing SQLite's WAL).
    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }
}

async fn connect_sqlite(url: &str, options: &StoreOptions) -> Result<Store, StoreError> {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let path = path.split('?').next().unwrap_or(path);
    let parent = std::path::Path::new(path)
        .parent()
        .filter(|p| !p.as_os_str().is_empty());
    if let Some(parent) = parent.filter(|_| path != ":memory:") {
        std::fs::create_dir_all(parent).map_err(|e| {
            StoreError::Migration(format!("cannot create {}: {e}", parent.display()))
        })?;
    }
    let full = format!("sqlite://{path}?mode=rwc");
    let connect = AnyConnectOptions::from_str(&full)?;
    let write = AnyPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(30))
        .after_connect(|conn, _| sqlite_pragmas(conn))
        .connect_with(connect.clone())
        .await?;
    let read = AnyPoolOptions::new()
        .max_connections(options.max_connections.max(1))
        .acquire_timeout(Duration::from_secs(30))
        .after_connect(|conn, _| sqlite_pragmas(conn))
        .connect_with(connect)
        .await?;
    Ok(Store {
        engine: Engine::Sqlite,
        write,
        read,
        sqlite_path: Some(path.to_string()),
        intake: if path == ":memory:" {
            None
        } else {
            Some(std::sync::Arc::new(crate::orders::IntakeWriter::start(
                path,
            )?))
        },
    })
}

type ConnectFuture<'c> = Pin<Box<dyn Future<Output = Result<(), sqlx::Error>> + Send + 'c>>;

/// Per-connection settings: WAL, relaxed fsync (safe under WAL), a busy timeout, foreign keys.
fn sqlite_pragmas(conn: &mut sqlx::AnyConnection) -> ConnectFuture<'_> {
    Box::pin(async move {
        for pragma in [
            "PRAGMA journal_mode = WAL",
            "PRAGMA synchronous = NORMAL",
            "PRAGMA busy_timeout = 5000",
            "PRAGMA foreign_keys = ON",
            "PRAGMA cache_size = -65536",
            "PRAGMA temp_store = MEMORY",
        ] {
            conn.execute(pragma).await?;
        }
        Ok(())
    })
}
