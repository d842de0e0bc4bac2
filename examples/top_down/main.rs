//! A top-down character that turns: an 8-direction walk generated from
//! `assets/walker.pixels.ron` (one row per facing, tagged `walk_s` … `walk_se`), steered with
//! the arrow keys (or WASD) through `PixelsFacing`. It plays the row of the way it walks, keeps
//! its step when it turns, and keeps facing that way when it stops. Its feet are its position:
//! the sheet's pivot is at the feet and the plugin anchors the sprite there.
//!
//! Runs offline: the sheet is loaded from the files beside the request, and the embedded
//! procedural server draws it again if the request is edited.
//!
//! Run with:
//! ```sh
//! cargo run --release --example top_down
//! ```
//! For a check without a person (CI runs it under Xvfb): holds ←+↑ until the character faces
//! north-west, lets go, saves a window screenshot to OUT.png and checks that it shows the
//! north-west row, not another; exits 0 when it does:
//! ```sh
//! cargo run --release --example top_down -- --autotest OUT.png
//! ```

mod autotest;

use bevy::prelude::*;
use bevy::window::WindowResolution;
use bevy_dgx_pixels::prelude::*;

/// Walking speed, world units per second.
const SPEED: f32 = 120.0;
/// World units per sprite pixel.
const ZOOM: f32 = 5.0;
/// Window size, logical pixels.
const WINDOW: (u32, u32) = (800, 600);

fn main() -> AppExit {
    let autotest = autotest::Autotest::from_args();
    let mut app = App::new();
    app.add_plugins(DefaultPlugins.set(WindowPlugin {
        primary_window: Some(Window {
            title: "dgx-pixels: top-down".into(),
            resolution: WindowResolution::new(WINDOW.0, WINDOW.1),
            ..default()
        }),
        ..default()
    }))
    .add_plugins(DgxPixelsPlugin { server: PixelsServer::Embedded, panel: false, ..default() })
    .insert_resource(ClearColor(Color::srgb(0.3, 0.52, 0.28)))
    .add_systems(Startup, spawn_scene)
    .add_systems(Update, walk.before(DgxPixelsSystems::Animate));
    if let Some(autotest) = autotest {
        autotest.install(&mut app);
    }
    app.run()
}

/// The walker, its shadow and a hint.
fn spawn_scene(mut commands: Commands, assets: Res<AssetServer>) {
    commands.spawn(Camera2d);
    commands.spawn((
        PixelsSprite(assets.load("walker.pixels.ron")),
        PixelsFacing::new("walk"),
        Transform::from_scale(Vec3::splat(ZOOM)),
    ));
    // World-space text (no bevy_ui: the examples build without it, see Cargo.toml).
    commands.spawn((Text2d::new("arrows / WASD: walk"), Transform::from_xyz(0.0, -260.0, 1.0)));
}

/// The arrow keys (or WASD) steer and move the walker; standing still pauses its walk on the
/// facing it had.
fn walk(
    keys: Res<ButtonInput<KeyCode>>,
    time: Res<Time>,
    mut walker: Single<(&mut PixelsFacing, &mut PixelsAnimation, &mut Transform)>,
) {
    let (facing, animation, transform) = &mut *walker;
    let axis = |plus: [KeyCode; 2], minus: [KeyCode; 2]| {
        f32::from(u8::from(keys.any_pressed(plus))) - f32::from(u8::from(keys.any_pressed(minus)))
    };
    let heading = Vec2::new(
        axis([KeyCode::ArrowRight, KeyCode::KeyD], [KeyCode::ArrowLeft, KeyCode::KeyA]),
        axis([KeyCode::ArrowUp, KeyCode::KeyW], [KeyCode::ArrowDown, KeyCode::KeyS]),
    );
    if facing.heading != heading {
        facing.steer(heading);
    }
    let walking = heading != Vec2::ZERO;
    if animation.paused == walking {
        animation.paused = !walking;
    }
    if walking {
        let bounds = Vec2::new(WINDOW.0 as f32, WINDOW.1 as f32) / 2.0 - 60.0;
        let step = heading.normalize() * SPEED * time.delta_secs();
        transform.translation = (transform.translation.truncate() + step).clamp(-bounds, bounds).extend(0.0);
    }
}
