//! Characters that turn: an 8-direction sheet generated through the loader, steered with
//! `PixelsFacing`; and files written before directions existed still load as they did.

use std::path::Path;
use std::time::Duration;

use bevy::prelude::*;
use bevy::sprite::Anchor;
use bevy_dgx_pixels::prelude::*;

use super::util::{Project, TestServer, headless_app, no_server, run_until, sprite_shape};

const LOAD_TIMEOUT: Duration = Duration::from_secs(30);

/// The atlas index the character shows, its tag and facing.
fn shown(app: &mut App, entity: Entity) -> (usize, Option<String>, Facing) {
    let world = app.world();
    let index = world.get::<Sprite>(entity).and_then(|s| s.texture_atlas.as_ref()).map_or(usize::MAX, |a| a.index);
    let tag = world.get::<PixelsAnimation>(entity).and_then(|a| a.tag.clone());
    (index, tag, world.get::<PixelsFacing>(entity).unwrap().facing)
}

/// Steers `entity` along `heading`, updates once and returns what it shows.
fn steer(app: &mut App, entity: Entity, heading: Vec2) -> (usize, Option<String>, Facing) {
    app.world_mut().get_mut::<PixelsFacing>(entity).unwrap().steer(heading);
    app.update();
    shown(app, entity)
}

/// A generated 8-direction walk: the character plays the row nearest its heading, keeps the
/// frame phase when it turns, keeps its facing while it stands, and stands on its feet.
#[test]
fn a_steered_character_plays_the_row_it_faces() {
    let server = TestServer::start();
    let project = Project::new();
    project.write(
        "walker.pixels.ron",
        "(prompt: \"knight, walk\", frames: 4, directions: 8, sprite: (width: 16, height: 16), seed: 7)",
    );
    let mut app = headless_app(&project, server.setting());
    let handle: Handle<GeneratedSprite> = app.world().resource::<AssetServer>().load("walker.pixels.ron");
    let entity = app.world_mut().spawn((PixelsSprite(handle.clone()), PixelsFacing::new("walk"))).id();
    assert!(run_until(&mut app, LOAD_TIMEOUT, |app| shown(app, entity).1.is_some()), "sheet loads and plays");
    assert_eq!(sprite_shape(&app, &handle), Some((UVec2::new(64, 128), 32)));
    let (index, tag, facing) = shown(&mut app, entity);
    assert_eq!((tag.as_deref(), facing), (Some("walk_s"), Facing::S), "faces south before it is steered");
    assert!(index < 4, "row 0 plays: {index}");

    // Rows: s, sw, w, nw, n, ne, e, se; four frames each.
    for (heading, facing, row) in [
        (Vec2::new(-1.0, 0.0), Facing::W, 2),
        (Vec2::new(3.0, 2.9), Facing::Ne, 5),
        (Vec2::new(0.2, -1.0), Facing::S, 0),
        (Vec2::new(1.0, -1.0), Facing::Se, 7),
    ] {
        let elapsed = app.world().get::<PixelsAnimation>(entity).unwrap().elapsed_ms;
        let (index, tag, shown_facing) = steer(&mut app, entity, heading);
        assert_eq!((shown_facing, tag), (facing, Some(facing.tag("walk"))), "heading {heading}");
        assert_eq!(index / 4, row, "heading {heading} shows row {}", index / 4);
        let now = app.world().get::<PixelsAnimation>(entity).unwrap().elapsed_ms;
        assert!(now >= elapsed, "turning does not restart the animation ({elapsed} -> {now} ms)");
        let phase = (now % 400 / 100) as usize;
        assert_eq!(index % 4, phase, "the frame phase carries over to the new row");
    }
    let standing = steer(&mut app, entity, Vec2::ZERO);
    assert_eq!((standing.1.as_deref(), standing.2), (Some("walk_se"), Facing::Se), "standing keeps the facing");

    let meta = app
        .world()
        .resource::<Assets<SpriteMetadata>>()
        .get(&app.world().get::<PixelsAnimation>(entity).unwrap().meta)
        .unwrap()
        .clone();
    let anchor = *app.world().get::<Anchor>(entity).unwrap();
    assert_eq!(anchor, bevy_dgx_pixels::anchor_of(meta.pivot));
    assert!(anchor.0.y < -0.3, "anchored at the feet, near the bottom: {anchor:?}");
}

/// The example request and sheets committed before directions existed: the request still
/// matches its cached files (they load with no server), and a `PixelsFacing` on a sheet with
/// no facing rows leaves its animation alone.
#[test]
fn files_from_before_directions_load_as_before() {
    let project = Project::new();
    project.add_knight();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
    for file in ["hero.pixels.ron", "hero.png", "hero.atlas.ron", "hero.sprite.ron"] {
        std::fs::copy(shipped.join(file), project.assets().join(file)).unwrap();
    }
    let mut app = headless_app(&project, no_server());
    let hero: Handle<GeneratedSprite> = app.world().resource::<AssetServer>().load("hero.pixels.ron");
    let knight: Handle<GeneratedSprite> = app.world().resource::<AssetServer>().load("knight.sprite.ron");
    let entity = app
        .world_mut()
        .spawn((
            PixelsSprite(knight.clone()),
            PixelsAnimation { tag: Some("walk".into()), ..default() },
            PixelsFacing::new("walk"),
        ))
        .id();
    let loaded = run_until(&mut app, LOAD_TIMEOUT, |app| {
        sprite_shape(app, &hero).is_some() && sprite_shape(app, &knight).is_some() && shown(app, entity).0 < 6
    });
    assert!(loaded, "both load from their files with no server");
    assert_eq!(sprite_shape(&app, &hero), Some((UVec2::new(96, 24), 4)));
    steer(&mut app, entity, Vec2::new(-1.0, 0.0));
    let (index, tag, _) = shown(&mut app, entity);
    assert_eq!(tag.as_deref(), Some("walk"), "no facing rows: the tag is left as the game set it");
    assert!((2..=5).contains(&index), "the walk frames play: {index}");
    let pivot_anchor = bevy_dgx_pixels::anchor_of((0.5, 1.0));
    assert_eq!(*app.world().get::<Anchor>(entity).unwrap(), pivot_anchor, "the knight's pivot is its feet");
}
