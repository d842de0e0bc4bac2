//! `apply_to_entity`: an entity of the running game shows a deployed sheet or a completed job's
//! instead of what it showed; it keeps its place.

use dgx_pixels_protocol::mcp::{ApplyToEntityArgs, GameReport, SheetChoice, tool};
use dgx_pixels_protocol::remote::{ApplyToEntity, Spawned, method};
use rmcp::model::{CallToolResult, JsonObject};
use tracing::{info, instrument};

use crate::error::ApiError;
use crate::mcp::args::parse_args;
use crate::mcp::context::CallContext;
use crate::mcp::error::ToolError;
use crate::mcp::game_sheet;
use crate::mcp::report::success;

/// Runs the tool.
#[instrument(skip_all, fields(tool = tool::APPLY_TO_ENTITY))]
pub(crate) async fn run(ctx: &CallContext, args: JsonObject) -> Result<CallToolResult, ToolError> {
    let ApplyToEntityArgs { entity, asset, job_id } = parse_args(args)?;
    let sheet = SheetChoice::from_args(asset, job_id).map_err(ApiError::from)?;
    let (path, deployed) = game_sheet::resolve(ctx, sheet).await?;
    let spawned: Spawned = ctx.state.game.call(method::APPLY_TO_ENTITY, &ApplyToEntity { entity, path }).await?;
    info!(entity = spawned.entity, path = %spawned.path, "applied in the game");
    Ok(success(&GameReport { spawned, deployed }, Vec::new())?)
}
