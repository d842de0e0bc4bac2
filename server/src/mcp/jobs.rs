//! [`JobHost`]: where the job tools' jobs run, and the few things the tools do with them.
//!
//! `serve`'s `/mcp` and a plain `dgx-pixels mcp --stdio` run jobs in this process's queue. With
//! `mcp --stdio --server URL` the jobs run on that server (the GPU box) over its HTTP API, while
//! the game tools, `deploy_to_bevy` and `pixelize_image` stay here, beside the game: a job's
//! files are downloaded to be written into the game. Job ids, styles and img2img sources are
//! then the remote server's, and its answers (a refused field, an unknown job) reach the
//! assistant as its own tool errors.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use dgx_pixels_client::Client;
use dgx_pixels_protocol::{GenerateRequest, Job, JobId, JobStatus, ModelList, TrainStyleRequest};
use tokio::time::Instant;

use super::context::CallContext;
use super::error::ToolError;
use super::wait::{Watch, wait_for_job};
use crate::error::ApiError;
use crate::routes::files::completed_files;
use crate::routes::jobs;

/// How often a remote job is looked at while a tool waits for it.
const REMOTE_POLL: Duration = Duration::from_millis(200);

/// Where the job tools' jobs run.
#[derive(Clone, Debug, Default)]
pub(crate) enum JobHost {
    /// This process's queue.
    #[default]
    Local,
    /// A dgx-pixels server elsewhere, over its HTTP API.
    Remote(Arc<Client>),
}

/// A completed job's three files, as they are written into a game.
pub(crate) struct SheetFiles {
    /// The sheet, PNG.
    pub png: Vec<u8>,
    /// Its `.atlas.ron`.
    pub atlas: String,
    /// Its `.sprite.ron`.
    pub sprite: String,
}

/// `request` checked as far as can be before anything is queued, and ready to submit: here,
/// everything, a palette's sources read ([`jobs::prepare`]); for a remote server the fields
/// alone, as it checks styles and sources itself when the job is submitted.
pub(crate) async fn prepare(ctx: &CallContext, request: GenerateRequest) -> Result<GenerateRequest, ToolError> {
    match &ctx.host {
        JobHost::Local => Ok(jobs::prepare(&ctx.state, request).await?.1),
        JobHost::Remote(_) => {
            request.validate().map_err(ApiError::from)?;
            Ok(request)
        }
    }
}

/// Queues `request`; the job as queued.
pub(crate) async fn submit(ctx: &CallContext, request: GenerateRequest) -> Result<Job, ToolError> {
    match &ctx.host {
        JobHost::Local => Ok(jobs::submit(&ctx.state, request, None).await?),
        JobHost::Remote(client) => {
            let accepted = client.generate(&request, None).await?;
            Ok(client.job(&accepted.job_id).await?)
        }
    }
}

/// Queues the training of a style where the jobs run.
pub(crate) async fn train_style(ctx: &CallContext, request: TrainStyleRequest) -> Result<Job, ToolError> {
    match &ctx.host {
        JobHost::Local => Ok(crate::train::submit(&ctx.state, request).await?),
        JobHost::Remote(client) => {
            let accepted = client.train_style(&request).await?;
            Ok(client.job(&accepted.job_id).await?)
        }
    }
}

/// Job `id` once it finishes, or as it is at `deadline` or when the client cancels the call.
pub(crate) async fn wait(ctx: &CallContext, id: &JobId, deadline: Instant) -> Result<Job, ToolError> {
    let JobHost::Remote(client) = &ctx.host else { return Ok(wait_for_job(ctx, id, deadline).await?) };
    let mut watch = Watch::default();
    loop {
        let job = client.job(id).await?;
        if watch.over(ctx, &job, deadline).await {
            return Ok(job);
        }
        tokio::select! {
            () = tokio::time::sleep(REMOTE_POLL.min(deadline - Instant::now())) => {}
            () = ctx.cancel.cancelled() => return Ok(job),
        }
    }
}

/// Completed job `id` and its three files; a job that is not completed is refused.
pub(crate) async fn completed(ctx: &CallContext, id: &JobId) -> Result<(Job, SheetFiles), ToolError> {
    match &ctx.host {
        JobHost::Local => {
            let (job, files) = completed_files(&ctx.state, id).await?;
            let files = blocking(move || {
                let text = |path: &Path| read_job_file(path).map(|bytes| String::from_utf8_lossy(&bytes).into_owned());
                Ok(SheetFiles {
                    png: read_job_file(&files.sheet)?,
                    atlas: text(&files.atlas)?,
                    sprite: text(&files.sprite)?,
                })
            })
            .await?;
            Ok((job, files))
        }
        JobHost::Remote(client) => {
            let job = client.job(id).await?;
            if job.status != JobStatus::Completed {
                let message = format!("job `{id}` is {}, not completed", job.status.as_str());
                return Err(ApiError::Conflict(message).into());
            }
            let (png, atlas, sprite) =
                futures_util::try_join!(client.sheet_png(id), client.atlas_ron(id), client.sprite_ron(id))?;
            Ok((job, SheetFiles { png, atlas, sprite }))
        }
    }
}

/// Completed job `id`'s sheet alone (what a preview needs).
pub(crate) async fn sheet_png(ctx: &CallContext, id: &JobId) -> Result<Vec<u8>, ToolError> {
    match &ctx.host {
        JobHost::Local => {
            let (_, files) = completed_files(&ctx.state, id).await?;
            Ok(blocking(move || read_job_file(&files.sheet)).await?)
        }
        JobHost::Remote(client) => Ok(client.sheet_png(id).await?),
    }
}

/// The styles the jobs can use.
pub(crate) async fn styles(ctx: &CallContext) -> Result<ModelList, ToolError> {
    match &ctx.host {
        JobHost::Local => Ok(ctx.state.styles.list()),
        JobHost::Remote(client) => Ok(client.models().await?),
    }
}

/// A job file's bytes; one that cannot be read is the server's own failure.
fn read_job_file(path: &Path) -> Result<Vec<u8>, ApiError> {
    std::fs::read(path).map_err(|err| ApiError::Internal(format!("cannot read {}: {err}", path.display())))
}

/// Runs file work off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work).await.map_err(|err| ApiError::Internal(format!("reading task stopped: {err}")))?
}

/// `http://HOST[:PORT]` that a job's file links start with.
pub(crate) fn files_base(ctx: &CallContext) -> &str {
    match &ctx.host {
        JobHost::Local => &ctx.base_url,
        JobHost::Remote(client) => client.base_url(),
    }
}
