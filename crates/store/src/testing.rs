//! Fresh, isolated databases for tests and benchmarks: a new SQLite file, or a new PostgreSQL
//! database on the server named by `ORDERLY_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`).

use sqlx::Connection;

use crate::{Engine, StoreError};

/// The PostgreSQL server used for tests (an admin connection to an existing database).
pub fn postgres_admin_url() -> String {
    std::env::var("ORDERLY_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

/// A URL to a new, empty database on `engine`. PostgreSQL databases are named `orderly_t_<uuid>`.
pub async fn fresh_database(engine: Engine) -> Result<String, StoreError> {
    let id = uuid::Uuid::new_v4().simple().to_string();
    match engine {
        Engine::Sqlite => {
            let dir = std::env::temp_dir().join("orderly-tests");
            std::fs::create_dir_all(&dir).map_err(|e| StoreError::Migration(e.to_string()))?;
            Ok(format!(
                "sqlite://{}",
                dir.join(format!("{id}.db")).display()
            ))
        }
        Engine::Postgres => {
            sqlx::any::install_default_drivers();
            let admin = postgres_admin_url();
            let mut conn = sqlx::AnyConnection::connect(&admin).await?;
            let name = format!("orderly_t_{id}");
            // The name is generated above from hex digits only; identifiers cannot be bound.
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut conn)
                .await?;
            conn.close().await?;
            let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
            Ok(format!("{base}/{name}"))
        }
    }
}
