//! One file per MCP tool. Each has a `run(ctx, args)` that reads its arguments strictly, calls
//! the same server functions as the HTTP routes (the game tools: the running game over BRP,
//! [`crate::game`]), and returns a tool result or a
//! [`ToolError`](super::error::ToolError).

pub(crate) mod apply_to_entity;
pub(crate) mod deploy_to_bevy;
pub(crate) mod generate_batch;
pub(crate) mod generate_sprite;
pub(crate) mod get_job;
pub(crate) mod list_sprites;
pub(crate) mod list_styles;
pub(crate) mod pixelize_image;
pub(crate) mod screenshot;
pub(crate) mod spawn_sprite;
pub(crate) mod train_style;
