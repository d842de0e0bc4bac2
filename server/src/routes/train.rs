//! `POST /api/v1/styles/train`: learn a style from sprites, as a `train_style` job.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use dgx_pixels_protocol::{ErrorBody, JobAccepted, TrainStyleRequest};

use crate::error::{ApiError, ApiJson};
use crate::state::AppState;

/// Queues a training: the sources are read and the dataset prepared before the answer, so a bad
/// source is a 422 and nothing is queued. Follow the job like any other
/// (`GET /api/v1/jobs/{id}`, its events); once completed the style is listed by
/// `/api/v1/models` and its `style` names the LoRA file.
#[utoipa::path(post, path = "/api/v1/styles/train", tag = "models", security(("bearer" = [])),
    request_body(content = TrainStyleRequest, description = "`name` and `images` are required"),
    responses(
        (status = 202, description = "the training job", body = JobAccepted),
        (status = 400, description = "malformed JSON", body = ErrorBody),
        (status = 409, description = "the style exists (send `overwrite`), or no backend here trains", body = ErrorBody),
        (status = 413, description = "body too large", body = ErrorBody),
        (status = 422, description = "a field is invalid, a source unreadable or too few images; `field` names it", body = ErrorBody),
        (status = 503, description = "the server is shutting down", body = ErrorBody),
    ))]
pub(crate) async fn styles_train(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<TrainStyleRequest>,
) -> Result<(StatusCode, Json<JobAccepted>), ApiError> {
    let job = crate::train::submit(&state, request).await?;
    Ok((StatusCode::ACCEPTED, Json(JobAccepted { job_id: job.id, status: job.status })))
}
