//! `generate_sprite`: queue one request, wait a while, return the job, its file URLs and a
//! preview image.

use dgx_pixels_protocol::GenerateRequest;
use dgx_pixels_protocol::mcp::{DEFAULT_WAIT_SECONDS, tool};
use rmcp::model::{CallToolResult, JsonObject};
use tokio::time::Instant;
use tracing::instrument;

use crate::mcp::args::{parse_args, take_wait_seconds, wait_duration};
use crate::mcp::context::CallContext;
use crate::mcp::error::ToolError;
use crate::mcp::jobs;
use crate::mcp::report::{job_report, preview, success};

/// Runs the tool; the arguments are the generate body's fields plus `wait_seconds`.
#[instrument(skip_all, fields(tool = tool::GENERATE_SPRITE, job_id))]
pub(crate) async fn run(ctx: &CallContext, mut args: JsonObject) -> Result<CallToolResult, ToolError> {
    let wait = wait_duration(take_wait_seconds(&mut args)?, DEFAULT_WAIT_SECONDS)?;
    let request: GenerateRequest = parse_args(args)?;
    let deadline = Instant::now() + wait;
    let job = jobs::submit(ctx, request).await?;
    tracing::Span::current().record("job_id", tracing::field::display(&job.id));
    let job = jobs::wait(ctx, &job.id, deadline).await?;
    let image = preview(ctx, &job).await?;
    Ok(success(&job_report(ctx, job), image.into_iter().collect())?)
}
