//! Characters that turn: [`PixelsFacing`] plays the row of a sheet of facings that points the
//! way the game steers the character.
//!
//! A sheet generated with `directions` 4 or 8 tags each row `<animation>_<facing>` (`walk_s`,
//! `walk_sw`, …). The game sets a heading (a direction vector, as it already has for movement);
//! [`turn_to_heading`] picks the nearest facing the sheet has and switches the
//! [`PixelsAnimation`] to that row's tag without restarting its clock, so the step the
//! character is in carries over to the new row. A zero heading (standing still) keeps the
//! facing it had.

use bevy_asset::Assets;
use bevy_ecs::prelude::*;
use bevy_math::Vec2;
pub use dgx_pixels_protocol::Facing;

use crate::{PixelsAnimation, SpriteMetadata};

/// Steers a sheet of facings: set [`PixelsFacing::heading`] (or call
/// [`PixelsFacing::steer`]) and the plugin plays the row of the facing nearest to it.
#[derive(Component, Clone, Debug, PartialEq)]
#[require(PixelsAnimation)]
pub struct PixelsFacing {
    /// The animation whose rows are played: tags `<animation>_<facing>` (`"walk"`).
    pub animation: String,
    /// Which way the character looks, x right and y up (Bevy's world axes); any length. Zero
    /// keeps the facing it has.
    pub heading: Vec2,
    /// The facing shown now: the plugin sets it from `heading` and the facings the sheet has;
    /// the first row's (`s`) until the sheet is loaded.
    pub facing: Facing,
}

impl PixelsFacing {
    /// Plays the rows of `animation`, facing south (towards the viewer) until steered.
    pub fn new(animation: impl Into<String>) -> Self {
        Self { animation: animation.into(), heading: Vec2::ZERO, facing: Facing::S }
    }

    /// Looks along `heading` (x right, y up); a zero vector keeps the current facing.
    pub fn steer(&mut self, heading: Vec2) {
        self.heading = heading;
    }
}

/// The facings a sheet has rows for, for `animation`, in sheet order.
pub fn facings_of(meta: &SpriteMetadata, animation: &str) -> Vec<Facing> {
    meta.tags.iter().filter_map(|tag| Facing::of_tag(&tag.name, animation)).collect()
}

/// Turns every [`PixelsFacing`] to the facing nearest its heading among those its sheet has,
/// and plays that row's tag from the same point of the animation.
pub fn turn_to_heading(
    metas: Res<Assets<SpriteMetadata>>,
    mut characters: Query<(&mut PixelsFacing, &mut PixelsAnimation)>,
) {
    for (mut steering, mut animation) in &mut characters {
        let Some(meta) = metas.get(&animation.meta) else { continue };
        let available = facings_of(meta, &steering.animation);
        let Some(&first) = available.first() else { continue };
        let kept = if available.contains(&steering.facing) { steering.facing } else { first };
        let facing = Facing::nearest(steering.heading.x, steering.heading.y, &available).unwrap_or(kept);
        // Compared before writing: a write through `Mut` marks the component changed.
        if steering.facing != facing {
            steering.facing = facing;
        }
        let tag = facing.tag(&steering.animation);
        if animation.tag.as_deref() != Some(tag.as_str()) {
            // `elapsed_ms` is kept: every row has the same timing, so the frame phase carries over.
            animation.tag = Some(tag);
        }
    }
}
