//! `generate_batch`: check up to 20 requests, queue them all, wait for them together.

use dgx_pixels_protocol::limits;
use dgx_pixels_protocol::mcp::{BATCH_REQUESTS, BatchReport, DEFAULT_WAIT_SECONDS, GenerateBatchArgs, tool};
use rmcp::model::{CallToolResult, JsonObject};
use tokio::time::Instant;
use tracing::instrument;

use crate::error::ApiError;
use crate::mcp::args::{parse_args, wait_duration};
use crate::mcp::context::CallContext;
use crate::mcp::error::ToolError;
use crate::mcp::jobs;
use crate::mcp::report::{job_report, success};

/// Runs the tool. Nothing is queued unless every request passes the checks, so a bad request
/// in the middle does not leave half a batch behind.
#[instrument(skip_all, fields(tool = tool::GENERATE_BATCH, requests))]
pub(crate) async fn run(ctx: &CallContext, args: JsonObject) -> Result<CallToolResult, ToolError> {
    let GenerateBatchArgs { requests, wait_seconds } = parse_args(args)?;
    tracing::Span::current().record("requests", requests.len());
    limits::check_len("requests", requests.len(), BATCH_REQUESTS).map_err(ApiError::from)?;
    let deadline = Instant::now() + wait_duration(wait_seconds, DEFAULT_WAIT_SECONDS)?;
    let mut prepared = Vec::with_capacity(requests.len());
    for (index, request) in requests.into_iter().enumerate() {
        prepared.push(jobs::prepare(ctx, request).await.map_err(|err| in_request(index, err))?);
    }
    let mut ids = Vec::with_capacity(prepared.len());
    for request in prepared {
        ids.push(jobs::submit(ctx, request).await?.id);
    }
    let mut reports = Vec::with_capacity(ids.len());
    for id in &ids {
        reports.push(job_report(ctx, jobs::wait(ctx, id, deadline).await?));
    }
    Ok(success(&BatchReport { jobs: reports }, Vec::new())?)
}

/// A field error of request `index`, named by its path in the arguments (`requests[2].frames`).
fn in_request(index: usize, err: ToolError) -> ToolError {
    match err {
        ToolError::Api(ApiError::Invalid { field, message }) => {
            ApiError::invalid(format!("requests[{index}].{field}"), message).into()
        }
        other => other,
    }
}
