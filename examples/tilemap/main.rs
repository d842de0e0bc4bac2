//! A map painted from a generated autotile set in Bevy's own `TilemapChunk`: a lake in grass,
//! from `assets/lake.pixels.ron` (a `wang16` tileset: 16 tiles picked by which corners are
//! water). The map is a grid of corners, water inside an ellipse; `wang16_tile_data` turns it
//! into the chunk's tiles by the set's `.sprite.ron`, and Bevy draws them from the set's PNG
//! loaded as an array texture. Runs offline: the set's files sit beside its request, and the
//! embedded procedural server draws them again if the request is edited.
//!
//! Run with:
//! ```sh
//! cargo run --release --example tilemap
//! ```
//! For a check without a person (CI runs it under Xvfb): screenshots the window to OUT.png and
//! checks that grass, water and the shore show where the map puts them; exits 0 when they do:
//! ```sh
//! cargo run --release --example tilemap -- --autotest OUT.png
//! ```

mod autotest;

use bevy::prelude::*;
use bevy::sprite_render::TilemapChunk;
use bevy::window::WindowResolution;
use bevy_dgx_pixels::prelude::*;
use bevy_dgx_pixels::tilemap::{tileset_array, wang16_tile_data};

/// Tiles across and down.
pub const MAP: UVec2 = UVec2::new(12, 8);
/// Screen pixels per tile.
pub const TILE_PX: u32 = 64;
/// Window size, logical pixels: the map, exactly.
const WINDOW: (u32, u32) = (MAP.x * TILE_PX, MAP.y * TILE_PX);

/// The tileset's image (an array texture) and metadata (its tiles' bits), and its request,
/// kept loaded so that editing it regenerates the files, which then reload.
#[derive(Resource)]
pub struct Lake {
    image: Handle<Image>,
    meta: Handle<SpriteMetadata>,
    _request: Handle<GeneratedSprite>,
}

fn main() -> AppExit {
    let autotest = autotest::Autotest::from_args();
    let mut app = App::new();
    app.add_plugins(DefaultPlugins.set(ImagePlugin::default_nearest()).set(WindowPlugin {
        primary_window: Some(Window {
            title: "dgx-pixels: tilemap".into(),
            resolution: WindowResolution::new(WINDOW.0, WINDOW.1),
            ..default()
        }),
        ..default()
    }))
    .add_plugins(DgxPixelsPlugin { server: PixelsServer::Embedded, panel: false, ..default() })
    .add_systems(Startup, load_lake)
    .add_systems(Update, paint_map);
    if let Some(autotest) = autotest {
        autotest.install(&mut app);
    }
    app.run()
}

fn load_lake(mut commands: Commands, assets: Res<AssetServer>) {
    commands.spawn(Camera2d);
    commands.insert_resource(Lake {
        image: assets.load_builder().with_settings(tileset_array(16)).load("lake.png"),
        meta: assets.load("lake.sprite.ron"),
        _request: assets.load("lake.pixels.ron"),
    });
}

/// Whether corner `(x, y)` of the map (from the top left) is water: inside an ellipse.
pub fn water_at(x: u32, y: u32) -> bool {
    let (dx, dy) = ((x as f32 - MAP.x as f32 / 2.0) / 4.2, (y as f32 - MAP.y as f32 / 2.0) / 2.6);
    dx * dx + dy * dy <= 1.0
}

/// The map's corners, row by row from the top: water or not.
pub fn corners() -> Vec<bool> {
    (0..=MAP.y).flat_map(|y| (0..=MAP.x).map(move |x| water_at(x, y))).collect()
}

/// Spawns the chunk once the set's metadata is in.
fn paint_map(mut commands: Commands, lake: Res<Lake>, metas: Res<Assets<SpriteMetadata>>, mut done: Local<bool>) {
    let Some(set) = metas.get(&lake.meta).and_then(|meta| meta.tileset.clone()) else { return };
    if *done {
        return;
    }
    commands.spawn((
        TilemapChunk {
            chunk_size: MAP,
            tile_display_size: UVec2::splat(TILE_PX),
            tileset: lake.image.clone(),
            ..default()
        },
        wang16_tile_data(&corners(), MAP, &set),
    ));
    *done = true;
}
