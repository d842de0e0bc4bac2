//! `GET /health`: liveness and backend readiness; the one route that needs no token.

use axum::Json;
use axum::extract::State;
use dgx_pixels_protocol::{BackendHealth, DistillLora, Health};

use crate::state::AppState;

/// The server is up; each backend says whether it can take jobs, and the `fast` preset's
/// distillation LoRA whether it is in the models folder.
#[utoipa::path(get, path = "/health", tag = "server",
    responses((status = 200, description = "status, version and backends", body = Health)))]
pub(crate) async fn health_show(State(state): State<AppState>) -> Json<Health> {
    let backends = state
        .backends
        .iter()
        .map(|backend| BackendHealth { name: backend.kind().as_str().to_owned(), ready: backend.ready() })
        .collect();
    let distill_lora = state
        .distill_lora
        .as_ref()
        .map(|file| DistillLora { file: file.clone(), present: state.styles.dir().join(file).is_file() });
    Json(Health { status: "ok".to_owned(), version: env!("CARGO_PKG_VERSION").to_owned(), backends, distill_lora })
}
