//! Playing a generated sheet by the tags and frame durations of its `.sprite.ron`.
//!
//! `assets/generated/knight.sprite.ron` tags frames 0–1 `idle` and 2–5 `walk`, with their own
//! durations. Hold ←/→ to walk (the `walk` tag plays, the sprite flips to face the way it goes);
//! let go to stand (`idle`). No server is needed: the sheet is loaded from its files.
//!
//! Run with:
//! ```sh
//! cargo run --release --example animated_sprite
//! ```

use bevy::prelude::*;
use bevy_dgx_pixels::prelude::*;

/// Walking speed in world units per second.
const SPEED: f32 = 160.0;

fn main() {
    App::new()
        .add_plugins(DefaultPlugins)
        .add_plugins(DgxPixelsPlugin { panel: false, ..default() })
        .add_systems(Startup, spawn_knight)
        .add_systems(Update, walk_with_arrow_keys)
        .run();
}

/// The camera and the knight, idle.
fn spawn_knight(mut commands: Commands, assets: Res<AssetServer>) {
    commands.spawn(Camera2d);
    commands.spawn((
        PixelsSprite(assets.load("generated/knight.sprite.ron")),
        PixelsAnimation { tag: Some("idle".into()), ..default() },
        Transform::from_scale(Vec3::splat(8.0)),
    ));
    commands.spawn((Text2d::new("←/→: walk"), Transform::from_xyz(0.0, -200.0, 1.0)));
}

/// Moves the knight and switches between its `walk` and `idle` tags.
fn walk_with_arrow_keys(
    keys: Res<ButtonInput<KeyCode>>,
    time: Res<Time>,
    mut knight: Single<(&mut PixelsAnimation, &mut Sprite, &mut Transform)>,
) {
    let (animation, sprite, transform) = &mut *knight;
    let direction = keys.pressed(KeyCode::ArrowRight) as i8 - keys.pressed(KeyCode::ArrowLeft) as i8;
    let tag = if direction == 0 { "idle" } else { "walk" };
    if animation.tag.as_deref() != Some(tag) {
        animation.play(tag);
    }
    if direction != 0 {
        sprite.flip_x = direction < 0;
        transform.translation.x += f32::from(direction) * SPEED * time.delta_secs();
    }
}
