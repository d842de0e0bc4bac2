//! Playing a generated sheet by the tags and frame durations of its `.sprite.ron`.

use bevy_asset::{Assets, Handle};
use bevy_ecs::prelude::*;
use bevy_sprite::Sprite;
use bevy_time::Time;
use dgx_pixels_protocol::{AnimationDirection, SpriteMeta};

use crate::SpriteMetadata;

/// Frame duration used for frames whose `.sprite.ron` says 0 ms, so a sheet always advances.
pub const FALLBACK_FRAME_MS: u32 = 100;

/// Plays a sheet on this entity's `Sprite` atlas index, by the timing of its
/// [`SpriteMetadata`]. [`PixelsSprite`](crate::PixelsSprite) fills in `meta`; set `tag` to play
/// one named animation (e.g. `"walk"`) instead of all frames.
#[derive(Component, Clone, Debug, Default)]
pub struct PixelsAnimation {
    /// The timing and tags to play.
    pub meta: Handle<SpriteMetadata>,
    /// Tag to play; all frames in order when `None` or when the sheet has no such tag.
    pub tag: Option<String>,
    /// Stops the clock while `true`.
    pub paused: bool,
    /// Time played so far, in milliseconds.
    pub elapsed_ms: u64,
}

impl PixelsAnimation {
    /// Plays tag `name` from its start.
    pub fn play(&mut self, name: impl Into<String>) {
        self.tag = Some(name.into());
        self.elapsed_ms = 0;
    }
}

/// The frame indices one loop of `tag` shows, in order: `first..=last` forward, reversed, or
/// there and back without repeating the ends. All frames when `tag` is `None` or unknown.
pub fn frame_sequence(meta: &SpriteMeta, tag: Option<&str>) -> Vec<u32> {
    let found = tag.and_then(|name| meta.tags.iter().find(|t| t.name == name));
    let Some(tag) = found else {
        return (0..meta.frames).collect();
    };
    let forward: Vec<u32> = (tag.first..=tag.last).collect();
    match tag.direction {
        AnimationDirection::Forward => forward,
        AnimationDirection::Reverse => forward.into_iter().rev().collect(),
        AnimationDirection::PingPong => {
            let back = forward.iter().rev().skip(1).take(forward.len().saturating_sub(2)).copied();
            forward.iter().copied().chain(back).collect()
        }
    }
}

/// The frame shown `elapsed_ms` into a looping play of `tag`.
pub fn frame_at(meta: &SpriteMeta, tag: Option<&str>, elapsed_ms: u64) -> u32 {
    let sequence = frame_sequence(meta, tag);
    let duration = |frame: u32| {
        let ms = meta.frame_durations_ms.get(frame as usize).copied().unwrap_or(0);
        u64::from(if ms == 0 { FALLBACK_FRAME_MS } else { ms })
    };
    let total: u64 = sequence.iter().map(|frame| duration(*frame)).sum();
    if total == 0 {
        return 0;
    }
    let mut left = elapsed_ms % total;
    for frame in &sequence {
        if left < duration(*frame) {
            return *frame;
        }
        left -= duration(*frame);
    }
    sequence.last().copied().unwrap_or(0)
}

/// Advances every [`PixelsAnimation`] by the frame time and shows the frame due now.
pub fn advance_animations(
    time: Res<Time>,
    metas: Res<Assets<SpriteMetadata>>,
    mut animations: Query<(&mut PixelsAnimation, &mut Sprite)>,
) {
    let step = time.delta().as_millis() as u64;
    for (mut animation, mut sprite) in &mut animations {
        let Some(meta) = metas.get(&animation.meta) else { continue };
        if !animation.paused {
            animation.elapsed_ms += step;
        }
        let frame = frame_at(meta, animation.tag.as_deref(), animation.elapsed_ms) as usize;
        // Read first: writing through `Mut` would mark the sprite changed every frame.
        let stale = sprite.texture_atlas.as_ref().is_some_and(|atlas| atlas.index != frame);
        if stale && let Some(atlas) = sprite.texture_atlas.as_mut() {
            atlas.index = frame;
        }
    }
}

#[cfg(test)]
mod tests {
    use dgx_pixels_protocol::{AnimationTag, SpriteSize};

    use super::*;

    fn meta(durations: Vec<u32>, tags: Vec<AnimationTag>) -> SpriteMeta {
        let frames = durations.len() as u32;
        SpriteMeta {
            frame_durations_ms: durations,
            tags,
            ..SpriteMeta::grid("t", SpriteSize::new(8, 8), frames, frames, 0)
        }
    }

    fn tag(name: &str, first: u32, last: u32, direction: AnimationDirection) -> AnimationTag {
        AnimationTag { name: name.into(), first, last, direction }
    }

    #[test]
    fn sequences_follow_the_tag_direction() {
        let meta = meta(
            vec![100; 6],
            vec![tag("walk", 1, 4, AnimationDirection::PingPong), tag("back", 0, 2, AnimationDirection::Reverse)],
        );
        assert_eq!(frame_sequence(&meta, None), vec![0, 1, 2, 3, 4, 5]);
        assert_eq!(frame_sequence(&meta, Some("walk")), vec![1, 2, 3, 4, 3, 2]);
        assert_eq!(frame_sequence(&meta, Some("back")), vec![2, 1, 0]);
        assert_eq!(frame_sequence(&meta, Some("missing")).len(), 6);
    }

    #[test]
    fn frames_last_their_own_durations_and_loop() {
        let meta = meta(vec![100, 300, 0], vec![]);
        let frames: Vec<u32> = [0, 99, 100, 399, 400, 499, 500].iter().map(|ms| frame_at(&meta, None, *ms)).collect();
        assert_eq!(frames, vec![0, 0, 1, 1, 2, 2, 0]);
    }
}
