//! Tab counts without counting a million rows per page view: computed once, cached on the live bus,
//! and refreshed in the background after changes (debounced: a burst of intake causes one refresh)
//! and every minute (orders cross the SLA line as time passes). Streams receive each new set. The
//! refresher stops on shutdown.

use std::time::Duration;

use sqlx::Row;
use tokio::sync::broadcast;

use crate::app::AppState;
use crate::live::Counts;

/// How long a burst of changes is gathered before one refresh.
pub const DEBOUNCE: Duration = Duration::from_millis(250);
/// Refresh even without changes (the SLA window moves).
pub const PERIOD: Duration = Duration::from_secs(60);

/// Counts every tab, straight from the database.
pub async fn compute(state: &AppState) -> Result<Counts, orderly_store::StoreError> {
    let by_status = orderly_store::orders::count_by_status(&state.store).await?;
    let failed = sqlx::query("SELECT COUNT(*) AS n FROM orders WHERE shipment_failed IS NOT NULL")
        .fetch_one(state.store.reader())
        .await?
        .try_get("n")?;
    let cutoff = state.clock.now() - time::Duration::hours(state.settings.sla_hours);
    let sla = sqlx::query(
        "SELECT COUNT(*) AS n FROM orders WHERE status IN ('placed', 'processing') AND placed_at < $1",
    )
    .bind(orderly_store::to_micros(cutoff))
    .fetch_one(state.store.reader())
    .await?
    .try_get("n")?;
    Ok(Counts {
        all: by_status.iter().map(|(_, n)| n).sum(),
        by_status,
        failed_shipments: failed,
        sla_at_risk: sla,
    })
}

/// The cached counts, computing them now the first time.
pub async fn current(
    state: &AppState,
) -> Result<std::sync::Arc<Counts>, orderly_store::StoreError> {
    if let Some(c) = state.live.counts() {
        return Ok(c);
    }
    let c = compute(state).await?;
    state.live.set_counts(c);
    Ok(state.live.counts().unwrap_or_default())
}

/// Starts the dashboard's background tasks once per process: the count refresher and, on
/// PostgreSQL, the LISTEN/NOTIFY fan-out between instances.
pub fn start(state: &AppState) {
    if tokio::runtime::Handle::try_current().is_err() || !state.live.claim_start() {
        return;
    }
    state.live.start_fanout(
        state.store.clone(),
        state.settings.database_url.clone(),
        state.shutdown.clone(),
    );
    let state = state.clone();
    let rx = state.live.subscribe();
    let shutdown = state.shutdown.clone();
    tokio::spawn(async move {
        tokio::select! {
            () = refresh(state, rx) => {},
            () = shutdown.wait() => {},
        }
    });
}

/// Keeps the cached counts fresh until the bus closes.
async fn refresh(state: AppState, mut rx: broadcast::Receiver<crate::live::LiveEvent>) {
    // Warm the cache at start so the first page view does not count a million rows.
    if state.live.counts().is_none() {
        match compute(&state).await {
            Ok(c) => state.live.set_counts(c),
            Err(e) => tracing::warn!(error = %e, "tab counts could not be computed at start"),
        }
    }
    loop {
        let woke = tokio::time::timeout(PERIOD, rx.recv()).await;
        if matches!(woke, Ok(Err(broadcast::error::RecvError::Closed))) {
            return;
        }
        if woke.is_ok() {
            tokio::time::sleep(DEBOUNCE).await;
            while let Ok(_) | Err(broadcast::error::TryRecvError::Lagged(_)) = rx.try_recv() {}
        }
        match compute(&state).await {
            Ok(c) => {
                if state.live.counts().as_deref() != Some(&c) {
                    state.live.set_counts(c);
                }
            }
            Err(e) => tracing::warn!(error = %e, "tab counts refresh failed"),
        }
    }
}
