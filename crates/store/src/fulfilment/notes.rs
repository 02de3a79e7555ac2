//! Internal notes on an order: author, time, text; visible to all staff; never edited.

use serde::Serialize;
use sqlx::Row;
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::{Store, StoreError, Tx, from_micros, to_micros};

/// One note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Note {
    /// Who wrote it.
    pub author: String,
    /// What it says.
    pub body: String,
    /// When (UTC).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
}

/// Adds a note inside `tx`.
pub async fn add_note(
    tx: &mut Tx<'_>,
    order_id: i64,
    author: &str,
    body: &str,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO order_notes (order_id, author, body, at) VALUES ($1, $2, $3, $4)")
        .bind(order_id)
        .bind(author)
        .bind(body)
        .bind(to_micros(at))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The notes of an order, oldest first.
pub async fn notes(store: &Store, order_id: i64) -> Result<Vec<Note>, StoreError> {
    let rows =
        sqlx::query("SELECT author, body, at FROM order_notes WHERE order_id = $1 ORDER BY id")
            .bind(order_id)
            .fetch_all(store.reader())
            .await?;
    rows.iter()
        .map(|r| {
            Ok(Note {
                author: r.try_get("author")?,
                body: r.try_get("body")?,
                at: from_micros(r.try_get("at")?),
            })
        })
        .collect()
}
