//! Drawing a [`GeneratedSprite`] on an entity.

use bevy_asset::{Assets, Handle};
use bevy_ecs::prelude::*;
use bevy_image::TextureAtlas;
use bevy_sprite::Sprite;

use crate::{GeneratedSprite, PixelsAnimation};

/// Shows a [`GeneratedSprite`] on this entity's `Sprite` (image and atlas layout) and plays it
/// with [`PixelsAnimation`]. The handles stay the same across hot reloads, so a reloaded sheet
/// shows with no further work; replacing the handle (the panel's Apply does) swaps the sprite.
#[derive(Component, Clone, Debug, Default)]
#[require(Sprite, PixelsAnimation)]
pub struct PixelsSprite(pub Handle<GeneratedSprite>);

/// Points each [`PixelsSprite`]'s `Sprite` at its sheet once the sheet is loaded or replaced:
/// image and layout in one write, so no frame shows one without the other.
pub fn attach_generated_sprites(
    sprites: Res<Assets<GeneratedSprite>>,
    mut entities: Query<(&PixelsSprite, &mut Sprite, &mut PixelsAnimation)>,
) {
    for (pixels, mut sprite, mut animation) in &mut entities {
        let Some(generated) = sprites.get(&pixels.0) else { continue };
        let attached = sprite.image == generated.image
            && sprite.texture_atlas.as_ref().is_some_and(|atlas| atlas.layout == generated.layout);
        if attached {
            continue;
        }
        sprite.image = generated.image.clone();
        sprite.texture_atlas = Some(TextureAtlas { layout: generated.layout.clone(), index: 0 });
        animation.meta = generated.meta.clone();
        animation.elapsed_ms = 0;
    }
}
