//! `list_sprites`: every entity with a sprite in the running game (id, name, position, image).

use dgx_pixels_protocol::mcp::{NoArgs, tool};
use dgx_pixels_protocol::remote::{SpriteList, method};
use rmcp::model::{CallToolResult, JsonObject};
use tracing::instrument;

use crate::mcp::args::parse_args;
use crate::mcp::context::CallContext;
use crate::mcp::error::ToolError;
use crate::mcp::report::success;

/// Runs the tool.
#[instrument(skip_all, fields(tool = tool::LIST_SPRITES))]
pub(crate) async fn run(ctx: &CallContext, args: JsonObject) -> Result<CallToolResult, ToolError> {
    let NoArgs {} = parse_args(args)?;
    let list: SpriteList = ctx.state.game.call(method::LIST_SPRITES, &NoArgs {}).await?;
    Ok(success(&list, Vec::new())?)
}
