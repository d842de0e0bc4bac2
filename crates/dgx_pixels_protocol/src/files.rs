//! The files written into a Bevy project beside `NAME.png`: `NAME.atlas.ron`, `NAME.sprite.ron`,
//! and the request file `NAME.pixels.ron`.
//!
//! `.atlas.ron` is exactly Bevy's `TextureAtlasLayout` as serde writes it with RON, so Bevy code
//! can read it with `ron::from_str::<bevy::image::TextureAtlasLayout>` and no dgx-pixels crate.
//! [`AtlasLayout`] mirrors that type field for field (`UVec2` as a `(x, y)` tuple, `URect` as
//! `(min: .., max: ..)`) so that this crate stays free of Bevy.

use serde::{Deserialize, Serialize};

use crate::{GenerateRequest, Palette, SpriteSize, TilesetInfo};

/// Format version written into every `.sprite.ron`.
pub const SPRITE_META_FORMAT: u32 = 1;

/// A `.pixels.ron` request file holds the same fields as the generate body.
pub type PixelsRequest = GenerateRequest;

/// Parses a `.pixels.ron` request. Optional fields are written plainly (`style: "retro"`, not
/// `style: Some("retro")`): RON's `implicit_some` is on, because people write these by hand.
pub fn parse_pixels_request(text: &str) -> Result<PixelsRequest, FileFormatError> {
    let options = ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME);
    Ok(options.from_str(text)?)
}

/// A request as `.pixels.ron` text that [`parse_pixels_request`] reads back.
pub fn pixels_request_to_ron(request: &PixelsRequest) -> String {
    let config = ron::ser::PrettyConfig::new()
        .indentor("    ")
        .new_line("\n")
        .extensions(ron::extensions::Extensions::IMPLICIT_SOME);
    let mut text = ron::ser::to_string_pretty(request, config).expect("requests always serialise");
    text.push('\n');
    text
}

/// Bevy's `TextureAtlasLayout`: the sheet size and one rectangle per frame, in frame order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AtlasLayout {
    /// Sheet width and height in pixels.
    pub size: (u32, u32),
    /// Frame rectangles, in pixels, `max` exclusive.
    pub textures: Vec<AtlasRect>,
}

/// Bevy's `URect`: a pixel rectangle from `min` (inclusive) to `max` (exclusive).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AtlasRect {
    /// Top-left corner.
    pub min: (u32, u32),
    /// Bottom-right corner, exclusive.
    pub max: (u32, u32),
}

impl AtlasRect {
    /// The rectangle of `size` whose top-left corner is `(x, y)`.
    pub fn at(x: u32, y: u32, size: SpriteSize) -> Self {
        Self { min: (x, y), max: (x + size.width, y + size.height) }
    }

    /// Width and height.
    pub fn size(&self) -> SpriteSize {
        SpriteSize::new(self.max.0 - self.min.0, self.max.1 - self.min.1)
    }
}

impl AtlasLayout {
    /// A grid of `frames` cells of `frame` size in `columns` columns, with `spacing` pixels between
    /// cells and `padding` pixels around the whole sheet; frames run left to right, top to bottom.
    pub fn grid(frame: SpriteSize, frames: u32, columns: u32, spacing: u32, padding: u32) -> Self {
        let columns = columns.clamp(1, frames.max(1));
        let rows = frames.div_ceil(columns);
        let span = |cells: u32, side: u32| 2 * padding + cells * side + cells.saturating_sub(1) * spacing;
        let textures = (0..frames)
            .map(|i| {
                let x = padding + (i % columns) * (frame.width + spacing);
                let y = padding + (i / columns) * (frame.height + spacing);
                AtlasRect::at(x, y, frame)
            })
            .collect();
        Self { size: (span(columns, frame.width), span(rows, frame.height)), textures }
    }

    /// The layout as `.atlas.ron` text.
    pub fn to_ron(&self) -> String {
        // One frame per line: a 64-frame sheet stays a readable 70-line file.
        to_ron(self, ron::ser::PrettyConfig::new().depth_limit(2))
    }

    /// Parses `.atlas.ron` text and checks that every frame lies inside the sheet.
    pub fn from_ron(text: &str) -> Result<Self, FileFormatError> {
        let layout: Self = ron::from_str(text)?;
        for (index, rect) in layout.textures.iter().enumerate() {
            let inside = rect.min.0 < rect.max.0
                && rect.min.1 < rect.max.1
                && rect.max.0 <= layout.size.0
                && rect.max.1 <= layout.size.1;
            if !inside {
                return Err(FileFormatError::FrameOutsideSheet { index });
            }
        }
        Ok(layout)
    }
}

/// What `NAME.sprite.ron` holds: everything a game needs beyond the layout, and where the
/// sprite came from so it can be regenerated (or left alone when its request is unchanged).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpriteMeta {
    /// [`SPRITE_META_FORMAT`] at the time of writing.
    pub format: u32,
    /// Asset name (the file stem).
    pub name: String,
    /// Size of one frame (the largest frame, for packed atlases of mixed sizes).
    pub frame_size: SpriteSize,
    /// Number of frames; the atlas has one rectangle per frame.
    pub frames: u32,
    /// Sheet columns (0 for a packed atlas that is no grid).
    pub columns: u32,
    /// How long each frame shows, in milliseconds, one entry per frame.
    pub frame_durations_ms: Vec<u32>,
    /// Named frame ranges that play as animations.
    pub tags: Vec<AnimationTag>,
    /// Anchor point as a fraction of the frame from its top-left corner: `(0.5, 0.5)` is the
    /// centre, `(0.5, 1.0)` the middle of the bottom edge. Bevy's `Anchor` is
    /// `(x - 0.5, 0.5 - y)`.
    pub pivot: (f32, f32),
    /// The colours the sheet uses, transparency aside.
    pub palette: Palette,
    /// Where it came from; `None` for sheets packed from existing images.
    pub provenance: Option<Provenance>,
    /// For a tileset: its layout and each tile's terrain bits; absent for anything else (and in
    /// files written before tilesets existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tileset: Option<TilesetInfo>,
    /// How sure the pixel grid read off the generated image is, `0.0..=1.0`: whether its fake
    /// pixels really lay on `frame_size` cells (under 0.5 they did not line up well: another
    /// seed or another size may do better). Absent for sheets packed from existing images, and
    /// in files written before it was measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grid_confidence: Option<f32>,
}

impl SpriteMeta {
    /// A grid sheet's metadata: `frames` frames of `frame_size` in `columns` columns, each shown
    /// `frame_ms` milliseconds, pivot at the centre, no tags, no palette, no provenance. The
    /// starting point that writers fill in (`SpriteMeta { tags, .. SpriteMeta::grid(..) }`).
    pub fn grid(name: impl Into<String>, frame_size: SpriteSize, frames: u32, columns: u32, frame_ms: u32) -> Self {
        Self {
            format: SPRITE_META_FORMAT,
            name: name.into(),
            frame_size,
            frames,
            columns,
            frame_durations_ms: vec![frame_ms; frames as usize],
            tags: Vec::new(),
            pivot: (0.5, 0.5),
            palette: Palette::default(),
            provenance: None,
            tileset: None,
            grid_confidence: None,
        }
    }

    /// Frames per second when all frames last equally long, else `None`.
    pub fn uniform_fps(&self) -> Option<f32> {
        let first = *self.frame_durations_ms.first()?;
        let uniform = first > 0 && self.frame_durations_ms.iter().all(|d| *d == first);
        uniform.then(|| 1000.0 / first as f32)
    }

    /// The metadata as `.sprite.ron` text.
    pub fn to_ron(&self) -> String {
        // Durations and the palette on one line each.
        to_ron(self, ron::ser::PrettyConfig::new().depth_limit(2).compact_arrays(true))
    }

    /// Parses `.sprite.ron` text and checks that durations and tags fit the frame count.
    pub fn from_ron(text: &str) -> Result<Self, FileFormatError> {
        let meta: Self = ron::from_str(text)?;
        if meta.frame_durations_ms.len() != meta.frames as usize {
            return Err(FileFormatError::DurationCount {
                frames: meta.frames,
                durations: meta.frame_durations_ms.len(),
            });
        }
        if let Some(tag) = meta.tags.iter().find(|t| t.first > t.last || t.last >= meta.frames) {
            return Err(FileFormatError::TagOutOfRange { tag: tag.name.clone(), frames: meta.frames });
        }
        if let Some(tileset) = &meta.tileset
            && (tileset.frames() != meta.frames || tileset.lower.is_some_and(|lower| lower >= meta.frames))
        {
            return Err(FileFormatError::TileCount { frames: meta.frames, tiles: tileset.frames() as usize });
        }
        Ok(meta)
    }
}

/// A named run of frames, as Aseprite tags them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnimationTag {
    /// Tag name, e.g. `"walk"`.
    pub name: String,
    /// First frame index, inclusive.
    pub first: u32,
    /// Last frame index, inclusive.
    pub last: u32,
    /// Play order.
    pub direction: AnimationDirection,
}

/// How a tag plays its frames.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AnimationDirection {
    /// first → last, then again.
    #[default]
    Forward,
    /// last → first, then again.
    Reverse,
    /// first → last → first, without repeating the ends.
    PingPong,
}

/// Where a generated sprite came from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// The prompt as sent (before style trigger words).
    pub prompt: String,
    /// The negative prompt.
    pub negative_prompt: String,
    /// The style, if any; stacked styles joined by ` + `.
    pub style: Option<String>,
    /// The seed used.
    pub seed: u64,
    /// The backend that made it (`comfyui`, `procedural`).
    pub backend: String,
    /// [`GenerateRequest::content_hash`] of the request.
    pub request_hash: String,
    /// Tool and version that wrote the file, e.g. `dgx-pixels 0.1.0`.
    pub generator: String,
}

/// A `.atlas.ron` or `.sprite.ron` that does not parse or does not make sense.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FileFormatError {
    /// Not valid RON for the type.
    #[error("not a valid file: {0}")]
    Ron(#[from] ron::error::SpannedError),
    /// A frame rectangle is empty or reaches outside the sheet.
    #[error("frame {index} is empty or lies outside the sheet")]
    FrameOutsideSheet {
        /// Frame index.
        index: usize,
    },
    /// `frame_durations_ms` does not have one entry per frame.
    #[error("{durations} frame durations for {frames} frames")]
    DurationCount {
        /// Frames declared.
        frames: u32,
        /// Durations given.
        durations: usize,
    },
    /// A tileset's tiles (with its plain lower tile) are not one per frame.
    #[error("{tiles} tileset entries for {frames} frames")]
    TileCount {
        /// Frames declared.
        frames: u32,
        /// Tile entries given.
        tiles: usize,
    },
    /// A tag names frames that do not exist, or runs backwards.
    #[error("tag `{tag}` runs backwards or past the last of {frames} frames")]
    TagOutOfRange {
        /// Tag name.
        tag: String,
        /// Frames declared.
        frames: u32,
    },
}

/// RON as people read it in diffs: one field per line, no struct names (Bevy's own format).
/// `config`, with four-space indents and `\n` line ends on every platform.
fn to_ron<T: Serialize>(value: &T, config: ron::ser::PrettyConfig) -> String {
    let config = config.indentor("    ").new_line("\n");
    let mut text = ron::ser::to_string_pretty(value, config).expect("file types always serialise");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_layout_places_frames_left_to_right_top_to_bottom() {
        let layout = AtlasLayout::grid(SpriteSize::new(32, 16), 5, 2, 1, 2);
        assert_eq!(layout.size, (2 * 2 + 2 * 32 + 1, 2 * 2 + 3 * 16 + 2));
        assert_eq!(layout.textures[1], AtlasRect { min: (35, 2), max: (67, 18) });
        assert_eq!(layout.textures[4], AtlasRect { min: (2, 36), max: (34, 52) });
        assert_eq!(AtlasLayout::from_ron(&layout.to_ron()).unwrap(), layout);
    }

    #[test]
    fn atlas_ron_has_bevys_shape() {
        let layout = AtlasLayout::grid(SpriteSize::new(32, 32), 2, 2, 0, 0);
        let compact: String = layout.to_ron().split_whitespace().collect();
        assert_eq!(compact, "(size:(64,32),textures:[(min:(0,0),max:(32,32)),(min:(32,0),max:(64,32)),],)");
    }

    #[test]
    fn frames_outside_the_sheet_are_refused() {
        let text = "(size: (16, 16), textures: [(min: (0, 0), max: (32, 16))])";
        assert!(matches!(AtlasLayout::from_ron(text), Err(FileFormatError::FrameOutsideSheet { index: 0 })));
    }

    #[test]
    fn sprite_meta_round_trips_and_checks_counts() {
        let meta = SpriteMeta {
            format: SPRITE_META_FORMAT,
            name: "knight".into(),
            frame_size: SpriteSize::new(32, 32),
            frames: 4,
            columns: 4,
            frame_durations_ms: vec![100; 4],
            tags: vec![AnimationTag {
                name: "walk".into(),
                first: 0,
                last: 3,
                direction: AnimationDirection::PingPong,
            }],
            pivot: (0.5, 1.0),
            palette: Palette::preset("gameboy").unwrap(),
            provenance: Some(Provenance {
                prompt: "knight".into(),
                negative_prompt: String::new(),
                style: None,
                seed: 7,
                backend: "procedural".into(),
                request_hash: GenerateRequest::new("knight").content_hash(),
                generator: "dgx-pixels 0.1.0".into(),
            }),
            tileset: None,
            grid_confidence: Some(0.875),
        };
        let text = meta.to_ron();
        assert!(text.contains("grid_confidence: Some(0.875)"), "{text}");
        assert_eq!(SpriteMeta::from_ron(&text).unwrap(), meta);
        assert_eq!(meta.uniform_fps(), Some(10.0));
        let short = text.replace("100, 100, ", "");
        assert!(matches!(SpriteMeta::from_ron(&short), Err(FileFormatError::DurationCount { .. })));
        assert!(!text.contains("tileset"), "no tileset field for a sprite: {text}");
        let packed = SpriteMeta { grid_confidence: None, ..meta.clone() };
        assert!(!packed.to_ron().contains("grid_confidence"), "none for a packed sheet");
        let tiles = SpriteMeta { tileset: Some(TilesetInfo::wang16()), ..meta.clone() };
        assert!(matches!(SpriteMeta::from_ron(&tiles.to_ron()), Err(FileFormatError::TileCount { .. })));
        let set = SpriteMeta { frames: 16, frame_durations_ms: vec![100; 16], tags: Vec::new(), ..tiles };
        assert_eq!(SpriteMeta::from_ron(&set.to_ron()).unwrap(), set);
    }

    #[test]
    fn pixels_ron_reads_like_the_generate_body() {
        let request = parse_pixels_request(
            r#"(prompt: "hero, idle", frames: 4, sprite: (width: 48, height: 48), palette: "pico8", seed: 3)"#,
        )
        .unwrap();
        request.validate().unwrap();
        assert_eq!(request.sprite_size(), SpriteSize::new(48, 48));
        assert_eq!(request.seed, Some(3));
        assert_eq!(parse_pixels_request(&pixels_request_to_ron(&request)).unwrap(), request);
        assert!(parse_pixels_request("(prompt: \"x\", colour: 3)").is_err());
        // Stacked styles, as the README writes them.
        let stacked = parse_pixels_request(
            r#"(prompt: "hero, idle", style: "team_style", styles: [(name: "knights", strength: 0.6)])"#,
        )
        .unwrap();
        stacked.validate().unwrap();
        assert_eq!(stacked.style_choices().len(), 2);
        assert_eq!(stacked.styles[0].strength, Some(0.6));
        // A palette from the game's own sprites, as the README writes it.
        let matched = parse_pixels_request(r#"(prompt: "slime", palette: (from: ["sprites", "hero.png"]))"#).unwrap();
        matched.validate().unwrap();
        let from = crate::PaletteFrom { from: vec!["sprites".into(), "hero.png".into()] };
        assert_eq!(matched.palette, Some(crate::PaletteSpec::From(from)));
    }
}
