//! What a hot reload needs beyond the handles: atlas indices that still fit the new layout, and a
//! readable report when a reload or a generation fails.
//!
//! Bevy's file watcher does the watching. A [`GeneratedSprite`] reads its image, atlas and
//! metadata as loader dependencies, so a change to any of them reloads all three as labelled
//! sub-assets in one go: image and layout switch in the same frame.

use bevy_asset::{AssetEvent, AssetLoadFailedEvent, Assets};
use bevy_ecs::prelude::*;
use bevy_image::TextureAtlasLayout;
use bevy_log::{error, info};
use bevy_sprite::Sprite;

use crate::GeneratedSprite;

/// Keeps every atlas index inside its layout after the layout changed (a sheet regenerated with
/// fewer frames), so no sprite points past the last frame.
pub fn clamp_atlas_indices(
    mut events: MessageReader<AssetEvent<TextureAtlasLayout>>,
    layouts: Res<Assets<TextureAtlasLayout>>,
    mut sprites: Query<&mut Sprite>,
) {
    for event in events.read() {
        let AssetEvent::Modified { id } = event else { continue };
        let Some(frames) = layouts.get(*id).map(TextureAtlasLayout::len) else { continue };
        for mut sprite in &mut sprites {
            let stale =
                sprite.texture_atlas.as_ref().is_some_and(|atlas| atlas.layout.id() == *id && atlas.index >= frames);
            if stale && let Some(atlas) = sprite.texture_atlas.as_mut() {
                atlas.index = frames.saturating_sub(1);
            }
        }
    }
}

/// Logs each reloaded sprite, and each failed load with its path and reason (a server that
/// cannot be reached is named there); the game keeps running with the sprite it had.
pub fn report_sprite_reloads(
    mut events: MessageReader<AssetEvent<GeneratedSprite>>,
    mut failures: MessageReader<AssetLoadFailedEvent<GeneratedSprite>>,
) {
    for event in events.read() {
        if let AssetEvent::Modified { id } = event {
            info!(%id, "generated sprite reloaded");
        }
    }
    for failure in failures.read() {
        error!(path = %failure.path, "generated sprite not loaded: {}", failure.error);
    }
}
