//! A completed job's files: `sheet.png`, `atlas.ron` and `sprite.ron` under
//! `/api/v1/jobs/{id}/`, and its raw frames under `/api/v1/jobs/{id}/raw/`.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use dgx_pixels_protocol::{ErrorBody, Job, JobId, JobStatus};
use dgx_pixels_sprite::write::SpriteFiles;

use crate::error::ApiError;
use crate::state::AppState;

/// One of the three files of a completed job.
#[utoipa::path(get, path = "/api/v1/jobs/{id}/{file}", tag = "jobs", security(("bearer" = [])),
    params(("id" = String, Path, description = "job id"),
           ("file" = String, Path, description = "`sheet.png`, `atlas.ron` or `sprite.ron`")),
    responses(
        (status = 200, description = "the PNG sheet (RGBA8) or the RON text"),
        (status = 404, description = "no such job or file", body = ErrorBody),
        (status = 409, description = "the job has not completed", body = ErrorBody),
    ))]
pub(crate) async fn files_show(
    State(state): State<AppState>,
    Path((id, file)): Path<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    let id = JobId(id);
    let content_type = match file.as_str() {
        "sheet.png" => "image/png",
        "atlas.ron" | "sprite.ron" => "text/plain; charset=utf-8",
        _ => return Err(ApiError::NotFound(format!("no file `{file}`; try sheet.png, atlas.ron or sprite.ron"))),
    };
    let (_job, files) = completed_files(&state, &id).await?;
    let path = match file.as_str() {
        "sheet.png" => files.sheet,
        "atlas.ron" => files.atlas,
        _ => files.sprite,
    };
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|err| ApiError::Internal(format!("cannot read {}: {err}", path.display())))?;
    Ok(([(header::CONTENT_TYPE, content_type)], bytes))
}

/// Raw frame `index` of a completed job, as the backend made it (before the sprite pipeline),
/// for re-processing with `/api/v1/pixelize` without generating again.
#[utoipa::path(get, path = "/api/v1/jobs/{id}/raw/{file}", tag = "jobs", security(("bearer" = [])),
    params(("id" = String, Path, description = "job id"),
           ("file" = String, Path, description = "`{index}.png`, frame index from 0")),
    responses(
        (status = 200, description = "the raw frame, PNG (RGBA8)", content_type = "image/png"),
        (status = 404, description = "no such job or frame", body = ErrorBody),
        (status = 409, description = "the job has not completed", body = ErrorBody),
    ))]
pub(crate) async fn files_raw(
    State(state): State<AppState>,
    Path((id, file)): Path<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    let id = JobId(id);
    let not_found = || ApiError::NotFound(format!("no raw frame `{file}`; try 0.png"));
    let index: u32 = file.strip_suffix(".png").and_then(|n| n.parse().ok()).ok_or_else(not_found)?;
    let (job, _files) = completed_files(&state, &id).await?;
    if index >= job.request.cells() {
        return Err(not_found());
    }
    let path = state.files.raw_frame(&id, index).ok_or_else(not_found)?;
    let bytes = tokio::fs::read(&path).await.map_err(|err| match err.kind() {
        // Jobs completed before raw frames were kept have none.
        std::io::ErrorKind::NotFound => not_found(),
        _ => ApiError::Internal(format!("cannot read {}: {err}", path.display())),
    })?;
    Ok(([(header::CONTENT_TYPE, "image/png")], bytes))
}

/// Job `id` and its files: 404 for no such job, 409 unless it completed. Shared by the download
/// route and the MCP tools that preview and deploy a job.
pub(crate) async fn completed_files(state: &AppState, id: &JobId) -> Result<(Job, SpriteFiles), ApiError> {
    let job = state.queue.get(id).await?;
    if job.status != JobStatus::Completed {
        return Err(ApiError::Conflict(format!("job `{id}` is {}, not completed", job.status.as_str())));
    }
    let files = state.files.files(id).ok_or_else(|| ApiError::NotFound(format!("no job `{id}`")))?;
    Ok((job, files))
}
