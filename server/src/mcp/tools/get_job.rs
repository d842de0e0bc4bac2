//! `get_job`: one job's state, optionally after waiting for it, with a preview once completed.

use dgx_pixels_protocol::JobId;
use dgx_pixels_protocol::mcp::{GetJobArgs, tool};
use rmcp::model::{CallToolResult, JsonObject};
use tokio::time::Instant;
use tracing::instrument;

use crate::mcp::args::{parse_args, wait_duration};
use crate::mcp::context::CallContext;
use crate::mcp::error::ToolError;
use crate::mcp::jobs;
use crate::mcp::report::{job_report, preview, success};

/// Runs the tool; `wait_seconds` defaults to 0 (answer at once).
#[instrument(skip_all, fields(tool = tool::GET_JOB, job_id))]
pub(crate) async fn run(ctx: &CallContext, args: JsonObject) -> Result<CallToolResult, ToolError> {
    let GetJobArgs { job_id, wait_seconds } = parse_args(args)?;
    tracing::Span::current().record("job_id", job_id.as_str());
    let deadline = Instant::now() + wait_duration(wait_seconds, 0)?;
    let job = jobs::wait(ctx, &JobId(job_id), deadline).await?;
    let image = preview(ctx, &job).await?;
    Ok(success(&job_report(ctx, job), image.into_iter().collect())?)
}
