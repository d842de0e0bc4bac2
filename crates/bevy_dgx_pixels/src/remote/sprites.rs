//! `dgx_pixels/list_sprites`, `dgx_pixels/spawn_sprite` and `dgx_pixels/apply_to_entity`: the
//! game's sprites as an assistant sees them, and the two ways it puts a generated sheet in.
//!
//! Entities are named by id (`Entity::to_bits`, as BRP's own methods write them) or by `Name`; a
//! name must fit exactly one entity, since guessing between two would change the wrong one.

use bevy_asset::AssetServer;
use bevy_ecs::prelude::*;
use bevy_ecs::system::In;
use bevy_math::Vec3;
use bevy_remote::{BrpError, BrpResult, error_codes};
use bevy_sprite::Sprite;
use bevy_transform::components::{GlobalTransform, Transform};
use dgx_pixels_protocol::remote::{
    ApplyToEntity, EntityRef, SpawnSprite, Spawned, SpriteEntry, SpriteList, check_position, sheet_asset_path,
};
use serde_json::Value;

use super::{answer, invalid_field, params};
use crate::PixelsSprite;

/// Every entity, with what naming and placing it needs.
type Entities<'w, 's> = Query<'w, 's, (Entity, Option<&'static Name>, Option<&'static GlobalTransform>)>;

/// Every sprite, with what listing it needs.
type Sprites<'w, 's> = Query<
    'w,
    's,
    (Entity, Option<&'static Name>, &'static GlobalTransform, &'static Sprite, Option<&'static PixelsSprite>),
>;

/// How far in front of the topmost sprite a spawned one is drawn.
const SPAWN_Z_STEP: f32 = 1.0;

pub(super) fn list_sprites(In(_): In<Option<Value>>, sprites: Sprites) -> BrpResult {
    let sprites = sprites
        .iter()
        .map(|(entity, name, transform, sprite, pixels)| SpriteEntry {
            entity: entity.to_bits(),
            name: name.map(|name| name.as_str().to_owned()),
            position: transform.translation().to_array(),
            image: sprite.image.path().map(ToString::to_string),
            sheet: pixels.and_then(|pixels| pixels.0.path()).map(ToString::to_string),
        })
        .collect();
    answer(&SpriteList { sprites })
}

/// Spawns a [`PixelsSprite`] at `position` (relative to `near`, if given), in front of every
/// sprite so that it shows.
pub(super) fn spawn_sprite(
    In(raw): In<Option<Value>>,
    mut commands: Commands,
    assets: Res<AssetServer>,
    entities: Entities,
    sprites: Query<&GlobalTransform, With<Sprite>>,
) -> BrpResult {
    let SpawnSprite { path, position, near, name } = params(raw)?;
    let path = sheet_asset_path("path", &path).map_err(invalid_field)?;
    check_position("position", position).map_err(invalid_field)?;
    let origin = match &near {
        Some(near) => {
            let (entity, _, transform) = find(&entities, near)?;
            let transform = transform.ok_or_else(|| not_placed(entity, near))?;
            transform.translation().truncate()
        }
        None => Default::default(),
    };
    let top = sprites
        .iter()
        .map(|transform| transform.translation().z)
        .fold(None, |top: Option<f32>, z| Some(top.map_or(z, |top| top.max(z))));
    let translation =
        Vec3::new(origin.x + position[0], origin.y + position[1], top.map_or(0.0, |top| top + SPAWN_Z_STEP));
    let mut spawned =
        commands.spawn((PixelsSprite(assets.load(path.clone())), Transform::from_translation(translation)));
    if let Some(name) = name {
        spawned.insert(Name::new(name));
    }
    answer(&Spawned { entity: spawned.id().to_bits(), position: translation.to_array(), path })
}

/// Makes an existing entity show another sheet; it keeps its place.
pub(super) fn apply_to_entity(
    In(raw): In<Option<Value>>,
    mut commands: Commands,
    assets: Res<AssetServer>,
    entities: Entities,
) -> BrpResult {
    let ApplyToEntity { entity, path } = params(raw)?;
    let path = sheet_asset_path("path", &path).map_err(invalid_field)?;
    let (found, _, transform) = find(&entities, &entity)?;
    commands.entity(found).insert(PixelsSprite(assets.load(path.clone())));
    let position = transform.map(|transform| transform.translation().to_array()).unwrap_or_default();
    answer(&Spawned { entity: found.to_bits(), position, path })
}

/// The one entity `reference` names.
fn find<'a>(
    entities: &'a Entities,
    reference: &EntityRef,
) -> Result<(Entity, Option<&'a Name>, Option<&'a GlobalTransform>), BrpError> {
    match reference {
        EntityRef::Id(bits) => Entity::try_from_bits(*bits)
            .and_then(|entity| entities.get(entity).ok())
            .ok_or_else(|| not_found(reference)),
        EntityRef::Name(wanted) => {
            let mut named = entities.iter().filter(|(_, name, _)| name.is_some_and(|name| name.as_str() == wanted));
            let first = named.next().ok_or_else(|| not_found(reference))?;
            let others: Vec<String> = named.map(|(entity, _, _)| entity.to_bits().to_string()).collect();
            if others.is_empty() {
                Ok(first)
            } else {
                Err(BrpError {
                    code: error_codes::INVALID_PARAMS,
                    message: format!(
                        "{} entities are named `{wanted}` ({}, {}): pass the entity's id instead",
                        others.len() + 1,
                        first.0.to_bits(),
                        others.join(", ")
                    ),
                    data: None,
                })
            }
        }
    }
}

fn not_found(reference: &EntityRef) -> BrpError {
    BrpError {
        code: error_codes::ENTITY_NOT_FOUND,
        message: format!("there is no {reference} in the game (list_sprites shows the sprites)"),
        data: None,
    }
}

fn not_placed(entity: Entity, reference: &EntityRef) -> BrpError {
    BrpError {
        code: error_codes::COMPONENT_NOT_PRESENT,
        message: format!("{reference} ({}) has no Transform, so nothing can be placed near it", entity.to_bits()),
        data: None,
    }
}
