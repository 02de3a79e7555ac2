//! Liveness and readiness probes.

use axum::extract::State;
use http::StatusCode;

use crate::app::AppState;

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "ops", responses((status = 200, description = "alive")))]
pub async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the database answers.
#[utoipa::path(get, path = "/readyz", tag = "ops", responses((status = 200, description = "ready"), (status = 503, description = "database unreachable")))]
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match sqlx_ping(&state).await {
        true => (StatusCode::OK, "ready"),
        false => (StatusCode::SERVICE_UNAVAILABLE, "database unreachable"),
    }
}

async fn sqlx_ping(state: &AppState) -> bool {
    orderly_store::orders::count_ping(&state.store)
        .await
        .is_ok()
}
