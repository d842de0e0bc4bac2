//! [`JobHost`]: where the job tools' jobs run, and the few things the tools do with them.
//!
//! `serve`'s `/mcp` and a plain `dgx-pixels mcp --stdio` run jobs in this process's queue. With
//! `mcp --stdio --server URL` the jobs run on that server (the GPU box) over its HTTP API, while
//! the game tools, `deploy_to_bevy` and `pixelize_image` stay here, beside the game: a job's
//! files are downloaded to be written into the game. Job ids, styles and img2img sources are
//! then the remote server's, and its answers (a refused field, an unknown job) reach the
//! assistant as its own tool errors.

use std::sync::Arc;
use std::time::Duration;

use dgx_pixels_client::Client;
use dgx_pixels_protocol::{GenerateRequest, Job, JobId, JobStatus, ModelList};
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

/// Checks `request` as far as can be before anything is queued: everything here; the fields
/// alone for a remote server, which checks styles and sources itself when the job is submitted.
pub(crate) async fn check(ctx: &CallContext, request: &GenerateRequest) -> Result<(), ToolError> {
    match &ctx.host {
        JobHost::Local => jobs::check(&ctx.state, request).await.map(drop)?,
        JobHost::Remote(_) => request.validate().map_err(ApiError::from)?,
    }
    Ok(())
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
            let read = tokio::task::spawn_blocking(move || {
                let read = |path: &std::path::Path| {
                    std::fs::read(path)
                        .map_err(|err| ApiError::Internal(format!("cannot read {}: {err}", path.display())))
                };
                let text =
                    |path: &std::path::Path| read(path).map(|bytes| String::from_utf8_lossy(&bytes).into_owned());
                Ok::<_, ApiError>(SheetFiles {
                    png: read(&files.sheet)?,
                    atlas: text(&files.atlas)?,
                    sprite: text(&files.sprite)?,
                })
            });
            let files = read.await.map_err(|err| ApiError::Internal(format!("reading task stopped: {err}")))??;
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

/// The styles the jobs can use.
pub(crate) async fn styles(ctx: &CallContext) -> Result<ModelList, ToolError> {
    match &ctx.host {
        JobHost::Local => Ok(ctx.state.styles.list()),
        JobHost::Remote(client) => Ok(client.models().await?),
    }
}

/// `http://HOST[:PORT]` that a job's file links start with.
pub(crate) fn files_base(ctx: &CallContext) -> &str {
    match &ctx.host {
        JobHost::Local => &ctx.base_url,
        JobHost::Remote(client) => client.base_url(),
    }
}
