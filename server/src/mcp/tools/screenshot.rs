//! `screenshot`: the running game's window as an image the assistant can look at.

use dgx_pixels_protocol::mcp::{NoArgs, ScreenshotReport, tool};
use rmcp::model::{CallToolResult, ContentBlock, JsonObject};
use tracing::instrument;

use crate::mcp::args::parse_args;
use crate::mcp::context::CallContext;
use crate::mcp::error::ToolError;
use crate::mcp::report::success;

/// Runs the tool.
#[instrument(skip_all, fields(tool = tool::SCREENSHOT))]
pub(crate) async fn run(ctx: &CallContext, args: JsonObject) -> Result<CallToolResult, ToolError> {
    let NoArgs {} = parse_args(args)?;
    let (width, height, png) = ctx.state.game.screenshot().await?;
    Ok(success(&ScreenshotReport { width, height }, vec![ContentBlock::image(png, "image/png")])?)
}
