//! The editor: a small scene with a knight sprite and the dgx-pixels panel, running on the
//! embedded procedural server, so it works offline with no GPU box.
//!
//! Type a prompt, pick frames and a palette, press Generate; follow the job in the queue; the
//! sheet shows in the gallery with an animated preview; Apply swaps it onto the selected sprite
//! (image and layout together) while the game runs; Save writes `assets/generated/NAME.png`,
//! `NAME.atlas.ron` and `NAME.sprite.ron`. F2 shows and hides the panel.
//!
//! Run with:
//! ```sh
//! cargo run --release --example editor
//! ```
//! For a check without a person (CI runs it under Xvfb): types a prompt, presses Generate, waits
//! for the sheet, applies it, saves a window screenshot to OUT.png and exits 0 (non-zero on any
//! failure):
//! ```sh
//! cargo run --release --example editor -- --autotest OUT.png
//! ```
//! With `--remote [ADDR]` the game serves Bevy's remote protocol with the plugin's methods on
//! loopback (default 127.0.0.1:15702), for an assistant's MCP game tools
//! (`dgx-pixels mcp --stdio --game http://ADDR`): list, spawn and change sprites, screenshots.

mod autotest;

use bevy::prelude::*;
use bevy::window::WindowResolution;
use bevy_dgx_pixels::prelude::*;

/// Name of the scene's sprite that the panel applies to first.
const HERO: &str = "hero";

fn main() -> AppExit {
    let autotest = autotest::Autotest::from_args();
    let remote = match remote_from_args() {
        Ok(remote) => remote,
        Err(why) => {
            eprintln!("editor: {why}");
            return AppExit::error();
        }
    };
    let mut app = App::new();
    app.add_plugins(DefaultPlugins.set(WindowPlugin {
        primary_window: Some(Window {
            title: "dgx-pixels editor".into(),
            resolution: WindowResolution::new(1100, 640),
            ..default()
        }),
        ..default()
    }))
    .add_plugins(DgxPixelsPlugin { server: PixelsServer::Embedded, remote, ..default() })
    .insert_resource(ClearColor(Color::srgb(0.36, 0.55, 0.78)))
    .add_systems(Startup, spawn_scene);
    if let Some(autotest) = autotest {
        autotest.install(&mut app);
    }
    app.run()
}

/// A camera, a strip of ground with a hint on it, and the hero: the shipped knight sheet, walking.
fn spawn_scene(mut commands: Commands, assets: Res<AssetServer>) {
    commands.spawn(Camera2d);
    commands.spawn((
        Sprite::from_color(Color::srgb(0.33, 0.6, 0.25), Vec2::new(2000.0, 200.0)),
        Transform::from_xyz(0.0, -200.0, -1.0),
    ));
    commands.spawn((
        Name::new(HERO),
        PixelsSprite(assets.load("generated/knight.sprite.ron")),
        PixelsAnimation { tag: Some("walk".into()), ..default() },
        // The sheet's pivot is at the feet: they stand on the top edge of the ground strip.
        Transform::from_xyz(250.0, -100.0, 0.0).with_scale(Vec3::splat(8.0)),
    ));
    // World-space text on the ground (no bevy_ui: the examples build without it, see Cargo.toml).
    commands.spawn((Text2d::new("F2: panel"), Transform::from_xyz(0.0, -260.0, 1.0)));
}

/// `--remote [ADDR]`: BRP on `ADDR` (loopback only), default BRP's own 127.0.0.1:15702.
fn remote_from_args() -> Result<Option<RemoteAccess>, String> {
    let args: Vec<String> = std::env::args().collect();
    let Some(at) = args.iter().position(|arg| arg == "--remote") else { return Ok(None) };
    match args.get(at + 1).filter(|value| !value.starts_with("--")) {
        None => Ok(Some(RemoteAccess::default())),
        Some(address) => {
            let address = address.parse().map_err(|err| format!("--remote {address}: {err}"))?;
            RemoteAccess::new(address).map(Some).map_err(|err| err.to_string())
        }
    }
}
