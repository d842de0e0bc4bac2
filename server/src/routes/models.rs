//! `GET /api/v1/models`: the styles found under the models folder.

use axum::Json;
use axum::extract::State;
use dgx_pixels_protocol::ModelList;

use crate::state::AppState;

/// Every style (LoRA with its sidecar metadata), sorted by name; kept current by a file watcher.
#[utoipa::path(get, path = "/api/v1/models", tag = "models", security(("bearer" = [])),
    responses((status = 200, description = "the styles, sorted by name", body = ModelList)))]
pub(crate) async fn models_index(State(state): State<AppState>) -> Json<ModelList> {
    Json(state.styles.list())
}
