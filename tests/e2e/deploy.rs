//! `deploy_to_bevy` into a running game: the MCP tool's writes are hot-reloaded by the plugin.

use std::path::Path;
use std::time::Duration;

use bevy::prelude::*;
use bevy_dgx_pixels::prelude::*;
use dgx_pixels_protocol::{AtlasLayout, SpriteMeta, SpriteSize};
use dgx_pixels_server::deploy::{AllowedRoots, DeployTarget, deploy};
use dgx_pixels_sprite::write::{FileContents, encode_png};

use super::util::{Project, headless_app, no_server, run_until, sprite_shape};

/// Deploys a `frames`-frame sheet as `heroes/knight` into `project`, as the MCP tool
/// `deploy_to_bevy` does (same function, same checks).
fn deploy_knight(project: &Project, roots: &AllowedRoots, frames: u32, overwrite: bool) {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/generated/knight.sprite.ron");
    let mut meta = SpriteMeta::from_ron(&std::fs::read_to_string(shipped).unwrap()).unwrap();
    meta.frames = frames;
    meta.columns = frames;
    meta.frame_durations_ms = vec![100; frames as usize];
    meta.tags.clear();
    let layout = AtlasLayout::grid(SpriteSize::new(16, 16), frames, frames, 0, 0);
    let png = encode_png(&image::RgbaImage::from_pixel(16 * frames, 16, image::Rgba([200, 40, 40, 255]))).unwrap();
    let contents = FileContents { png: &png, atlas: &layout.to_ron(), sprite: &meta.to_ron() };
    let game = project.assets().parent().unwrap().to_str().unwrap().to_owned();
    let target = DeployTarget { bevy_project: &game, category: "heroes", name: "knight", overwrite };
    deploy(roots, &target, &contents).unwrap();
}

/// A sprite deployed into a running game's `assets/<category>/` shows up, and deploying over
/// it (`overwrite: true`) swaps it live within a second, with no restart.
#[test]
fn deployed_sprite_hot_reloads_in_a_running_game() {
    let project = Project::new();
    let game = project.assets().parent().unwrap().to_path_buf();
    std::fs::write(game.join("Cargo.toml"), "[package]\nname = \"game\"\n").unwrap();
    let roots = AllowedRoots::new(std::slice::from_ref(&game)).unwrap();
    deploy_knight(&project, &roots, 3, false);

    let mut app = headless_app(&project, no_server());
    let handle: Handle<GeneratedSprite> = app.world().resource::<AssetServer>().load("heroes/knight.sprite.ron");
    assert!(run_until(&mut app, Duration::from_secs(10), |app| sprite_shape(app, &handle).is_some()));
    assert_eq!(sprite_shape(&app, &handle), Some((UVec2::new(48, 16), 3)));
    // Let the watcher settle after the initial load.
    run_until(&mut app, Duration::from_millis(500), |_| false);

    deploy_knight(&project, &roots, 5, true);
    let reloaded =
        run_until(&mut app, Duration::from_secs(1), |app| sprite_shape(app, &handle).is_some_and(|(_, n)| n == 5));
    assert!(reloaded, "deployed sheet within 1 s: {:?}", sprite_shape(&app, &handle));
    assert_eq!(sprite_shape(&app, &handle), Some((UVec2::new(80, 16), 5)));
}
