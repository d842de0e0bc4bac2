//! `GET /api/v1/jobs/{id}/events`: a job's life as Server-Sent Events.
//!
//! The stream opens with the job's current state and then sends a `progress` event whenever its
//! status, progress or queue position changes, and ends with exactly one `completed`, `failed`
//! or `cancelled`. Intermediate values may be skipped under load (the latest state is sent),
//! never reordered. Streams also end when the server closes (after the grace that running jobs
//! get to finish on shutdown, so a stream of a job that finishes then still ends `completed`).

use std::convert::Infallible;

use axum::extract::{Path, Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use base64::Engine;
use dgx_pixels_protocol::events::{CancelledEvent, CompletedJob, FailedEvent, InlineFiles, ProgressEvent};
use dgx_pixels_protocol::{ErrorBody, Job, JobEvent, JobId, JobStatus, TrainStep};
use futures_util::Stream;
use tokio::sync::watch;

use serde::Deserialize;

use crate::error::ApiError;
use crate::job_files::JobFilesDir;
use crate::queue::JobQueue;
use crate::shutdown::Shutdown;
use crate::state::AppState;

/// The job's events until it finishes.
#[utoipa::path(get, path = "/api/v1/jobs/{id}/events", tag = "jobs", security(("bearer" = [])),
    params(("id" = String, Path, description = "job id"),
        ("files" = Option<String>, Query, description = "`inline`: a sheet job's three files in its `completed` event (`CompletedJob.files`)")),
    responses(
        (status = 200, description = "`text/event-stream`: `progress` (`ProgressEvent`) events, then `completed` (`CompletedJob`: the job, and its files with `files=inline`), `failed` (`FailedEvent`) or `cancelled` (`CancelledEvent`)",
            content_type = "text/event-stream"),
        (status = 404, description = "no such job", body = ErrorBody),
    ))]
pub(crate) async fn events_stream(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<EventsQuery>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let id = JobId(id);
    // Subscribe before the first read, so no change between the two is missed.
    let changes = state.queue.subscribe();
    state.queue.get(&id).await?;
    let files = match query.files.as_deref() {
        None => None,
        Some("inline") => Some(state.files.clone()),
        Some(other) => return Err(ApiError::invalid("files", format!("`files` may only be `inline`, got `{other}`"))),
    };
    let watcher =
        JobWatcher { queue: state.queue.clone(), id, changes, shutdown: state.shutdown.clone(), last: None, files };
    let stream = futures_util::stream::unfold(Some(watcher), |watcher| async move {
        let mut watcher = watcher?;
        let mut event = watcher.next_event().await?;
        if let (JobEvent::Completed(done), Some(files)) = (&mut event, &watcher.files) {
            done.files = inline_files(files, &done.job.id).await;
        }
        let sse = Event::default().event(event.name()).data(event.data_json());
        let next = if event.is_terminal() { None } else { Some(watcher) };
        Some((Ok(sse), next))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// Follows one job through the queue's change counter.
struct JobWatcher {
    queue: JobQueue,
    id: JobId,
    changes: watch::Receiver<u64>,
    shutdown: Shutdown,
    /// The last progress sent: status, progress, queue position.
    last: Option<(JobStatus, f32, Option<u32>, Option<TrainStep>)>,
    /// Where the job's files are, when they go with the completion.
    files: Option<JobFilesDir>,
}

/// `?files=inline`: a sheet job's three files in its `completed` event.
#[derive(Debug, Deserialize)]
pub(crate) struct EventsQuery {
    files: Option<String>,
}

/// A completed sheet job's files for its `completed` event; `None` for a job without them (a
/// training) or when they cannot be read (the client then downloads them as usual).
async fn inline_files(files: &JobFilesDir, id: &JobId) -> Option<InlineFiles> {
    let paths = files.files(id)?;
    let sheet = tokio::fs::read(&paths.sheet).await.ok()?;
    Some(InlineFiles {
        sheet_png: base64::engine::general_purpose::STANDARD.encode(sheet),
        atlas_ron: tokio::fs::read_to_string(&paths.atlas).await.ok()?,
        sprite_ron: tokio::fs::read_to_string(&paths.sprite).await.ok()?,
    })
}

impl JobWatcher {
    /// The next event to send, or `None` when the stream must end.
    async fn next_event(&mut self) -> Option<JobEvent> {
        loop {
            let job = match self.queue.get_live(&self.id) {
                Some(job) => job,
                None => self.queue.get(&self.id).await.ok()?,
            };
            if let Some(event) = self.event_for(job) {
                return Some(event);
            }
            tokio::select! {
                changed = self.changes.changed() => changed.ok()?,
                () = self.shutdown.closed() => return None,
            }
        }
    }

    fn event_for(&mut self, job: Job) -> Option<JobEvent> {
        match job.status {
            JobStatus::Completed => Some(JobEvent::Completed(Box::new(CompletedJob { job, files: None }))),
            JobStatus::Failed => Some(JobEvent::Failed(FailedEvent { error: job.error.unwrap_or_default() })),
            JobStatus::Cancelled => Some(JobEvent::Cancelled(CancelledEvent {})),
            JobStatus::Queued | JobStatus::Running => {
                let now = (job.status, job.progress, job.queue_position, job.train_step);
                if self.last == Some(now) {
                    return None;
                }
                self.last = Some(now);
                Some(JobEvent::Progress(ProgressEvent {
                    status: job.status,
                    progress: job.progress,
                    queue_position: job.queue_position,
                    train_step: job.train_step,
                }))
            }
        }
    }
}
