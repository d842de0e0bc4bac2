//! End-to-end tests of the Bevy plugin: headless Bevy apps (no window, no GPU) against the real
//! server running in-process on a loopback port, with real files in a temporary project.
//!
//! - `util`: the server on port 0, a temporary project, headless apps (with or without the
//!   panel), waiting helpers.
//! - `loader`: `.pixels.ron` generation, the cache with the server stopped, edited requests,
//!   a server that is down.
//! - `hot_reload`: rewritten png + atlas pairs reach the game, image and layout in one frame.
//! - `frames`: frames keep coming while the server hangs.
//! - `deploy`: what `deploy_to_bevy` writes into a running game is hot-reloaded.
//! - `facing`: an 8-direction sheet steered with `PixelsFacing`; files from before directions.
//! - `remake`: the panel's Re-process (no new job) and Vary (an img2img job).
//! - `remote`: the plugin's BRP methods (what the MCP game tools call) over real HTTP.
//! - `train`: the panel's "Learn a style" sends the game's sprites; the server's answer shows.

mod e2e {
    mod deploy;
    mod facing;
    mod frames;
    mod game_art;
    mod hot_reload;
    mod loader;
    mod remake;
    mod remote;
    mod train;
    pub mod util;
}
