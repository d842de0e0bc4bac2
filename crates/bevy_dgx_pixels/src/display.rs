//! Drawing a [`GeneratedSprite`] on an entity.

use bevy_asset::{Assets, Handle};
use bevy_ecs::prelude::*;
use bevy_image::TextureAtlas;
use bevy_math::Vec2;
use bevy_sprite::{Anchor, Sprite};

use crate::{GeneratedSprite, PixelsAnimation, SpriteMetadata};

/// Shows a [`GeneratedSprite`] on this entity's `Sprite` (image and atlas layout), anchored at
/// the pivot its `.sprite.ron` gives (a sheet of facings: the feet), and plays it with
/// [`PixelsAnimation`]. The handles stay the same across hot reloads, so a reloaded sheet
/// shows with no further work; replacing the handle (the panel's Apply does) swaps the sprite.
#[derive(Component, Clone, Debug, Default)]
#[require(Sprite, PixelsAnimation)]
pub struct PixelsSprite(pub Handle<GeneratedSprite>);

/// Bevy's `Anchor` for a `.sprite.ron` pivot (fractions of the frame from its top-left corner,
/// y down; Bevy's anchor is from the centre, y up).
pub fn anchor_of(pivot: (f32, f32)) -> Anchor {
    Anchor(Vec2::new(pivot.0 - 0.5, 0.5 - pivot.1))
}

/// Points each [`PixelsSprite`]'s `Sprite` at its sheet once the sheet is loaded or replaced:
/// image, layout and anchor in one write, so no frame shows one without the other.
pub fn attach_generated_sprites(
    sprites: Res<Assets<GeneratedSprite>>,
    metas: Res<Assets<SpriteMetadata>>,
    mut entities: Query<(&PixelsSprite, &mut Sprite, &mut Anchor, &mut PixelsAnimation)>,
) {
    for (pixels, mut sprite, mut anchor, mut animation) in &mut entities {
        let Some(generated) = sprites.get(&pixels.0) else { continue };
        let attached = sprite.image == generated.image
            && sprite.texture_atlas.as_ref().is_some_and(|atlas| atlas.layout == generated.layout);
        if attached {
            continue;
        }
        sprite.image = generated.image.clone();
        sprite.texture_atlas = Some(TextureAtlas { layout: generated.layout.clone(), index: 0 });
        if let Some(meta) = metas.get(&generated.meta) {
            *anchor = anchor_of(meta.pivot);
        }
        animation.meta = generated.meta.clone();
        animation.elapsed_ms = 0;
    }
}
