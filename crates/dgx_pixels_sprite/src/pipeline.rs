//! The whole pipeline: grid recovery, downsampling, background removal, one shared palette,
//! then the optional finishing steps, in that order, for one frame or an animation.
//!
//! [`PipelineBuilder`] collects the settings and checks that they agree ([`PipelineBuilder::build`]);
//! [`Pipeline::process`] then runs the stages, each of which is a public function of its own
//! module for callers who need only one.

use dgx_pixels_protocol::{Background, Palette, Rgb, SpriteSize, limits};
use image::RgbaImage;

use crate::background::{BackgroundOptions, apply_mask, find_backdrop};
use crate::flatness::{MAX_BACKDROP_DRIFT, backdrop_drift};
use crate::dither::dither_to_palette;
use crate::downsample::downsample;
use crate::grid::{GridError, detect_grid};
use crate::outline::add_outline;
use crate::quantize::{KMeansOptions, fit_palette, map_to_palette, opaque_colors, to_palette};
use crate::trim::{crop, shared_bounds};

/// The sprite size to produce.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TargetSize {
    /// Detect the fake-pixel grid and produce one pixel per fake pixel.
    #[default]
    Auto,
    /// Produce exactly this size; the grid's placement is still fitted to the image.
    Exact(SpriteSize),
}

/// Why the pipeline refused its settings or its input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PipelineError {
    /// The colour budget is outside `dgx_pixels_protocol::limits::COLORS`.
    #[error("colors must be between {min} and {max}, got {colors}")]
    ColorsOutOfRange {
        /// The budget asked for.
        colors: u16,
        /// Smallest budget.
        min: u16,
        /// Largest budget.
        max: u16,
    },
    /// A given palette is empty or larger than the limit.
    #[error("a palette must have between 1 and {max} colours, got {len}")]
    PaletteSize {
        /// Colours in the palette given.
        len: usize,
        /// Most colours accepted.
        max: usize,
    },
    /// An exact target size has a zero side.
    #[error("the target size {width}x{height} has a zero side")]
    EmptyTarget {
        /// Requested width.
        width: u32,
        /// Requested height.
        height: u32,
    },
    /// `process` was called with no frame.
    #[error("no frames to process")]
    NoFrames,
    /// The grid could not be placed on a frame (e.g. a target larger than the frame).
    #[error("frame {frame}: {source}")]
    Grid {
        /// Index of the frame.
        frame: usize,
        /// What went wrong.
        #[source]
        source: GridError,
    },
}

/// The settings of a [`Pipeline`], with `&mut self` setters; see each setter for its default.
#[derive(Clone, Debug)]
pub struct PipelineBuilder {
    size: TargetSize,
    colors: u16,
    palette: Option<Palette>,
    background: Background,
    dither: bool,
    outline: Option<Rgb>,
    trim: bool,
    seed: u64,
}

impl Default for PipelineBuilder {
    fn default() -> Self {
        Self {
            size: TargetSize::Auto,
            colors: 16,
            palette: None,
            background: Background::Transparent,
            dither: false,
            outline: None,
            trim: false,
            seed: 0,
        }
    }
}

impl PipelineBuilder {
    /// A builder with the defaults: auto size, 16 colours, fitted palette, backdrop removed.
    pub fn new() -> Self {
        Self::default()
    }

    /// The output size. Default [`TargetSize::Auto`].
    pub fn size(&mut self, size: TargetSize) -> &mut Self {
        self.size = size;
        self
    }

    /// The colour budget of a fitted palette, transparency counting as one colour when the
    /// sprite has any (as in an indexed PNG). Default 16; ignored when a palette is given.
    pub fn colors(&mut self, colors: u16) -> &mut Self {
        self.colors = colors;
        self
    }

    /// A fixed palette to map to instead of fitting one. Default `None` (fit).
    pub fn palette(&mut self, palette: Option<Palette>) -> &mut Self {
        self.palette = palette;
        self
    }

    /// Whether to remove the backdrop. Default [`Background::Transparent`]; use
    /// [`Background::Keep`] for tiles, which have no backdrop.
    pub fn background(&mut self, background: Background) -> &mut Self {
        self.background = background;
        self
    }

    /// Ordered (Bayer) dithering onto the palette. Default off: it suits gradients, not sprites
    /// whose colours the palette already holds.
    pub fn dither(&mut self, dither: bool) -> &mut Self {
        self.dither = dither;
        self
    }

    /// A 1-pixel outline in this colour around the opaque shape. Default none.
    pub fn outline(&mut self, outline: Option<Rgb>) -> &mut Self {
        self.outline = outline;
        self
    }

    /// Crop all frames to their shared opaque bounding box. Default off.
    pub fn trim(&mut self, trim: bool) -> &mut Self {
        self.trim = trim;
        self
    }

    /// Seed of the palette fit; the same seed and frames give the same palette. Default 0.
    pub fn seed(&mut self, seed: u64) -> &mut Self {
        self.seed = seed;
        self
    }

    /// Checks the settings and builds the pipeline.
    pub fn build(&self) -> Result<Pipeline, PipelineError> {
        if !limits::COLORS.contains(&self.colors) {
            return Err(PipelineError::ColorsOutOfRange {
                colors: self.colors,
                min: *limits::COLORS.start(),
                max: *limits::COLORS.end(),
            });
        }
        if let Some(palette) = &self.palette
            && !limits::PALETTE_LIST.contains(&palette.len())
        {
            return Err(PipelineError::PaletteSize { len: palette.len(), max: *limits::PALETTE_LIST.end() });
        }
        if let TargetSize::Exact(size) = self.size
            && (size.width == 0 || size.height == 0)
        {
            return Err(PipelineError::EmptyTarget { width: size.width, height: size.height });
        }
        Ok(Pipeline { settings: self.clone() })
    }
}

/// A configured pipeline; cheap to keep and reuse for many images.
#[derive(Clone, Debug)]
pub struct Pipeline {
    settings: PipelineBuilder,
}

/// The pipeline's result: the sprites and the one palette they all use.
#[derive(Clone, Debug, PartialEq)]
pub struct PixelFrames {
    /// One sprite per input frame, all the same size, alpha 0 or 255.
    pub frames: Vec<RgbaImage>,
    /// The opaque colours the frames use (the outline colour included).
    pub palette: Palette,
}

impl Pipeline {
    /// Turns fake pixel-art frames into true sprites.
    ///
    /// All frames share ONE palette (fitted over all frames together, or the given one). With
    /// [`TargetSize::Auto`] the grid is detected on the first frame and that size is used for
    /// the others, so an animation's frames always match.
    pub fn process(&self, frames: &[RgbaImage]) -> Result<PixelFrames, PipelineError> {
        let settings = &self.settings;
        let first = frames.first().ok_or(PipelineError::NoFrames)?;
        let first_grid =
            detect_grid(first, target(settings.size)).map_err(|source| PipelineError::Grid { frame: 0, source })?;
        let shared_size = Some(first_grid.size());
        let mut sprites = Vec::with_capacity(frames.len());
        for (index, frame) in frames.iter().enumerate() {
            let grid = if index == 0 {
                first_grid.clone()
            } else {
                detect_grid(frame, shared_size).map_err(|source| PipelineError::Grid { frame: index, source })?
            };
            let mut sprite = downsample(frame, &grid);
            let backdrop = match settings.background {
                Background::Transparent => find_backdrop(&sprite, &BackgroundOptions::default())
                    .filter(|b| backdrop_drift(frame, &grid, &b.mask).is_none_or(|d| d <= MAX_BACKDROP_DRIFT)),
                Background::Keep => None,
            };
            apply_mask(&mut sprite, backdrop.as_ref().map(|b| b.mask.as_slice()));
            sprites.push(sprite);
        }

        let mut palette = match &settings.palette {
            Some(palette) => palette.clone(),
            None => {
                let has_transparency = sprites.iter().any(|s| s.pixels().any(|p| p.0[3] == 0));
                let budget = usize::from(settings.colors) - usize::from(has_transparency);
                let options = KMeansOptions { seed: settings.seed, ..KMeansOptions::default() };
                to_palette(&fit_palette(&opaque_colors(&sprites), budget.max(1), &options))
            }
        };
        for sprite in &mut sprites {
            if settings.dither {
                dither_to_palette(sprite, &palette);
            } else {
                map_to_palette(sprite, &palette);
            }
            if let Some(colour) = settings.outline {
                add_outline(sprite, colour);
            }
        }
        if let Some(colour) = settings.outline
            && !palette.0.contains(&colour)
        {
            palette.0.push(colour);
        }
        if settings.trim
            && let Some(bounds) = shared_bounds(&sprites)
        {
            sprites = sprites.iter().map(|s| crop(s, bounds)).collect();
        }
        Ok(PixelFrames { frames: sprites, palette })
    }
}

fn target(size: TargetSize) -> Option<SpriteSize> {
    match size {
        TargetSize::Auto => None,
        TargetSize::Exact(size) => Some(size),
    }
}
