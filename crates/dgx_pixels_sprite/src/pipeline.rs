//! The whole pipeline: grid recovery, downsampling, background removal, one shared palette,
//! then the optional finishing steps, in that order, for one frame or an animation.
//!
//! [`PipelineBuilder`] collects the settings and checks that they agree ([`PipelineBuilder::build`]);
//! [`Pipeline::process`] then runs the stages, each of which is a public function of its own
//! module for callers who need only one.

use std::ops::Deref;

use dgx_pixels_protocol::{Background, Palette, SpriteSize};
use image::{ImageBuffer, Rgba, RgbaImage};

use crate::align::stand_on_baseline;
use crate::background::{Backdrop, BackgroundOptions, apply_mask};
use crate::color::Oklab;
use crate::dither::dither_to_palette;
use crate::downsample::downsample;
use crate::flatness::{CellQuarters, painted_backdrop};
use crate::grid::{AxisGrid, Detection, GridConfidence, GridError, PixelGrid, detect_grid};
use crate::noisy_palette::refine_palette;
use crate::outline::add_outline;
use crate::quantize::{KMeansOptions, fit_palette, map_to_palette, opaque_srgb, to_palette};
use crate::tile::{grid_phase, roll};
use crate::trim::{crop, shared_bounds};
use crate::unblur::unblur;
use crate::view::{RgbaView, view};

mod builder;

pub use builder::PipelineBuilder;

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
    #[error("cannot place the pixel grid on frame {frame}")]
    Grid {
        /// Index of the frame.
        frame: usize,
        /// What went wrong.
        #[source]
        source: GridError,
    },
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
    /// The pixel grid found on (or, with an exact size, placed on) the first frame: what size
    /// `auto` chose, and why ([`PixelGrid::size`], [`AxisGrid::pitch`]).
    pub grid: PixelGrid,
    /// How sure that grid is ([`crate::grid::confidence`]): with a size found, whether to trust
    /// it; with a size given, whether the image's fake pixels really lie on that many cells.
    pub confidence: GridConfidence,
}

impl Pipeline {
    /// Turns fake pixel-art frames into true sprites.
    ///
    /// All frames share ONE palette (fitted over all frames together, or the given one). With
    /// [`TargetSize::Auto`] the grid is detected on the first frame and that size is used for
    /// the others, so an animation's frames always match.
    pub fn process<C: Deref<Target = [u8]>>(
        &self,
        frames: &[ImageBuffer<Rgba<u8>, C>],
    ) -> Result<PixelFrames, PipelineError> {
        self.process_views(&frames.iter().map(view).collect::<Vec<_>>())
    }

    /// [`Pipeline::process`] on views, compiled once whatever the callers' containers.
    fn process_views(&self, frames: &[RgbaView<'_>]) -> Result<PixelFrames, PipelineError> {
        let settings = &self.settings;
        let first = frames.first().ok_or(PipelineError::NoFrames)?;
        let Detection { grid: first_grid, confidence } =
            detect_grid(first, target(settings.size)).map_err(|source| PipelineError::Grid { frame: 0, source })?;
        let shared_size = Some(first_grid.size());
        let mut sprites = Vec::with_capacity(frames.len());
        for (index, frame) in frames.iter().enumerate() {
            let grid = if index == 0 {
                first_grid.clone()
            } else {
                detect_grid(frame, shared_size).map_err(|source| PipelineError::Grid { frame: index, source })?.grid
            };
            let rolled;
            let (source, cells) = if settings.tile {
                // Turned so a cell starts at the edge, then cut in equal cells from edge to edge.
                let (dx, dy) = grid_phase(&grid, frame.dimensions());
                rolled = roll(frame, dx, dy);
                (view(&rolled), edge_aligned(frame.dimensions(), grid.size()))
            } else {
                (frame.clone(), grid.clone())
            };
            let read = downsample(&source, &cells);
            let unblurred = unblur(&source, &cells, &read);
            let background = if settings.tile { Background::Keep } else { settings.background };
            let backdrop = match background {
                Background::Transparent => {
                    let mut quarters = CellQuarters::new(frame, &grid);
                    let mut found =
                        |cells: &RgbaImage| painted_backdrop(&mut quarters, cells, &BackgroundOptions::default());
                    match &unblurred {
                        // A backdrop cell beside the sprite reads as backdrop plus some of the
                        // sprite's colour before the unblur, as backdrop plus the unblur's own
                        // error after it; each reading misses some that the other finds.
                        Some(unblurred) => Backdrop::either(found(unblurred), found(&read)),
                        None => found(&read),
                    }
                }
                Background::Keep => None,
            };
            let mut sprite = unblurred.unwrap_or(read);
            apply_mask(&mut sprite, backdrop.as_ref().map(|b| b.mask.as_slice()));
            sprites.push(sprite);
        }

        // A given palette is used as it is; a fitted one comes with its noise model.
        let (mut palette, fitted) = match &settings.palette {
            Some(palette) => (palette.clone(), None),
            None => {
                let has_transparency = sprites.iter().any(|s| s.pixels().any(|p| p.0[3] == 0));
                let budget = usize::from(settings.colors) - usize::from(has_transparency);
                let options = KMeansOptions { seed: settings.seed, ..KMeansOptions::default() };
                let colours = opaque_srgb(&sprites);
                let oklab: Vec<Oklab> = colours.iter().map(|&c| Oklab::from_srgb(c)).collect();
                let fitted = refine_palette(&colours, &to_palette(&fit_palette(&oklab, budget.max(1), &options)));
                (fitted.palette().clone(), Some(fitted))
            }
        };
        for sprite in &mut sprites {
            if settings.dither {
                dither_to_palette(sprite, &palette);
            } else if let Some(fitted) = &fitted {
                // The fitted palette's own noise model decides (see `noisy_palette`).
                fitted.map(sprite);
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
        if settings.align {
            stand_on_baseline(&mut sprites);
        }
        if settings.trim
            && let Some(bounds) = shared_bounds(&sprites)
        {
            sprites = sprites.iter().map(|s| crop(s, bounds)).collect();
        }
        Ok(PixelFrames { frames: sprites, palette, grid: first_grid, confidence })
    }
}

/// `size` equal cells over an image of `dimensions`, from edge to edge: a tile's grid.
fn edge_aligned(dimensions: (u32, u32), size: SpriteSize) -> PixelGrid {
    PixelGrid { x: AxisGrid::uniform(dimensions.0, size.width), y: AxisGrid::uniform(dimensions.1, size.height) }
}

fn target(size: TargetSize) -> Option<SpriteSize> {
    match size {
        TargetSize::Auto => None,
        TargetSize::Exact(size) => Some(size),
    }
}

#[cfg(test)]
mod tests {
    use dgx_pixels_protocol::{GenerateRequest, RequestKind, Rgb};
    use image::Rgba;

    use super::*;
    use crate::fake_art::{banded, blurred_cells, degrade, degrade_with, doubled, truth};

    /// Share of pixels whose alpha agrees and, where opaque, whose colour is within a
    /// just-noticeable Oklab distance.
    fn accuracy(truth: &RgbaImage, got: &RgbaImage) -> f32 {
        let good = truth
            .pixels()
            .zip(got.pixels())
            .filter(|(t, g)| {
                (t.0[3] >= 128) == (g.0[3] >= 128)
                    && (t.0[3] < 128
                        || Oklab::from_srgb([t.0[0], t.0[1], t.0[2]])
                            .distance(Oklab::from_srgb([g.0[0], g.0[1], g.0[2]]))
                            < 0.04)
            })
            .count();
        good as f32 / (truth.width() * truth.height()) as f32
    }

    /// Proves the whole method on a synthetic fake: non-integer uneven blocks, blur, noise and a
    /// gradient backdrop, in auto mode (size found) and with the size given.
    #[test]
    fn recovers_a_degraded_sprite() {
        for (width, height, scale) in [(20, 16, 13.37f32), (24, 24, 7.3), (16, 20, 31.9)] {
            let sprite = truth(width, height);
            let fake = degrade(&sprite, scale);
            for size in [TargetSize::Auto, TargetSize::Exact(SpriteSize::new(width, height))] {
                let result = PipelineBuilder::new()
                    .size(size)
                    .colors(6)
                    .build()
                    .unwrap()
                    .process(std::slice::from_ref(&fake))
                    .unwrap();
                let got = &result.frames[0];
                assert_eq!(got.dimensions(), (width, height), "{size:?} at scale {scale}");
                let score = accuracy(&sprite, got);
                assert!(score >= 0.95, "{size:?} at scale {scale}: {score}");
            }
        }
    }

    /// Art drawn at 2× (every pixel of the sprite doubled) comes back at the doubled size in auto
    /// mode, also where its cells are too small for the quarters' contrast to tell (under 24 px):
    /// the fake pixels' drift across each cell's middle gives it away.
    #[test]
    fn finds_art_drawn_at_2x() {
        let sprite = doubled(&banded(16, 16));
        for scale in [5.6f32, 8.1, 11.3] {
            let result = PipelineBuilder::new()
                .size(TargetSize::Auto)
                .colors(6)
                .build()
                .unwrap()
                .process(&[degrade(&sprite, scale)])
                .unwrap();
            assert_eq!(result.frames[0].dimensions(), (32, 32), "cells of {} px", 2.0 * scale);
            let score = accuracy(&sprite, &result.frames[0]);
            assert!(score >= 0.95, "cells of {} px: {score}", 2.0 * scale);
        }
    }

    /// In cells of 6 px the blur, and JPEG's halved chroma more, carry each cell's neighbours
    /// into the middle it is read from, and the palette is fitted to such mixtures: a scatter
    /// of two dark greens, pink, red and a light green (the bench's lizard's colours) came back
    /// 84 % right with the cells read as they are; with the blur taken back out, all of it.
    #[test]
    fn small_cells_keep_their_colours() {
        const COLOURS: [[u8; 3]; 5] = [[12, 67, 1], [6, 39, 0], [230, 180, 200], [220, 20, 20], [38, 182, 9]];
        let sprite = RgbaImage::from_fn(16, 16, |x, y| {
            let [r, g, b] = COLOURS[((x * 7 + y * 13 + x * y) % 5) as usize];
            Rgba([r, g, b, 255])
        });
        let result = PipelineBuilder::new()
            .size(TargetSize::Exact(SpriteSize::new(16, 16)))
            .colors(5)
            .build()
            .unwrap()
            .process(&[blurred_cells(&sprite, 6.25, 1.3, true)])
            .unwrap();
        let score = accuracy(&sprite, &result.frames[0]);
        assert_eq!(score, 1.0, "{score}");
    }

    /// Uneven GPU-like frames of one character (drawn at other heights and offsets in each
    /// cell) come out of a sheet of facings on one baseline and one centre line; without the
    /// alignment they would not.
    #[test]
    fn a_sheet_of_facings_stands_on_one_baseline() {
        let offsets = [(2, 5), (7, 1), (4, 3), (0, 6), (9, 0), (3, 7), (6, 2), (1, 4)];
        let cells: Vec<RgbaImage> = offsets
            .iter()
            .map(|&(x, y)| {
                let mut cell = RgbaImage::new(24, 24);
                image::imageops::overlay(&mut cell, &truth(14, 16), x, y);
                degrade(&cell, 9.3)
            })
            .collect();
        let request = GenerateRequest {
            directions: 4,
            frames: 2,
            sprite: SpriteSize::new(24, 24).into(),
            ..GenerateRequest::new("x")
        };
        let spread = |values: &mut dyn Iterator<Item = f32>| {
            let values: Vec<f32> = values.collect();
            values.iter().copied().fold(f32::MIN, f32::max) - values.iter().copied().fold(f32::MAX, f32::min)
        };
        let measure = |align: bool| {
            let frames =
                PipelineBuilder::for_request(&request, 1).align(align).build().unwrap().process(&cells).unwrap().frames;
            let footings: Vec<_> = frames.iter().map(|f| crate::align::footing(f).unwrap()).collect();
            let baselines = spread(&mut footings.iter().map(|f| f.baseline as f32));
            let centres = footings.chunks(2).map(|row| spread(&mut row.iter().map(|f| f.centre_x))).fold(0.0, f32::max);
            (baselines, centres)
        };
        let (baselines, centres) = measure(true);
        assert!(baselines <= 1.0 && centres <= 1.0, "baselines differ by {baselines}, centres by {centres}");
        let (baselines, centres) = measure(false);
        assert!(baselines > 1.0 && centres > 1.0, "the fixture is not uneven: {baselines}, {centres}");
    }

    /// A periodic fake (16×16 tile drawn with 8.5-pixel blocks, rolled so its cells start 3 and
    /// 5 pixels in, with noise) comes back as the tile itself, turned, and seamless: the step
    /// across its borders is no larger than the steps inside it.
    #[test]
    fn a_tile_comes_back_seamless() {
        let colours = [[60, 140, 60], [80, 170, 70], [120, 100, 60], [50, 110, 50], [150, 190, 90]];
        let truth = RgbaImage::from_fn(16, 16, |x, y| {
            let [r, g, b] = colours[((x * 7 + y * 3 + x * y) % 5) as usize];
            Rgba([r, g, b, 255])
        });
        let mut seed = 0x2545_f491u32;
        let fake = RgbaImage::from_fn(136, 136, |x, y| {
            let (sx, sy) = ((x + 3) % 136, (y + 5) % 136);
            let p = truth.get_pixel((sx as f32 / 8.5) as u32, (sy as f32 / 8.5) as u32).0;
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            let n = (seed % 13) as i16 - 6;
            Rgba(
                [0, 1, 2]
                    .map(|c| (i16::from(p[c]) + n).clamp(0, 255) as u8)
                    .into_iter()
                    .chain([255])
                    .collect::<Vec<_>>()
                    .try_into()
                    .unwrap(),
            )
        });
        let request = GenerateRequest {
            kind: RequestKind::Tile,
            sprite: SpriteSize::new(16, 16).into(),
            colors: 6,
            ..GenerateRequest::new("grass")
        };
        let tile =
            PipelineBuilder::for_request(&request, 1).build().unwrap().process(&[fake]).unwrap().frames.remove(0);
        assert!(tile.pixels().all(|p| p.0[3] == 255), "a tile is opaque");
        let best = (0..16 * 16)
            .map(|shift| {
                let turned = crate::tile::roll(&crate::view::view(&truth), shift % 16, shift / 16);
                accuracy(&turned, &tile)
            })
            .fold(0.0, f32::max);
        assert!(best >= 0.95, "the tile is not the truth turned: {best}");
        let steps = crate::tile::seam_steps(&tile);
        assert!(steps.excess() <= crate::tile::SEAMLESS_EXCESS, "a seam: {steps:?}");
    }

    /// `truth` degraded with blocks of 9.5 px and recovered at its size in three colours. The
    /// fake pixels do not drift: the tests place colours a set distance from the backdrop's, and
    /// a drift would move single cells across it.
    fn recover_in_three_colours(truth: &RgbaImage) -> RgbaImage {
        let size = SpriteSize::new(truth.width(), truth.height());
        let pipeline = PipelineBuilder::new().size(TargetSize::Exact(size)).colors(3).build().unwrap();
        pipeline.process(&[degrade_with(truth, 9.5, 0.0, 0.0)]).unwrap().frames.remove(0)
    }

    /// Two boxes drawn in a dark outline: the backdrop shows through the left one's 4×4 hole,
    /// which comes back transparent; the right one holds a 4×4 patch of the sprite's own
    /// off-white, within the backdrop tolerance of the backdrop but a shade off it, which stays.
    #[test]
    fn holes_show_the_backdrop_and_near_backdrop_colours_stay() {
        let boxes = RgbaImage::from_fn(20, 16, |x, y| match (x, y) {
            (3..=6, 6..=9) => Rgba([0, 0, 0, 0]),
            (13..=16, 6..=9) => Rgba([230, 230, 226, 255]),
            (1..=8 | 11..=18, 4..=11) => Rgba([20, 16, 28, 255]),
            _ => Rgba([0, 0, 0, 0]),
        });
        let sprite = recover_in_three_colours(&boxes);
        let alpha =
            |x0: u32, y0: u32| (0..16).map(|i| sprite.get_pixel(x0 + i % 4, y0 + i / 4).0[3]).collect::<Vec<_>>();
        assert!(alpha(3, 6).iter().all(|&a| a == 0), "the hole is filled: {:?}", alpha(3, 6));
        assert!(alpha(13, 6).iter().all(|&a| a == 255), "the off-white patch is cut: {:?}", alpha(13, 6));
        assert_eq!(sprite.get_pixel(0, 0).0[3], 0, "the backdrop is removed");
    }

    /// A box outlined in a pale blue within the backdrop tolerance of the off-white backdrop: the
    /// flood from the border takes the outline along, the backdrop's field gives it back (it lies
    /// well off the backdrop's smooth gradient), and the backdrop around the box still goes.
    #[test]
    fn an_outline_near_the_backdrop_colour_stays() {
        let in_box = |x: u32, y: u32| (4..=11).contains(&x) && (4..=11).contains(&y);
        let on_outline = |x: u32, y: u32| in_box(x, y) && (x == 4 || x == 11 || y == 4 || y == 11);
        let boxed = RgbaImage::from_fn(16, 16, |x, y| match (in_box(x, y), on_outline(x, y)) {
            (true, true) => Rgba([228, 234, 246, 255]),
            (true, false) => Rgba([120, 60, 60, 255]),
            _ => Rgba([0, 0, 0, 0]),
        });
        let sprite = recover_in_three_colours(&boxed);
        let cells = |wanted: &dyn Fn(u32, u32) -> bool, alpha: u8| {
            (0..256u32).filter(|i| wanted(i % 16, i / 16) && sprite.get_pixel(i % 16, i / 16).0[3] == alpha).count()
        };
        assert_eq!(cells(&on_outline, 255), 28, "outline cells kept");
        assert_eq!(cells(&|x, y| !in_box(x, y), 0), 256 - 64, "backdrop cells removed");
    }

    /// All frames share one palette, and a given palette is used as is.
    #[test]
    fn frames_share_one_palette() {
        let a = degrade(&truth(16, 16), 9.5);
        let b = degrade(&truth(16, 16), 9.5);
        let result = PipelineBuilder::new().colors(5).build().unwrap().process(&[a, b]).unwrap();
        assert_eq!(result.frames.len(), 2);
        assert!(result.palette.len() <= 4, "transparency takes one of the 5: {:?}", result.palette);
        for frame in &result.frames {
            assert!(
                frame
                    .pixels()
                    .filter(|p| p.0[3] == 255)
                    .all(|p| result.palette.0.contains(&Rgb([p.0[0], p.0[1], p.0[2]])))
            );
        }
        let gameboy = Palette::preset("gameboy").unwrap();
        let result = PipelineBuilder::new()
            .palette(Some(gameboy.clone()))
            .build()
            .unwrap()
            .process(&[degrade(&truth(16, 16), 9.5)])
            .unwrap();
        assert_eq!(result.palette, gameboy);
    }

    #[test]
    fn refuses_bad_settings() {
        assert!(matches!(
            PipelineBuilder::new().colors(0).build(),
            Err(PipelineError::ColorsOutOfRange { colors: 0, .. })
        ));
        assert!(matches!(PipelineBuilder::new().colors(300).build(), Err(PipelineError::ColorsOutOfRange { .. })));
        assert!(matches!(
            PipelineBuilder::new().palette(Some(Palette(vec![]))).build(),
            Err(PipelineError::PaletteSize { .. })
        ));
        let pipeline = PipelineBuilder::new().size(TargetSize::Exact(SpriteSize::new(64, 64))).build().unwrap();
        assert!(matches!(pipeline.process(&[RgbaImage::new(32, 32)]), Err(PipelineError::Grid { frame: 0, .. })));
        assert!(matches!(pipeline.process::<Vec<u8>>(&[]), Err(PipelineError::NoFrames)));
    }
}
