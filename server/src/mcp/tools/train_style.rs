//! `train_style`: queue the training of a style from sprites and return the job at once (a
//! training takes minutes; follow it with `get_job`).

use dgx_pixels_protocol::TrainStyleRequest;
use dgx_pixels_protocol::mcp::tool;
use rmcp::model::{CallToolResult, JsonObject};
use tracing::instrument;

use crate::mcp::args::parse_args;
use crate::mcp::context::CallContext;
use crate::mcp::error::ToolError;
use crate::mcp::jobs;
use crate::mcp::report::{job_report, success};

/// Runs the tool; the arguments are the body of `POST /api/v1/styles/train`.
#[instrument(skip_all, fields(tool = tool::TRAIN_STYLE, job_id))]
pub(crate) async fn run(ctx: &CallContext, args: JsonObject) -> Result<CallToolResult, ToolError> {
    let request: TrainStyleRequest = parse_args(args)?;
    let job = jobs::train_style(ctx, request).await?;
    tracing::Span::current().record("job_id", tracing::field::display(&job.id));
    Ok(success(&job_report(ctx, job), Vec::new())?)
}
