//! `GET /api/v1/jobs/{id}/events`: a job's life as Server-Sent Events.
//!
//! The stream opens with the job's current state and then sends a `progress` event whenever its
//! status, progress or queue position changes, and ends with exactly one `completed`, `failed`
//! or `cancelled`. Intermediate values may be skipped under load (the latest state is sent),
//! never reordered. Streams also end when the server closes (after the grace that running jobs
//! get to finish on shutdown, so a stream of a job that finishes then still ends `completed`).

use std::convert::Infallible;

use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use dgx_pixels_protocol::events::{CancelledEvent, FailedEvent, ProgressEvent};
use dgx_pixels_protocol::{ErrorBody, Job, JobEvent, JobId, JobStatus, TrainStep};
use futures_util::Stream;
use tokio::sync::watch;

use crate::error::ApiError;
use crate::queue::JobQueue;
use crate::shutdown::Shutdown;
use crate::state::AppState;

/// The job's events until it finishes.
#[utoipa::path(get, path = "/api/v1/jobs/{id}/events", tag = "jobs", security(("bearer" = [])),
    params(("id" = String, Path, description = "job id")),
    responses(
        (status = 200, description = "`text/event-stream`: `progress` (`ProgressEvent`) events, then `completed` (`Job`), `failed` (`FailedEvent`) or `cancelled` (`CancelledEvent`)",
            content_type = "text/event-stream"),
        (status = 404, description = "no such job", body = ErrorBody),
    ))]
pub(crate) async fn events_stream(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let id = JobId(id);
    // Subscribe before the first read, so no change between the two is missed.
    let changes = state.queue.subscribe();
    state.queue.get(&id).await?;
    let watcher = JobWatcher { queue: state.queue.clone(), id, changes, shutdown: state.shutdown.clone(), last: None };
    let stream = futures_util::stream::unfold(Some(watcher), |watcher| async move {
        let mut watcher = watcher?;
        let event = watcher.next_event().await?;
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
            JobStatus::Completed => Some(JobEvent::Completed(Box::new(job))),
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
