//! `spawn_sprite`: a new entity in the running game showing a deployed sheet or a completed
//! job's, at a position (optionally relative to another entity).

use dgx_pixels_protocol::mcp::{GameReport, SheetChoice, SpawnSpriteArgs, tool};
use dgx_pixels_protocol::remote::{SpawnSprite, Spawned, check_position, method};
use rmcp::model::{CallToolResult, JsonObject};
use tracing::{info, instrument};

use crate::error::ApiError;
use crate::mcp::args::parse_args;
use crate::mcp::context::CallContext;
use crate::mcp::error::ToolError;
use crate::mcp::game_sheet;
use crate::mcp::report::success;

/// Longest entity name accepted, in characters.
const NAME_CHARS: std::ops::RangeInclusive<usize> = 1..=200;

/// Runs the tool.
#[instrument(skip_all, fields(tool = tool::SPAWN_SPRITE))]
pub(crate) async fn run(ctx: &CallContext, args: JsonObject) -> Result<CallToolResult, ToolError> {
    let SpawnSpriteArgs { asset, job_id, position, near, name } = parse_args(args)?;
    check_position("position", position).map_err(ApiError::from)?;
    if let Some(name) = &name {
        dgx_pixels_protocol::limits::check_len("name", name.chars().count(), NAME_CHARS).map_err(ApiError::from)?;
    }
    let sheet = SheetChoice::from_args(asset, job_id).map_err(ApiError::from)?;
    let (path, deployed) = game_sheet::resolve(ctx, sheet).await?;
    let spawned: Spawned =
        ctx.state.game.call(method::SPAWN_SPRITE, &SpawnSprite { path, position, near, name }).await?;
    info!(entity = spawned.entity, path = %spawned.path, "spawned in the game");
    Ok(success(&GameReport { spawned, deployed }, Vec::new())?)
}
