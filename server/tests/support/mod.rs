//! Helpers shared by the integration tests that need them.

pub mod comfyui_standin;
pub mod server_on_standin;
