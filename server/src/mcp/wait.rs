//! Waiting for a job inside a tool call, with progress notifications for clients that ask.

use dgx_pixels_protocol::{Job, JobId, JobStatus};
use tokio::time::Instant;

use super::context::CallContext;
use crate::error::ApiError;

/// Job `id` once it finishes, or as it is at `deadline`, when the client cancels the call or
/// when the server closes, whichever comes first.
pub(crate) async fn wait_for_job(ctx: &CallContext, id: &JobId, deadline: Instant) -> Result<Job, ApiError> {
    // Subscribe before the first read, so no change between the two is missed.
    let mut changes = ctx.state.queue.subscribe();
    let mut shutdown = ctx.state.shutdown.clone();
    let mut watch = Watch::default();
    loop {
        let job = match ctx.state.queue.get_live(id) {
            Some(job) => job,
            None => ctx.state.queue.get(id).await?,
        };
        if watch.over(ctx, &job, deadline).await {
            return Ok(job);
        }
        tokio::select! {
            changed = changes.changed() => if changed.is_err() { return Ok(job) },
            () = tokio::time::sleep_until(deadline) => {}
            () = ctx.cancel.cancelled() => return Ok(job),
            () = shutdown.closed() => return Ok(job),
        }
    }
}

/// What a waiting tool last told the client about a job.
#[derive(Default)]
pub(crate) struct Watch {
    last: Option<(JobStatus, f32, Option<u32>)>,
}

impl Watch {
    /// Whether waiting for `job` is over (it finished, or `deadline` passed); if not, tells the
    /// client how far it is when that changed.
    pub async fn over(&mut self, ctx: &CallContext, job: &Job, deadline: Instant) -> bool {
        if job.status.is_terminal() || Instant::now() >= deadline {
            return true;
        }
        let now = (job.status, job.progress, job.queue_position);
        if self.last != Some(now) {
            self.last = Some(now);
            ctx.notify_progress(job.progress, describe(job)).await;
        }
        false
    }
}

/// A job's state in a few words: `queued (2 ahead)`, `running 40%`.
pub(crate) fn describe(job: &Job) -> String {
    match (job.status, job.queue_position) {
        (JobStatus::Queued, Some(ahead)) => format!("queued ({ahead} ahead)"),
        (JobStatus::Running, _) => format!("running {:.0}%", job.progress * 100.0),
        (status, _) => status.as_str().to_owned(),
    }
}
