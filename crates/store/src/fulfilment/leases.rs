//! Who drives a shipment attempt: a short lease (`lease_until`) held by one driver
//! (`lease_holder`, a token unique to that drive) and renewed by its heartbeat while the saga runs.
//! A driver that dies stops renewing, so another instance takes the attempt over as soon as the lease
//! runs out; a driver whose lease was taken over finds out on its next renewal and stops.

use time::OffsetDateTime;

use crate::{Store, StoreError, to_micros};

/// Takes the lease on attempt `id` for `holder` until `until`; false when another holder's lease is
/// still running or the attempt has ended.
pub async fn claim_lease(
    store: &Store,
    id: i64,
    holder: &str,
    now: OffsetDateTime,
    until: OffsetDateTime,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE shipments SET lease_until = $1, lease_holder = $2
         WHERE id = $3 AND (lease_until IS NULL OR lease_until < $4 OR lease_holder = $2)
           AND step NOT IN ('done', 'failed', 'cancelled')",
    )
    .bind(to_micros(until))
    .bind(holder)
    .bind(id)
    .bind(to_micros(now))
    .execute(store.writer())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Extends `holder`'s lease on attempt `id` to `until`; false when the lease is no longer theirs
/// (it ran out and another driver took the attempt over, or it was released).
pub async fn renew_lease(
    store: &Store,
    id: i64,
    holder: &str,
    until: OffsetDateTime,
) -> Result<bool, StoreError> {
    let done =
        sqlx::query("UPDATE shipments SET lease_until = $1 WHERE id = $2 AND lease_holder = $3")
            .bind(to_micros(until))
            .bind(id)
            .bind(holder)
            .execute(store.writer())
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives `holder`'s lease back (a lease someone else holds now is left alone).
pub async fn release_lease(store: &Store, id: i64, holder: &str) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE shipments SET lease_until = NULL, lease_holder = NULL WHERE id = $1 AND lease_holder = $2",
    )
    .bind(id)
    .bind(holder)
    .execute(store.writer())
    .await?;
    Ok(())
}
