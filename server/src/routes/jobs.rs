//! Jobs: `POST /api/v1/generate`, `GET /api/v1/jobs`, `GET` and `DELETE /api/v1/jobs/{id}`.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use dgx_pixels_protocol::{BackendKind, ErrorBody, GenerateRequest, Job, JobAccepted, JobId, JobStatus, SourceImage};
use serde::Deserialize;

use crate::error::{ApiError, ApiJson};
use crate::palette_from;
use crate::queue::{QueueError, Submission, seed_or_random};
use crate::state::AppState;

/// Header that makes a submission safe to retry.
const IDEMPOTENCY_KEY: &str = "Idempotency-Key";
/// Longest idempotency key accepted.
const MAX_KEY_CHARS: usize = 255;
/// Jobs listed when `limit` is absent, and the most a list may hold.
const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 1000;

/// Queues a generation. With an `Idempotency-Key`, a retry returns the job the first call made
/// (409 if the key comes back with a different request).
#[utoipa::path(post, path = "/api/v1/generate", tag = "jobs", security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "retry-safe key, 1..=255 visible ASCII")),
    request_body(content = GenerateRequest, description = "only `prompt` is required"),
    responses(
        (status = 202, description = "the new job, or the existing one for a repeated key", body = JobAccepted),
        (status = 400, description = "malformed JSON", body = ErrorBody),
        (status = 409, description = "idempotency key reused with another request", body = ErrorBody),
        (status = 413, description = "body too large", body = ErrorBody),
        (status = 422, description = "a field is invalid; `field` names it", body = ErrorBody),
        (status = 503, description = "the server is shutting down", body = ErrorBody),
    ))]
pub(crate) async fn jobs_create(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(request): ApiJson<GenerateRequest>,
) -> Result<(StatusCode, Json<JobAccepted>), ApiError> {
    let idempotency_key = idempotency_key(&headers)?;
    let job = submit(&state, request, idempotency_key).await?;
    Ok((StatusCode::ACCEPTED, Json(JobAccepted { job_id: job.id, status: job.status })))
}

/// Prepares `request` ([`prepare`]) and queues it: the one way a job enters the queue, shared by
/// `POST /api/v1/generate` and the MCP generate tools.
pub(crate) async fn submit(
    state: &AppState,
    request: GenerateRequest,
    idempotency_key: Option<String>,
) -> Result<Job, ApiError> {
    let (backend, request) = prepare(state, request).await?;
    let submission =
        Submission { backend, seed: seed_or_random(request.seed), request: request.into(), idempotency_key, id: None };
    let (job, _created) = state.queue.submit(submission).await?;
    Ok(job)
}

/// `request` checked ([`check`]) and as it is queued: a `palette: {"from": …}` replaced by its
/// colours and a `"sprite": "match"` by the size of the same images, read once here. `submit`
/// calls it, and a batch calls it on every request before queueing any (then submits the
/// prepared requests, which have nothing left to read).
pub(crate) async fn prepare(
    state: &AppState,
    request: GenerateRequest,
) -> Result<(BackendKind, GenerateRequest), ApiError> {
    let backend = check(state, &request).await?;
    let matching = request.sprite.is_match();
    let request = palette_from::resolve_request(state, request).await?;
    if matching {
        // A matched size meets the rules of the request's kind (a tile is square) only now.
        request.validate()?;
    }
    Ok((backend, request))
}

/// Checks `request` against the limits and this server (its styles, backends and jobs, and
/// whether it is stopping: once shutdown began no job is accepted, 503) and returns the backend
/// that will run it.
async fn check(state: &AppState, request: &GenerateRequest) -> Result<BackendKind, ApiError> {
    state.accepting()?;
    request.validate()?;
    if let Some(style) = &request.style
        && state.styles.find(style).is_none()
    {
        return Err(ApiError::invalid("style", format!("unknown style `{style}`; see /api/v1/models")));
    }
    if let Some(unknown) = request.styles.iter().find(|choice| state.styles.find(&choice.name).is_none()) {
        let message = format!("unknown style `{}`; see /api/v1/models", unknown.name);
        return Err(ApiError::invalid("styles[].name", message));
    }
    let backend = state.backend(request.backend).ok_or_else(|| {
        let name = request.backend.map_or("default", |kind| kind.as_str());
        ApiError::invalid("backend", format!("backend `{name}` is not available on this server"))
    })?;
    if let Some(source) = &request.source {
        check_source(state, source).await?;
    }
    Ok(backend.kind())
}

/// An img2img source must be a frame of a completed job of this server: its files are what the
/// worker starts from. Once completed a job never changes, so what passes here holds when the
/// job runs.
async fn check_source(state: &AppState, source: &SourceImage) -> Result<(), ApiError> {
    let job = state.queue.get(&source.job).await.map_err(|err| match err {
        QueueError::NotFound(id) => ApiError::invalid("source.job", format!("no job `{id}`")),
        other => other.into(),
    })?;
    let frames = job.request.cells();
    if source.frame >= frames {
        let message =
            format!("job `{}` has {frames} frames, numbered from 0; there is no frame {}", job.id, source.frame);
        return Err(ApiError::invalid("source.frame", message));
    }
    if job.status != JobStatus::Completed {
        let message = format!("job `{}` is {}; only a completed job can be a source", job.id, job.status.as_str());
        return Err(ApiError::invalid("source.job", message));
    }
    Ok(())
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get(IDEMPOTENCY_KEY) else { return Ok(None) };
    let key = value
        .to_str()
        .ok()
        .filter(|key| (1..=MAX_KEY_CHARS).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic()));
    let key = key.ok_or_else(|| {
        ApiError::invalid(IDEMPOTENCY_KEY, format!("must be 1 to {MAX_KEY_CHARS} visible ASCII characters"))
    })?;
    Ok(Some(key.to_owned()))
}

/// Query of `GET /api/v1/jobs`; values are parsed by hand so a bad one is a 422 naming it.
#[derive(Debug, Deserialize)]
pub(crate) struct ListQuery {
    status: Option<String>,
    limit: Option<String>,
}

/// Recent jobs, newest first.
#[utoipa::path(get, path = "/api/v1/jobs", tag = "jobs", security(("bearer" = [])),
    params(
        ("status" = Option<String>, Query, description = "queued, running, completed, failed or cancelled"),
        ("limit" = Option<u32>, Query, description = "1..=1000, default 50"),
    ),
    responses((status = 200, description = "the jobs, newest first", body = [Job]), (status = 422, description = "bad filter", body = ErrorBody)))]
pub(crate) async fn jobs_index(
    State(state): State<AppState>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Vec<Job>>, ApiError> {
    let Query(query) = query?;
    let status = query
        .status
        .map(|name| {
            JobStatus::parse(&name).ok_or_else(|| ApiError::invalid("status", format!("unknown status `{name}`")))
        })
        .transpose()?;
    let limit = match query.limit {
        None => DEFAULT_LIMIT,
        Some(text) => text
            .parse()
            .ok()
            .filter(|limit| (1..=MAX_LIMIT).contains(limit))
            .ok_or_else(|| ApiError::invalid("limit", format!("`limit` must be between 1 and {MAX_LIMIT}")))?,
    };
    Ok(Json(state.queue.list(status, limit).await?))
}

/// One job: status, progress, queue position, error, request and result.
#[utoipa::path(get, path = "/api/v1/jobs/{id}", tag = "jobs", security(("bearer" = [])),
    params(("id" = String, Path, description = "job id")),
    responses((status = 200, description = "the job", body = Job), (status = 404, description = "no such job", body = ErrorBody)))]
pub(crate) async fn jobs_show(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let json = state.queue.get_json(&JobId(id)).await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], json).into_response())
}

/// Cancels a queued or running job and returns it.
#[utoipa::path(delete, path = "/api/v1/jobs/{id}", tag = "jobs", security(("bearer" = [])),
    params(("id" = String, Path, description = "job id")),
    responses(
        (status = 200, description = "the cancelled job", body = Job),
        (status = 404, description = "no such job", body = ErrorBody),
        (status = 409, description = "the job already finished", body = ErrorBody),
    ))]
pub(crate) async fn jobs_cancel(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<Job>, ApiError> {
    let job = state.queue.cancel(&JobId(id)).await?;
    if job.request.train_style().is_some() {
        // A training cancelled while queued never reaches a worker, which removes the others'.
        crate::train::remove_dir(&state.training.dataset(&job.id.0)).await;
    }
    Ok(Json(job))
}
