//! The append-only, hash-chained audit log. Each entry's hash covers the previous entry's hash and
//! every field of its own, so editing or deleting a row breaks the chain at that row.

use sha2::{Digest, Sha256};
use sqlx::Row;
use time::OffsetDateTime;

use crate::{Store, StoreError, Tx, from_micros, to_micros};

/// The hash the chain starts from.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One thing someone (a person, an API key, a worker) did.
#[derive(Debug, Clone)]
pub struct AuditEntry<'a> {
    /// When it happened.
    pub at: OffsetDateTime,
    /// Who did it: `user:<email>`, `apikey:<prefix>`, `intake`, `worker`, `cli`.
    pub actor: &'a str,
    /// What was done, e.g. `order.placed`.
    pub action: &'a str,
    /// The kind of thing acted on, e.g. `order`.
    pub entity: &'a str,
    /// Its identifier, e.g. the order number.
    pub entity_id: &'a str,
    /// Details (no customer PII).
    pub detail: serde_json::Value,
}

/// Appends `entry` to the chain inside `tx`. The head row is updated first, which takes the write
/// lock on SQLite and a row lock on PostgreSQL, so concurrent appenders are serialised.
pub async fn append(tx: &mut Tx<'_>, entry: &AuditEntry<'_>) -> Result<i64, StoreError> {
    let head = sqlx::query("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
        .fetch_one(&mut **tx)
        .await?;
    let seq: i64 = head.try_get("seq")?;
    let prev: String = head.try_get("hash")?;
    let at = to_micros(entry.at);
    let detail = entry.detail.to_string();
    let hash = entry_hash(
        &prev,
        seq,
        at,
        entry.actor,
        entry.action,
        entry.entity,
        entry.entity_id,
        &detail,
    );
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(&hash)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO audit_log (seq, at, actor, action, entity, entity_id, detail, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(seq)
    .bind(at)
    .bind(entry.actor)
    .bind(entry.action)
    .bind(entry.entity)
    .bind(entry.entity_id)
    .bind(detail)
    .bind(prev)
    .bind(hash)
    .execute(&mut **tx)
    .await?;
    Ok(seq)
}

#[expect(clippy::too_many_arguments, reason = "the hash covers every column")]
pub(crate) fn entry_hash(
    prev: &str,
    seq: i64,
    at: i64,
    actor: &str,
    action: &str,
    entity: &str,
    entity_id: &str,
    detail: &str,
) -> String {
    let mut h = Sha256::new();
    h.update(prev.as_bytes());
    h.update(seq.to_le_bytes());
    h.update(at.to_le_bytes());
    for field in [actor, action, entity, entity_id, detail] {
        h.update((field.len() as u64).to_le_bytes());
        h.update(field.as_bytes());
    }
    hex::encode(h.finalize())
}

/// The result of [`verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Rows checked.
    pub rows: u64,
    /// The first broken row and why, or `None` when the whole chain holds.
    pub broken: Option<(i64, String)>,
}

/// Walks the whole chain and recomputes every hash.
pub async fn verify(store: &Store) -> Result<Verification, StoreError> {
    let mut prev = GENESIS.to_string();
    let mut expected_seq = 1i64;
    let mut rows = 0u64;
    let mut after = 0i64;
    loop {
        let page = sqlx::query(
            "SELECT seq, at, actor, action, entity, entity_id, detail, prev_hash, hash
             FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT 5000",
        )
        .bind(after)
        .fetch_all(store.reader())
        .await?;
        if page.is_empty() {
            break;
        }
        for r in &page {
            let seq: i64 = r.try_get("seq")?;
            if seq != expected_seq {
                return Ok(broken(
                    rows,
                    seq,
                    format!("expected entry {expected_seq}, found {seq} (rows missing)"),
                ));
            }
            let stored_prev: String = r.try_get("prev_hash")?;
            if stored_prev != prev {
                return Ok(broken(
                    rows,
                    seq,
                    "previous-hash link does not match".into(),
                ));
            }
            let hash = entry_hash(
                &prev,
                seq,
                r.try_get("at")?,
                &r.try_get::<String, _>("actor")?,
                &r.try_get::<String, _>("action")?,
                &r.try_get::<String, _>("entity")?,
                &r.try_get::<String, _>("entity_id")?,
                &r.try_get::<String, _>("detail")?,
            );
            let stored: String = r.try_get("hash")?;
            if stored != hash {
                return Ok(broken(
                    rows,
                    seq,
                    "row content does not match its hash (edited)".into(),
                ));
            }
            prev = hash;
            expected_seq += 1;
            rows += 1;
            after = seq;
        }
    }
    let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_one(store.reader())
        .await?;
    let head_seq: i64 = head.try_get("seq")?;
    let head_hash: String = head.try_get("hash")?;
    if head_seq != expected_seq - 1 || head_hash != prev {
        return Ok(broken(
            rows,
            head_seq,
            "the newest entries were removed".into(),
        ));
    }
    Ok(Verification { rows, broken: None })
}

fn broken(rows: u64, seq: i64, why: String) -> Verification {
    Verification {
        rows,
        broken: Some((seq, why)),
    }
}

/// A stored audit row, for display.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AuditRow {
    /// Position in the chain.
    pub seq: i64,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// Details.
    pub detail: serde_json::Value,
}

/// The audit entries about one entity, oldest first.
pub async fn for_entity(
    store: &Store,
    entity: &str,
    entity_id: &str,
) -> Result<Vec<AuditRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT seq, at, actor, action, detail FROM audit_log WHERE entity = $1 AND entity_id = $2 ORDER BY seq",
    )
    .bind(entity)
    .bind(entity_id)
    .fetch_all(store.reader())
    .await?;
    rows.iter()
        .map(|r| {
            let detail: String = r.try_get("detail")?;
            Ok(AuditRow {
                seq: r.try_get("seq")?,
                at: from_micros(r.try_get("at")?),
                actor: r.try_get("actor")?,
                action: r.try_get("action")?,
                detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
            })
        })
        .collect()
}
