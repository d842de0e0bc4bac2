//! Pixel-grid recovery: where the fake pixels of an upscaled, blurred, noisy image lie.
//!
//! Each axis is solved mostly on its own: [`profile`] sums colour changes into an edge profile and
//! finds its peaks, [`period`] finds the (non-integer) spacing and phase of those peaks (one
//! spacing for both axes, since fake pixels are square: `square`), and [`AxisGrid`] turns that
//! into cell edges, snapping each one to its own peak so that the uneven
//! blocks of a generated image are followed rather than averaged. The result, a [`PixelGrid`],
//! is what [`crate::downsample`] samples.

pub mod confidence;
mod drift;
mod edge_sums;
mod fft;
pub mod period;
pub mod profile;
pub mod split;
mod square;

use dgx_pixels_protocol::SpriteSize;

use crate::view::RgbaView;

pub use confidence::{Doubt, GridConfidence};
pub use period::AxisFit;
pub use profile::EdgePeak;
pub use split::Axis;

/// Cells of two grids whose sizes differ by at most this share are the same cells, read off
/// differently.
const SAME_CELLS: f32 = 0.1;

/// A boundary is moved to a peak at most this share of a period away.
const SNAP_WINDOW: f32 = 0.25;

/// The cells along one axis: cell `i` covers `edges[i]..edges[i + 1]`, in pixel-edge coordinates
/// (the first edge is 0, the last the image's length).
#[derive(Clone, Debug, PartialEq)]
pub struct AxisGrid {
    edges: Vec<f32>,
}

impl AxisGrid {
    /// `count` equal cells over `len` pixels: the grid of an exact integer upscale, and the
    /// fallback when an image shows no edges at all.
    pub fn uniform(len: u32, count: u32) -> Self {
        let count = count.max(1);
        let step = len as f32 / count as f32;
        Self { edges: (0..=count).map(|i| i as f32 * step).collect() }
    }

    /// Places `count` cells over `len` pixels on the boundaries `fit` describes, centred so that
    /// the two edge cells are equally cut or stretched, then moves each boundary onto the
    /// strongest peak near it.
    pub fn from_fit(fit: AxisFit, len: u32, count: u32, peaks: &[EdgePeak]) -> Self {
        let count = count.max(1);
        let len_f = len as f32;
        let interior = count - 1;
        // First interior boundary such that the interior ones sit centred in 0..len.
        let ideal_first = (len_f - (interior as f32 - 1.0) * fit.period) / 2.0;
        let first = fit.phase + ((ideal_first - fit.phase) / fit.period).round() * fit.period;
        let mut edges = Vec::with_capacity(count as usize + 1);
        edges.push(0.0);
        for k in 0..interior {
            let predicted = first + k as f32 * fit.period;
            edges.push(snap(predicted, fit.period, peaks));
        }
        edges.push(len_f);
        // Keep edges inside the image and in order, each cell at least a little wide.
        let min_width = (fit.period * 0.2).min(len_f / count as f32);
        for i in 1..edges.len() - 1 {
            let lo = edges[i - 1] + min_width;
            let hi = len_f - min_width * (edges.len() - 1 - i) as f32;
            edges[i] = edges[i].clamp(lo.min(hi), hi);
        }
        Self { edges }
    }

    /// Number of cells.
    pub fn cells(&self) -> u32 {
        (self.edges.len() - 1) as u32
    }

    /// The mean cell side in image pixels: how much the image was scaled up.
    pub fn pitch(&self) -> f32 {
        let (first, last) = (self.edges.first().copied().unwrap_or(0.0), self.edges.last().copied().unwrap_or(0.0));
        (last - first) / self.cells().max(1) as f32
    }

    /// The cell edges, `cells() + 1` of them, increasing.
    pub fn edges(&self) -> &[f32] {
        &self.edges
    }
}

/// The strongest peak within the snap window of `predicted`, or `predicted` itself.
fn snap(predicted: f32, period: f32, peaks: &[EdgePeak]) -> f32 {
    let window = SNAP_WINDOW * period;
    peaks
        .iter()
        .filter(|p| (p.position - predicted).abs() <= window)
        .max_by(|a, b| a.prominence.total_cmp(&b.prominence))
        .map_or(predicted, |p| p.position)
}

/// The cells of an image along both axes.
#[derive(Clone, Debug, PartialEq)]
pub struct PixelGrid {
    /// Columns of cells.
    pub x: AxisGrid,
    /// Rows of cells.
    pub y: AxisGrid,
}

impl PixelGrid {
    /// The sprite size this grid produces.
    pub fn size(&self) -> SpriteSize {
        SpriteSize::new(self.x.cells(), self.y.cells())
    }
}

/// Why a grid could not be placed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GridError {
    /// The requested size has a zero side or exceeds the image.
    #[error("target size {target_width}x{target_height} does not fit the {image_width}x{image_height} image")]
    SizeOutOfRange {
        /// Requested width.
        target_width: u32,
        /// Requested height.
        target_height: u32,
        /// Width of the image.
        image_width: u32,
        /// Height of the image.
        image_height: u32,
    },
}

/// A grid found in an image, and how sure it is.
#[derive(Clone, Debug, PartialEq)]
pub struct Detection {
    /// The grid.
    pub grid: PixelGrid,
    /// How sure it is ([`confidence`]).
    pub confidence: GridConfidence,
}

/// One axis's grid, the period it was fitted with, and the clarity of the signs it rests on.
struct AxisFound {
    grid: AxisGrid,
    period: f32,
    signs: Vec<(f32, Doubt)>,
}

impl AxisFound {
    /// Takes the regularity of the edges from `peaks` (the other profile's) where they align
    /// better on this axis's period: the raw profile carries the codec's comb, which does not
    /// fall on the grid, and the cleaned one loses the grid's edges near the codec's; whichever
    /// shows the grid more clearly tells how regular its edges are.
    fn also_aligned_on(mut self, peaks: &[EdgePeak]) -> Self {
        let other = period::alignment(peaks, self.period).0;
        for (value, doubt) in &mut self.signs {
            if *doubt == Doubt::IrregularEdges {
                *value = value.max(other);
            }
        }
        self
    }
}

/// Finds the grid of fake pixels in `image`: with `target` the cell count is fixed and only
/// their placement is fitted; without it the cell size is detected too (`--size auto`), the
/// same on both axes (fake pixels are square: the `square` module).
///
/// An image with no regular grid (flat, or already true pixel art) gets one cell per pixel in
/// auto mode, and equal cells with a given size; its confidence is then 0.
pub fn detect_grid(image: &RgbaView<'_>, target: Option<SpriteSize>) -> Result<Detection, GridError> {
    let (width, height) = image.dimensions();
    if let Some(size) = target
        && (size.width == 0 || size.height == 0 || size.width > width || size.height > height)
    {
        return Err(GridError::SizeOutOfRange {
            target_width: size.width,
            target_height: size.height,
            image_width: width,
            image_height: height,
        });
    }
    // Each profile's peaks, columns then rows: [raw, cleaned].
    let [raw, clean] =
        profile::edge_profiles(image).map(|p| [profile::find_peaks(&p.columns), profile::find_peaks(&p.rows)]);
    let fit = |[x_peaks, y_peaks]: &[Vec<EdgePeak>; 2]| match target {
        Some(size) => {
            (fit_counted(image, Axis::X, x_peaks, size.width), fit_counted(image, Axis::Y, y_peaks, size.height))
        }
        None => fit_auto(image, x_peaks, y_peaks),
    };
    let ((clean_x, clean_y), (raw_x, raw_y)) = (fit(&clean), fit(&raw));
    // Suppressing the codec's comb also suppresses a grid of fake pixels that are as large as
    // the codec's blocks: their edges fall on the same few positions within a block. The raw
    // profile keeps them; where it finds the same cells as the cleaned one, it is read instead,
    // and also where it finds cells of the codec's own size and the cleaned one no coarser grid
    // (a coarser one, twice the size or more, is the real grid under the codec's comb; anything
    // finer is the grid the cleaning bent).
    // An exact 8× nearest-neighbour upscale has all its edges on the codec grid, which the clean
    // profiles hide: with no grid found there, look at the raw ones too.
    let agree = |clean: &Option<AxisFound>, raw: &Option<AxisFound>| match (clean, raw) {
        (Some(clean), Some(raw)) => {
            let (a, b) = (clean.grid.pitch(), raw.grid.pitch());
            (a - b).abs() <= SAME_CELLS * a.max(b) || (codec_locked(raw) && a < 2.0 * b)
        }
        (None, _) => true,
        (Some(_), None) => false,
    };
    let (x, y) = if agree(&clean_x, &raw_x) && agree(&clean_y, &raw_y) {
        let [on_x, on_y] = &clean;
        (raw_x.map(|a| a.also_aligned_on(on_x)).or(clean_x), raw_y.map(|a| a.also_aligned_on(on_y)).or(clean_y))
    } else {
        (clean_x.or(raw_x), clean_y.or(raw_y))
    };
    let fallback = |len: u32, count: u32| AxisFound {
        grid: AxisGrid::uniform(len, count),
        period: len as f32 / count.max(1) as f32,
        signs: vec![(0.0, Doubt::IrregularEdges)],
    };
    let x = x.unwrap_or_else(|| fallback(width, target.map_or(width, |s| s.width)));
    let y = y.unwrap_or_else(|| fallback(height, target.map_or(height, |s| s.height)));
    Ok(Detection {
        confidence: GridConfidence::weakest(x.signs.iter().chain(&y.signs).copied()),
        grid: PixelGrid { x: x.grid, y: y.grid },
    })
}

/// One axis of [`detect_grid`] with its cell count given, from its edge profile's peaks: `None`
/// when the profile shows no edge to place the cells on.
fn fit_counted(image: &RgbaView<'_>, axis: Axis, peaks: &[EdgePeak], count: u32) -> Option<AxisFound> {
    let len = match axis {
        Axis::X => image.width(),
        Axis::Y => image.height(),
    };
    let period = len as f32 / count as f32;
    if period < period::MIN_PERIOD * 0.5 {
        // Cells under a pixel and a half: the image is the sprite, near enough pixel for pixel.
        return Some(AxisFound { grid: AxisGrid::uniform(len, count), period, signs: Vec::new() });
    }
    if peaks.is_empty() {
        return None;
    }
    let free = period::fit_axis(peaks, period, false);
    // A fitted spacing far from the requested one means the request disagrees with the image;
    // honour the request and fit only the phase.
    let fit = if (free.period - period).abs() <= 0.03 * period { free } else { period::fit_axis(peaks, period, true) };
    let regularity = period::alignment(peaks, fit.period).0;
    Some(AxisFound {
        grid: AxisGrid::from_fit(fit, len, count, peaks),
        period: fit.period,
        signs: vec![(regularity, Doubt::IrregularEdges)],
    })
}

/// Both axes of [`detect_grid`] in auto mode: square periods ([`square`]), each axis's placement
/// fitted to its own edges, and the cells halved on both axes when, read on both together, they
/// are two pixels each ([`split`]). `None` for an axis that shows no grid.
fn fit_auto(
    image: &RgbaView<'_>,
    x_peaks: &[EdgePeak],
    y_peaks: &[EdgePeak],
) -> (Option<AxisFound>, Option<AxisFound>) {
    let (width, height) = image.dimensions();
    let (x_period, y_period) = square::square_periods(
        square::AxisPeaks { peaks: x_peaks, len: width },
        square::AxisPeaks { peaks: y_peaks, len: height },
    );
    let mut x_fit = x_period.map(|period| period::fit_axis(x_peaks, period, false));
    let mut y_fit = y_period.map(|period| period::fit_axis(y_peaks, period, false));
    let doubling = split::read(image, x_fit, y_fit);
    if doubling.is_some_and(split::Doubling::is_split) {
        x_fit = x_fit.map(|fit| period::fit_axis(x_peaks, fit.period / 2.0, false));
        y_fit = y_fit.map(|fit| period::fit_axis(y_peaks, fit.period / 2.0, false));
    }
    let found = |fit: AxisFit, len: u32, peaks: &[EdgePeak]| {
        let mut signs = vec![(period::alignment(peaks, fit.period).0, Doubt::IrregularEdges)];
        signs.extend(doubling.map(|doubling| (confidence::doubling_clarity(doubling), Doubt::Doubling)));
        AxisFound { grid: AxisGrid::from_fit(fit, len, cell_count(fit, len), peaks), period: fit.period, signs }
    };
    (x_fit.map(|fit| found(fit, width, x_peaks)), y_fit.map(|fit| found(fit, height, y_peaks)))
}

/// Whether `found`'s cells are the codec's blocks over the whole axis: its edges drift by less
/// than half a block from the block grid's, end to end.
fn codec_locked(found: &AxisFound) -> bool {
    let block = profile::CODEC_BLOCK as f32;
    found.grid.cells() as f32 * (found.period - block).abs() < block / 2.0
}

/// Cells along an axis: one per boundary that lies at least half a period inside the image,
/// plus one. A boundary closer to the edge than that cuts off a sliver, which belongs to its
/// neighbour.
fn cell_count(fit: AxisFit, len: u32) -> u32 {
    let len = len as f32;
    let first = fit.phase + ((0.5 * fit.period - fit.phase) / fit.period).ceil() * fit.period;
    let last = len - 0.5 * fit.period;
    if first > last { 1 } else { ((last - first) / fit.period).floor() as u32 + 2 }
}

#[cfg(test)]
mod tests {
    use image::RgbaImage;

    use super::*;
    use crate::view::view;

    #[test]
    fn counts_cells_with_cut_and_stretched_edges() {
        // 10 cells of 10 px with the grid shifted by 3 px either way.
        assert_eq!(cell_count(AxisFit { period: 10.0, phase: 3.0 }, 100), 10);
        assert_eq!(cell_count(AxisFit { period: 10.0, phase: 7.0 }, 100), 10);
        assert_eq!(cell_count(AxisFit { period: 10.2, phase: 0.1 }, 100), 10);
    }

    /// 16×16 fake pixels of `pitch` px, the first cut by `origin` px, each boundary moved by up
    /// to a tenth of a cell; colours within 40 levels, with block steps like the codec's, a 3×3
    /// blur and noise.
    fn codec_sized_cells(pitch: f32, origin: f32, seed: u32) -> RgbaImage {
        let hash = |i: u32| {
            let mut z = u64::from(i).wrapping_add(0x9e37_79b9_7f4a_7c15);
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            ((z ^ (z >> 31)) >> 32) as u32
        };
        let boundaries: Vec<f32> = (0..=16u32)
            .map(|k| {
                origin + k as f32 * pitch + if k % 16 == 0 { 0.0 } else { (hash(k + seed) % 160) as f32 / 100.0 - 0.8 }
            })
            .collect();
        let len = (16.0 * pitch).round() as u32;
        let cell = |v: u32| boundaries.iter().rposition(|&b| b <= v as f32 + 0.5).unwrap_or(0).min(15) as u32;
        let sharp = RgbaImage::from_fn(len, len, |x, y| {
            let colour = hash(cell(x) * 31 + cell(y) * 1009 + 7);
            let step = hash((x / 8) * 97 + (y / 8) * 389 + 3) % 3;
            let noise = hash(x * 7919 + y * 104_729) % 7;
            let channel = |base: u32, value: u32| (base + value % 40 + noise) as u8;
            image::Rgba([channel(80 + step, colour), channel(90 + step, colour / 7), channel(100, colour / 49), 255])
        });
        RgbaImage::from_fn(len, len, |x, y| {
            let mut sum = [0u32; 3];
            for (nx, ny) in
                (0..9).map(|i| ((x + i % 3).saturating_sub(1).min(len - 1), (y + i / 3).saturating_sub(1).min(len - 1)))
            {
                (0..3).for_each(|c| sum[c] += u32::from(sharp.get_pixel(nx, ny).0[c]));
            }
            image::Rgba([(sum[0] / 9) as u8, (sum[1] / 9) as u8, (sum[2] / 9) as u8, 255])
        })
    }

    /// Fake pixels within a few per cent of the codec's 8 px blocks: cleaning the codec's comb off
    /// the profiles takes the grid's edges with it (the cleaned profiles read 17 to 33 cells
    /// here), the raw ones keep them.
    #[test]
    fn finds_cells_as_large_as_the_codec_blocks() {
        for (pitch, origin) in [(7.92, -2.1), (8.05, 0.0), (8.05, -1.0), (8.05, -2.1), (8.1, -2.1)] {
            for seed in [40, 41, 42] {
                let found = detect_grid(&view(&codec_sized_cells(pitch, origin, seed)), None).expect("a grid");
                assert_eq!(found.grid.size(), SpriteSize::new(16, 16), "{pitch} px from {origin}, seed {seed}");
                assert!(found.confidence.score >= confidence::UNSURE, "{pitch} px: {:?}", found.confidence);
            }
        }
    }

    /// The raw profile's peaks, the codec's comb among them, align poorly on the grid; the
    /// cleaned profile's align well and give the edges' regularity. Other signs stay.
    #[test]
    fn edge_regularity_comes_from_the_better_aligned_profile() {
        let found = AxisFound {
            grid: AxisGrid::uniform(100, 10),
            period: 10.0,
            signs: vec![(0.3, Doubt::IrregularEdges), (0.6, Doubt::Doubling)],
        };
        let clean: Vec<EdgePeak> = (1..10).map(|k| EdgePeak { position: 10.0 * k as f32, prominence: 1.0 }).collect();
        let found = found.also_aligned_on(&clean);
        assert!(found.signs[0].0 > 0.99, "{:?}", found.signs);
        assert_eq!(found.signs[1], (0.6, Doubt::Doubling));
        // Peaks off the grid do not lower it.
        let off: Vec<EdgePeak> = (1..10).map(|k| EdgePeak { position: 8.0 * k as f32, prominence: 1.0 }).collect();
        assert!(found.also_aligned_on(&off).signs[0].0 > 0.99);
    }

    #[test]
    fn rejects_a_target_larger_than_the_image() {
        let image = RgbaImage::new(10, 10);
        assert!(matches!(
            detect_grid(&view(&image), Some(SpriteSize::new(11, 4))),
            Err(GridError::SizeOutOfRange { target_width: 11, .. })
        ));
    }
}
