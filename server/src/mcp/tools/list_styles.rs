//! `list_styles`: the styles registry, as `GET /api/v1/models` lists it.

use dgx_pixels_protocol::mcp::{ListStylesArgs, tool};
use rmcp::model::{CallToolResult, JsonObject};
use tracing::instrument;

use crate::mcp::args::parse_args;
use crate::mcp::context::CallContext;
use crate::mcp::error::ToolError;
use crate::mcp::jobs;
use crate::mcp::report::success;

/// Runs the tool; it takes no arguments and refuses any.
#[instrument(skip_all, fields(tool = tool::LIST_STYLES))]
pub(crate) async fn run(ctx: &CallContext, args: JsonObject) -> Result<CallToolResult, ToolError> {
    let ListStylesArgs {} = parse_args(args)?;
    Ok(success(&jobs::styles(ctx).await?, Vec::new())?)
}
