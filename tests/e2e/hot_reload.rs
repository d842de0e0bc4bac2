//! Hot reload of png + atlas pairs written by anything (panel, loader, CLI, another machine).

use std::time::{Duration, Instant};

use bevy::prelude::*;
use bevy_dgx_pixels::prelude::*;
use dgx_pixels_protocol::{AtlasLayout, SpriteMeta, SpriteSize};

use super::util::{Project, headless_app, no_server, run_until, sprite_shape};

/// Frame numbers at which the sprite's image and layout were last modified.
#[derive(Resource, Default)]
struct Modified {
    frame: u32,
    image: Option<u32>,
    layout: Option<u32>,
}

fn record_modified(
    mut modified: ResMut<Modified>,
    mut images: MessageReader<AssetEvent<Image>>,
    mut layouts: MessageReader<AssetEvent<TextureAtlasLayout>>,
) {
    modified.frame += 1;
    let frame = modified.frame;
    if images.read().any(|e| matches!(e, AssetEvent::Modified { .. })) {
        modified.image = Some(frame);
    }
    if layouts.read().any(|e| matches!(e, AssetEvent::Modified { .. })) {
        modified.layout = Some(frame);
    }
}

/// Overwriting a sheet's files (atomically, PNG last, as every writer of ours does) reaches the
/// game as `AssetEvent::Modified` with the new layout within 1 s, and the image and the layout
/// change in the same frame.
#[test]
fn overwritten_pair_reloads_within_a_second_in_one_frame() {
    let project = Project::new();
    project.add_knight();
    let mut app = headless_app(&project, no_server());
    app.init_resource::<Modified>().add_systems(Last, record_modified);
    let handle: Handle<GeneratedSprite> = app.world().resource::<AssetServer>().load("knight.sprite.ron");
    assert!(run_until(&mut app, Duration::from_secs(10), |app| sprite_shape(app, &handle).is_some()));
    assert_eq!(sprite_shape(&app, &handle), Some((UVec2::new(96, 16), 6)));
    // Let the watcher settle after the initial load.
    run_until(&mut app, Duration::from_millis(500), |_| false);

    let start = Instant::now();
    write_knight(&project, 2, [10, 200, 30, 255]);
    let reloaded =
        run_until(&mut app, Duration::from_secs(1), |app| sprite_shape(app, &handle).is_some_and(|(_, n)| n == 2));
    let elapsed = start.elapsed();
    assert!(reloaded, "new layout within 1 s (after {elapsed:?}): {:?}", sprite_shape(&app, &handle));
    assert_eq!(sprite_shape(&app, &handle), Some((UVec2::new(32, 16), 2)));
    let modified = app.world().resource::<Modified>();
    assert!(modified.layout.is_some(), "AssetEvent::Modified for the layout");
    assert_eq!(modified.image, modified.layout, "image and layout change in the same frame");
}

/// Rewrites `knight.*` in `project` as a `frames`-frame sheet of one colour, the way every writer
/// of ours does: each file atomically, the PNG last.
fn write_knight(project: &Project, frames: u32, colour: [u8; 4]) {
    let assets = project.assets();
    let layout = AtlasLayout::grid(SpriteSize::new(16, 16), frames, frames, 0, 0);
    let image = image::RgbaImage::from_pixel(16 * frames, 16, image::Rgba(colour));
    let mut meta = SpriteMeta::from_ron(&std::fs::read_to_string(assets.join("knight.sprite.ron")).unwrap()).unwrap();
    meta.frames = frames;
    meta.columns = frames;
    meta.frame_durations_ms = vec![100; frames as usize];
    meta.tags.clear();
    let sheet = dgx_pixels_sprite::atlas::Sheet { image, layout };
    dgx_pixels_sprite::write::write_sprite_files(&assets, "knight", &sheet, &meta).unwrap();
}

/// Benchmark, run by `scripts/bench_plugin.sh`: time from the end of a rewrite of a sheet's
/// files to the update in which the app holds the new layout, over 20 rewrites. Prints p50,
/// p95 and max.
#[test]
#[ignore = "benchmark; run by scripts/bench_plugin.sh"]
fn bench_file_change_to_reload() {
    let project = Project::new();
    project.add_knight();
    let mut app = headless_app(&project, no_server());
    let handle: Handle<GeneratedSprite> = app.world().resource::<AssetServer>().load("knight.sprite.ron");
    assert!(run_until(&mut app, Duration::from_secs(10), |app| sprite_shape(app, &handle).is_some()));
    let mut times = Vec::new();
    for round in 0..20u32 {
        run_until(&mut app, Duration::from_millis(400), |_| false);
        let frames = 2 + round % 3;
        write_knight(&project, frames, [round as u8 * 10, 100, 50, 255]);
        let start = Instant::now();
        let seen = run_until(&mut app, Duration::from_secs(3), |app| {
            sprite_shape(app, &handle).is_some_and(|(size, n)| n == frames as usize && size.x == 16 * frames)
        });
        assert!(seen, "round {round}: reload not seen");
        times.push(start.elapsed());
    }
    times.sort();
    println!(
        "file change to reload: p50 {:?}, p95 {:?}, max {:?} over {} rewrites",
        times[10],
        times[18],
        times[19],
        times.len()
    );
}
