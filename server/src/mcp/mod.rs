//! MCP, the Model Context Protocol: the server's tools for AI assistants, built on the official
//! Rust SDK (`rmcp`).
//!
//! Two transports carry the same tools ([`PixelsMcp`]):
//! - streamable HTTP at `/mcp` ([`http_service`]), mounted inside the bearer-token layer, so a
//!   server with `--token` needs `Authorization: Bearer <token>` on every MCP request too;
//! - stdio (`dgx-pixels mcp --stdio`, [`crate::Server::run_mcp_stdio`]) for clients that launch
//!   a process: it runs a whole server in the process, on loopback, and speaks MCP on
//!   stdin/stdout.
//!
//! # Connecting an assistant
//! Over HTTP, to a running `dgx-pixels serve --allow-root ~/games [--token T]`, e.g. Claude Code:
//! ```text
//! claude mcp add --transport http dgx-pixels http://127.0.0.1:8787/mcp --header "Authorization: Bearer T"
//! ```
//! or, in a client's JSON settings (`mcpServers`), either transport:
//! ```text
//! "dgx-pixels":       { "type": "http", "url": "http://gpu-box:8787/mcp",
//!                       "headers": { "Authorization": "Bearer T" } }
//! "dgx-pixels-local": { "command": "dgx-pixels", "args": ["mcp", "--stdio", "--allow-root", "/home/me/games"] }
//! ```
//! `deploy_to_bevy` and the game tools work on the machine that runs the MCP server, so with a
//! remote GPU box use the stdio transport beside the game with `--server http://gpu-box:8787`:
//! jobs run on the box ([`jobs::JobHost`]), files land in the game.
//!
//! # Tools
//! One file each under `tools/`: `generate_sprite`, `generate_batch`, `get_job`, `list_styles`,
//! `pixelize_image` and `deploy_to_bevy`, and the game tools `list_sprites`, `spawn_sprite`,
//! `apply_to_entity` and `screenshot`, which call the running game over Bevy's remote protocol
//! ([`crate::game`], `--game URL`). They call the same functions as the HTTP routes
//! (`routes::jobs::submit`, `routes::files::completed_files`, `routes::pixelize::pixelize`, the
//! styles registry, [`crate::deploy::deploy`]), so the two surfaces cannot drift apart.
//!
//! Arguments arrive as a raw JSON object and are read strictly by the tool itself (unknown fields
//! refused, the offending field named), because `rmcp`'s typed `Parameters` would turn a bad
//! argument into a JSON-RPC error that clients hide from the model. Every failure is a tool
//! result with `isError: true` and a readable message ([`error::ToolError`]); the transport never
//! sees it. The `inputSchema` of each tool comes from the argument types in
//! `dgx_pixels_protocol::mcp` (their `schemars` feature).

mod args;
mod context;
mod error;
mod game_sheet;
mod jobs;
mod report;
mod stdio;
mod tools;
mod wait;

use std::sync::Arc;

use dgx_pixels_protocol::TrainStyleRequest;
use dgx_pixels_protocol::mcp::{
    ApplyToEntityArgs, DeployToBevyArgs, GenerateBatchArgs, GenerateSpriteArgs, GetJobArgs, ListStylesArgs, NoArgs,
    PixelizeImageArgs, SpawnSpriteArgs,
};
use rmcp::handler::server::common::{schema_for_input, schema_for_type};
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::model::{CallToolResult, Implementation, JsonObject, ServerCapabilities, ServerConfig};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{RoleServer, ServerHandler, schemars, tool, tool_handler, tool_router};

use self::context::CallContext;
use self::error::ToolError;
use self::jobs::JobHost;
use crate::state::AppState;

/// What the server tells an assistant about itself when it connects.
const INSTRUCTIONS: &str = "dgx-pixels makes pixel-art sprites and sprite sheets for Bevy games. \
Typical flow: list_styles to pick a style (optional), generate_sprite with a prompt (it waits for \
the result and returns a preview image), then deploy_to_bevy to write NAME.png, NAME.atlas.ron and \
NAME.sprite.ron into the game's assets folder, where a running game hot-reloads them. Use \
generate_batch for several sprites at once and get_job to follow a job that was still running. \
pixelize_image turns an existing image into true pixel art. When the game runs with the dgx-pixels \
plugin's remote protocol on, list_sprites shows its sprites (ids, names, positions), spawn_sprite puts a \
deployed sheet (or a completed job) into it at a position, optionally near a named entity, apply_to_entity \
changes what an entity shows, and screenshot returns the game's window as an image to check the result. \
train_style teaches the server a new style from the user's own sprites (a training job of some minutes; \
follow it with get_job), after which list_styles lists it.";

/// The MCP server: one per session (HTTP) or per process (stdio); cheap to create, as the state
/// inside is shared.
#[derive(Clone)]
pub(crate) struct PixelsMcp {
    state: AppState,
    /// Where the job tools' jobs run.
    host: JobHost,
    /// Base URL of the HTTP API for file links when the call carries no `Host` (stdio).
    fallback_base_url: Option<Arc<str>>,
    tool_router: ToolRouter<Self>,
}

impl PixelsMcp {
    /// Tools over `state`, their jobs running on `host`; `fallback_base_url` is used for file
    /// links when a call did not come over HTTP.
    pub fn new(state: AppState, host: JobHost, fallback_base_url: Option<String>) -> Self {
        let fallback_base_url = fallback_base_url.map(Arc::from);
        Self { state, host, fallback_base_url, tool_router: Self::tool_router() }
    }

    fn context(&self, request: RequestContext<RoleServer>) -> CallContext {
        CallContext::new(self.state.clone(), self.host.clone(), self.fallback_base_url.clone(), request)
    }
}

/// The `inputSchema` of a tool taking `T`. The argument types are ours and tested to produce an
/// object schema (see the tests), so the unvalidated schema is only a fallback, never a panic.
fn input_schema<T: schemars::JsonSchema + 'static>() -> Arc<JsonObject> {
    schema_for_input::<T>().unwrap_or_else(|_| schema_for_type::<T>())
}

/// Runs a tool body and turns its error into a tool error result.
fn finish(outcome: Result<CallToolResult, ToolError>) -> CallToolResult {
    outcome.unwrap_or_else(ToolError::into_result)
}

#[tool_router]
impl PixelsMcp {
    #[tool(
        name = "generate_sprite",
        description = "Generate one pixel-art sprite or animated sprite sheet from a text prompt. Use it when the \
user wants new art. Only `prompt` is required; set `frames` for an animation, `sprite` for the frame size, \
`style` for a style from list_styles. To edit or vary a sprite made before, set `source` to `{\"job\": its id}` \
(and `denoise`, 0.05 to 1, for how much changes; default 0.6). Waits up to `wait_seconds` (default 50) and \
returns the job, absolute URLs of its PNG sheet, .atlas.ron and .sprite.ron, and a small preview image. If the \
job is still running, follow it with get_job; when it has completed, put it into a game with deploy_to_bevy.",
        input_schema = input_schema::<GenerateSpriteArgs>()
    )]
    async fn generate_sprite(&self, args: JsonObject, request: RequestContext<RoleServer>) -> CallToolResult {
        finish(tools::generate_sprite::run(&self.context(request), args).await)
    }

    #[tool(
        name = "generate_batch",
        description = "Queue 1 to 20 sprite requests at once (for example a set of items or every character of a \
level). Every request is checked before any is queued. Waits up to `wait_seconds` (default 50) for all of them \
and returns each job with its file URLs; no preview images (get_job returns one per job).",
        input_schema = input_schema::<GenerateBatchArgs>()
    )]
    async fn generate_batch(&self, args: JsonObject, request: RequestContext<RoleServer>) -> CallToolResult {
        finish(tools::generate_batch::run(&self.context(request), args).await)
    }

    #[tool(
        name = "get_job",
        description = "Look up a job by the id a generate tool returned: status, progress, queue position, error \
and, once completed, file URLs and a preview image. Set `wait_seconds` to wait for a running job to finish.",
        input_schema = input_schema::<GetJobArgs>()
    )]
    async fn get_job(&self, args: JsonObject, request: RequestContext<RoleServer>) -> CallToolResult {
        finish(tools::get_job::run(&self.context(request), args).await)
    }

    #[tool(
        name = "list_styles",
        description = "List the art styles (LoRAs) this server has, with their trigger words, recommended strength \
and description. Use it before generating when the user asks for a particular look; pass a style's `name` as \
`style` to generate_sprite.",
        input_schema = input_schema::<ListStylesArgs>()
    )]
    async fn list_styles(&self, args: JsonObject, request: RequestContext<RoleServer>) -> CallToolResult {
        finish(tools::list_styles::run(&self.context(request), args).await)
    }

    #[tool(
        name = "pixelize_image",
        description = "Turn an existing image that only looks like pixel art (upscaled, blurred, JPEG-damaged or \
AI-made) into a true pixel-art sprite: one pixel per grid cell, a limited palette, a transparent background. \
Pass the image as base64 PNG; returns the sprite as an image.",
        input_schema = input_schema::<PixelizeImageArgs>()
    )]
    async fn pixelize_image(&self, args: JsonObject, request: RequestContext<RoleServer>) -> CallToolResult {
        finish(tools::pixelize_image::run(&self.context(request), args).await)
    }

    #[tool(
        name = "deploy_to_bevy",
        description = "Write a completed job's files (NAME.png, NAME.atlas.ron, NAME.sprite.ron) into \
`<bevy_project>/assets/<category>/` of a Bevy game, where a running game with the dgx-pixels plugin hot-reloads \
them. The project must lie inside a folder the server allows (serve --allow-root); `category` and `name` are \
plain names [a-z0-9_-]. Existing files are kept unless `overwrite` is true. Returns the written paths and the \
asset path to load.",
        input_schema = input_schema::<DeployToBevyArgs>()
    )]
    async fn deploy_to_bevy(&self, args: JsonObject, request: RequestContext<RoleServer>) -> CallToolResult {
        finish(tools::deploy_to_bevy::run(&self.context(request), args).await)
    }

    #[tool(
        name = "list_sprites",
        description = "List the sprites in the running Bevy game: each entity's id, name, world position [x, y, z], \
the image it shows and, for generated sprites, the sheet. Use the ids or names with spawn_sprite's `near` and \
with apply_to_entity. Needs the game running with the dgx-pixels plugin's remote protocol on.",
        input_schema = input_schema::<NoArgs>()
    )]
    async fn list_sprites(&self, args: JsonObject, request: RequestContext<RoleServer>) -> CallToolResult {
        finish(tools::list_sprites::run(&self.context(request), args).await)
    }

    #[tool(
        name = "spawn_sprite",
        description = "Put a sprite into the running Bevy game: a new entity showing a sheet, its pivot (a \
character's feet) at world `position` [x, y] (y up, the camera's centre is usually 0,0), drawn in front of the \
other sprites. Give `asset` (the asset_path deploy_to_bevy returned, e.g. characters/knight.png) or `job_id` (a \
completed job, written into the game's generated/ folder first). Set `near` to an entity's id or name from \
list_sprites to place it relative to that entity (\"next to the player\": near \"player\", position [40, 0]). \
Returns the new entity's id and position; check it with screenshot.",
        input_schema = input_schema::<SpawnSpriteArgs>()
    )]
    async fn spawn_sprite(&self, args: JsonObject, request: RequestContext<RoleServer>) -> CallToolResult {
        finish(tools::spawn_sprite::run(&self.context(request), args).await)
    }

    #[tool(
        name = "apply_to_entity",
        description = "Make an entity of the running Bevy game (its id or name from list_sprites) show another \
sheet, keeping its place: `asset` (an asset_path from deploy_to_bevy) or `job_id` (a completed job). Use it to \
restyle an existing character or prop.",
        input_schema = input_schema::<ApplyToEntityArgs>()
    )]
    async fn apply_to_entity(&self, args: JsonObject, request: RequestContext<RoleServer>) -> CallToolResult {
        finish(tools::apply_to_entity::run(&self.context(request), args).await)
    }

    #[tool(
        name = "screenshot",
        description = "Take a screenshot of the running Bevy game's window and return it as an image, to see \
what a spawn or change looks like in the game.",
        input_schema = input_schema::<NoArgs>()
    )]
    async fn screenshot(&self, args: JsonObject, request: RequestContext<RoleServer>) -> CallToolResult {
        finish(tools::screenshot::run(&self.context(request), args).await)
    }

    #[tool(
        name = "train_style",
        description = "Teach the server a new art style (a LoRA) from sprites the user already has, so later \
sprites match them: `name` (plain, [a-z0-9_-]) and `images`, a list of completed job ids or PNG files or folders \
inside the server's allowed folders (at least 20 images in all). Optional: `trigger_word`, `steps` (default \
1000), `rank` (32), `learning_rate` (1e-4). Needs a GPU server (ComfyUI backend). Returns the training job at \
once; it takes minutes: follow it with get_job. Once completed, the style is listed by list_styles and can be \
passed as `style` to generate_sprite.",
        input_schema = input_schema::<TrainStyleRequest>()
    )]
    async fn train_style(&self, args: JsonObject, request: RequestContext<RoleServer>) -> CallToolResult {
        finish(tools::train_style::run(&self.context(request), args).await)
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for PixelsMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("dgx-pixels", env!("CARGO_PKG_VERSION")))
            .with_instructions(INSTRUCTIONS)
    }
}

/// The streamable-HTTP service for `/mcp`.
///
/// Without a token the server only listens on loopback (see `Config::check`), and the service
/// keeps `rmcp`'s defence against DNS rebinding (only loopback `Host` names) and refuses
/// requests from web pages of other origins, so a browser tab cannot drive the tools. With a
/// token any `Host` is accepted: a page cannot send the token, and a LAN address must work.
/// Sessions end when the server closes (after the running jobs had their grace to finish).
pub(crate) fn http_service(
    state: &AppState,
    max_body_bytes: usize,
) -> StreamableHttpService<PixelsMcp, LocalSessionManager> {
    let mut config = StreamableHttpServerConfig::default().with_max_request_body_bytes(max_body_bytes);
    config = if state.token.is_some() {
        config.disable_allowed_hosts()
    } else {
        config
            .with_allowed_origins(["http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*"])
            .enforce_origin_validation()
    };
    let cancel = config.cancellation_token.clone();
    let mut stopping = state.shutdown.clone();
    tokio::spawn(async move {
        stopping.closed().await;
        cancel.cancel();
    });
    let state = state.clone();
    let tools = move || Ok(PixelsMcp::new(state.clone(), JobHost::Local, None));
    StreamableHttpService::new(tools, Default::default(), config)
}

#[cfg(test)]
mod tests {
    use dgx_pixels_protocol::mcp::tool;

    use super::*;

    /// Every tool is listed under its contract name with an object schema that `rmcp` accepts.
    #[test]
    fn every_tool_has_a_valid_object_schema() {
        let router = PixelsMcp::tool_router();
        let mut names: Vec<String> = router.list_all().into_iter().map(|tool| tool.name.to_string()).collect();
        names.sort();
        let mut expected: Vec<String> = tool::ALL.iter().map(|name| (*name).to_owned()).collect();
        expected.sort();
        assert_eq!(names, expected);
        schema_for_input::<GenerateSpriteArgs>().unwrap();
        schema_for_input::<GenerateBatchArgs>().unwrap();
        schema_for_input::<GetJobArgs>().unwrap();
        schema_for_input::<ListStylesArgs>().unwrap();
        schema_for_input::<PixelizeImageArgs>().unwrap();
        schema_for_input::<DeployToBevyArgs>().unwrap();
        schema_for_input::<NoArgs>().unwrap();
        schema_for_input::<SpawnSpriteArgs>().unwrap();
        schema_for_input::<ApplyToEntityArgs>().unwrap();
    }
}
