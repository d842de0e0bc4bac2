//! `GET /health`: liveness and backend readiness; the one route that needs no token.

use axum::Json;
use axum::extract::State;
use dgx_pixels_protocol::{BackendHealth, Health};

use crate::state::AppState;

/// The server is up; each backend says whether it can take jobs.
#[utoipa::path(get, path = "/health", tag = "server",
    responses((status = 200, description = "status, version and backends", body = Health)))]
pub(crate) async fn health_show(State(state): State<AppState>) -> Json<Health> {
    let backends = state
        .backends
        .iter()
        .map(|backend| BackendHealth { name: backend.kind().as_str().to_owned(), ready: backend.ready() })
        .collect();
    Json(Health { status: "ok".to_owned(), version: env!("CARGO_PKG_VERSION").to_owned(), backends })
}
