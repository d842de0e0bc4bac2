//! Taking the blur back out of small cells: the colour their neighbours lend their centres.
//!
//! [`crate::downsample`] reads each cell from the middle half of it, which is clear of the
//! blurred edges while cells are large. In cells under about 10 px the blur (a generator's
//! anti-aliasing, 0.5–1.5 px on the fidelity bench) reaches that middle, and JPEG's halved
//! chroma (4:2:0) reaches further: a dark green pixel on pink reads pinkish, and a small sprite's
//! palette is fitted to such mixtures (the bench's lizard at 6 px lost 12 % of its pixels so).
//!
//! The model: the image is the cells' flat colours blurred by a Gaussian of one width σ. A
//! cell's mean over a rectangle is then a weighted sum of its neighbours' colours, and the
//! weights are separable: `M = Wy·C·Wxᵀ`, `Wx[a][b]` being the share of a blurred column `b`
//! that falls on the sampled columns of `a` ([`axis_weights`]). So the colours are
//! `C = Wy⁻¹·M·Wx⁻ᵀ`, two banded solves per axis ([`banded`]), and each cell moves by the
//! difference between that and its plain mean.
//!
//! σ is the image's own: the one under which colours solved from the middle halves best
//! predict the means over wider rectangles ([`WIDE_SHARE`]), read in luma. Chroma takes σ or,
//! when the image's chroma says so, σ widened by JPEG's halving ([`HALVED_CHROMA_VARIANCE`]).
//! Cells of [`SHARP_PITCH`] px and more are left alone: no blur looked for reaches their middle.

mod banded;

use std::sync::LazyLock;

use image::RgbaImage;

use crate::downsample::{CENTRE_SHARE, sample_lines};
use crate::grid::PixelGrid;
use crate::view::RgbaView;
use banded::{Banded, BandedLu};

/// Narrowest and widest blur looked for, in px. A blur wider than 2 px (edges soft over 5 px)
/// is not crisp art but shading, which no flat-cell model explains.
const NARROWEST_BLUR: f64 = 0.3;
const WIDEST_BLUR: f64 = 2.0;

/// Blurs are tried this far apart (px), then the best is refined by a parabola through it and
/// its neighbours (on the bench's sprites the fit's minimum is smooth and single).
const BLUR_STEP: f64 = 0.1;

/// The blur is taken to be at most this share of the cell pitch: wider, the weights lose the
/// cell's own colour and solving them amplifies noise.
const BLUR_PER_PITCH: f64 = 1.0 / 3.0;

/// From this pitch on nothing is undone: the middle half starts a quarter pitch (6 px) in, three
/// of the widest blur's deviations, where under 0.2 % of a neighbour's colour arrives.
const SHARP_PITCH: f32 = 24.0;

/// A blur carries nothing further than this many deviations.
const REACH: f64 = 4.0;

/// The share of each cell whose mean the blur must predict: wider than the middle half read,
/// so that it sees the blurred edges.
const WIDE_SHARE: f32 = 0.8;

/// The variance (px², along each axis) that JPEG's 4:2:0 chroma adds to the blur: the mean of
/// 2 pixels (1/3) interpolated back linearly between block centres 2 px apart (2/3), as libjpeg
/// decodes it. On the fidelity bench's sprites in cells under 10 px, the chroma blur that best
/// recovered the true colours was √(σ² + 1) to within 0.2 px on 13 of 14.
const HALVED_CHROMA_VARIANCE: f64 = 1.0;

/// RGB to Y′CbCr (JFIF, full range): luma and chroma blur by different widths in a JPEG.
pub(crate) const TO_YCC: [[f64; 3]; 3] =
    [[0.299, 0.587, 0.114], [-0.168_736, -0.331_264, 0.5], [0.5, -0.418_688, -0.081_312]];
pub(crate) const FROM_YCC: [[f64; 3]; 3] = [[1.0, 0.0, 1.402], [1.0, -0.344_136, -0.714_136], [1.0, 1.772, 0.0]];

/// `cells` (read by [`crate::downsample::downsample`] from `image` on `grid`) with each moved by
/// the colour the blur lent it from its neighbours; `None` where cells are large, where `image`
/// has transparency of its own (nothing was blurred onto a backdrop), or where no blur looked
/// for explains the image.
pub fn unblur(image: &RgbaView<'_>, grid: &PixelGrid, cells: &RgbaImage) -> Option<RgbaImage> {
    if grid.x.pitch().min(grid.y.pitch()) >= SHARP_PITCH || cells.pixels().any(|p| p.0[3] < u8::MAX) {
        return None;
    }
    let reading = Reading::new(image, grid);
    let luma = reading.model(reading.luma_blur()?)?;
    let halved = reading.halved_chroma(&luma);
    let mut shifts: Planes = Default::default();
    for (channel, shift) in shifts.iter_mut().enumerate() {
        let model = if channel == 0 { &luma } else { halved.as_ref().unwrap_or(&luma) };
        let read = &reading.centre_means[channel];
        *shift = model.undo(read).iter().zip(read).map(|(solved, read)| solved - read).collect();
    }
    let mut unblurred = cells.clone();
    for (i, pixel) in unblurred.pixels_mut().enumerate() {
        for (value, row) in pixel.0.iter_mut().zip(FROM_YCC) {
            let shift: f64 = (0..3).map(|k| row[k] * shifts[k][i]).sum();
            *value = (f64::from(*value) + shift).round().clamp(0.0, 255.0) as u8;
        }
    }
    Some(unblurred)
}

/// An image's cells read twice: the means of their middle halves and of wider rectangles.
struct Reading<'g> {
    grid: &'g PixelGrid,
    centre: Lines,
    wide: Lines,
    centre_means: Planes,
    wide_means: Planes,
}

impl<'g> Reading<'g> {
    fn new(image: &RgbaView<'_>, grid: &'g PixelGrid) -> Self {
        let (centre, wide) = (Lines::new(grid, CENTRE_SHARE), Lines::new(grid, WIDE_SHARE));
        let (centre_means, wide_means) = (centre.means(image), wide.means(image));
        Self { grid, centre, wide, centre_means, wide_means }
    }

    fn model(&self, sigma: f64) -> Option<Model> {
        Model::new(self.grid, &self.centre, &self.wide, sigma)
    }

    /// How badly a blur of `sigma` predicts the wide means of `channels` from the middle ones.
    fn misfit(&self, sigma: f64, channels: std::ops::Range<usize>) -> f64 {
        self.model(sigma).map_or(f64::INFINITY, |model| self.model_misfit(&model, channels))
    }

    fn model_misfit(&self, model: &Model, channels: std::ops::Range<usize>) -> f64 {
        channels.map(|c| model.residual(&self.centre_means[c], &self.wide_means[c])).sum()
    }

    /// The blur σ (px) that best predicts the wide means in luma, on a ladder of σ
    /// [`BLUR_STEP`] apart and refined by a parabola; `None` when the cells are too small for
    /// any blur looked for. The ladder is read every second rung, then beside the best of those:
    /// the misfit falls to one minimum and rises after it, so that finds the rung a full scan
    /// would with two thirds of its fits (on the bench's ten sets, 1,000 outputs, the same).
    fn luma_blur(&self) -> Option<f64> {
        let pitch = f64::from(self.grid.x.pitch().min(self.grid.y.pitch()));
        let widest = WIDEST_BLUR.min(pitch * BLUR_PER_PITCH);
        let rungs = ((widest - NARROWEST_BLUR) / BLUR_STEP).floor() as usize + 1;
        let sigma = |rung: usize| NARROWEST_BLUR + rung as f64 * BLUR_STEP;
        let mut misfits: Vec<Option<f64>> = vec![None; rungs];
        let mut misfit = |rung: usize| *misfits[rung].get_or_insert_with(|| self.misfit(sigma(rung), 0..1));
        let mut lowest = |candidates: Vec<usize>| {
            candidates
                .into_iter()
                .map(|rung| (rung, misfit(rung)))
                .filter(|(_, misfit)| misfit.is_finite())
                .min_by(|a, b| a.1.total_cmp(&b.1))
        };
        let (coarse, _) = lowest((0..rungs).step_by(2).chain([rungs - 1]).collect())?;
        let (best, at) = lowest((coarse.saturating_sub(1)..=(coarse + 1).min(rungs - 1)).collect())?;
        if best == 0 || best + 1 == rungs {
            return Some(sigma(best));
        }
        let (before, after) = (misfit(best - 1), misfit(best + 1));
        if !(before.is_finite() && after.is_finite()) {
            return Some(sigma(best));
        }
        let curvature = before - 2.0 * at + after;
        let offset = if curvature > 0.0 { (0.5 * (before - after) / curvature).clamp(-0.5, 0.5) } else { 0.0 };
        Some(sigma(best) + offset * BLUR_STEP)
    }

    /// The blur of luma widened by JPEG's halved chroma, where it predicts the wide means of Cb
    /// and Cr better than luma's blur does; `None` where the chroma is blurred as luma is.
    fn halved_chroma(&self, luma: &Model) -> Option<Model> {
        let halved = self.model((luma.sigma * luma.sigma + HALVED_CHROMA_VARIANCE).sqrt())?;
        (self.model_misfit(&halved, 1..3) < self.model_misfit(luma, 1..3)).then_some(halved)
    }
}

/// Three planes (Y′, Cb, Cr) of one value per cell, row by row.
type Planes = [Vec<f64>; 3];

/// The pixel columns and rows read in each cell, for one share of the cell.
struct Lines {
    columns: Vec<Vec<u32>>,
    rows: Vec<Vec<u32>>,
}

impl Lines {
    fn new(grid: &PixelGrid, share: f32) -> Self {
        Self { columns: sample_lines(&grid.x, share), rows: sample_lines(&grid.y, share) }
    }

    /// Each cell's mean over its lines, in Y′CbCr.
    fn means(&self, image: &RgbaView<'_>) -> Planes {
        let (width, height) = image.dimensions();
        let stride = width as usize * 4;
        let cells = self.columns.len() * self.rows.len();
        let mut planes: Planes = std::array::from_fn(|_| Vec::with_capacity(cells));
        for ys in &self.rows {
            for xs in &self.columns {
                // Whole levels, summed exactly.
                let mut sum = [0u32; 3];
                for &y in ys {
                    let row = &image.as_raw()[y.min(height - 1) as usize * stride..][..stride];
                    for &x in xs {
                        let pixel = &row[x.min(width - 1) as usize * 4..][..3];
                        (0..3).for_each(|c| sum[c] += u32::from(pixel[c]));
                    }
                }
                let count = (ys.len() * xs.len()) as f64;
                for (plane, row) in planes.iter_mut().zip(TO_YCC) {
                    plane.push((0..3).map(|c| row[c] * f64::from(sum[c])).sum::<f64>() / count);
                }
            }
        }
        planes
    }
}

/// The blur of one σ over one grid: per axis, the weights of the middle lines (factorised, to
/// undo) and of the wide ones (to predict).
struct Model {
    sigma: f64,
    columns: (BandedLu, Banded),
    rows: (BandedLu, Banded),
}

impl Model {
    fn new(grid: &PixelGrid, centre: &Lines, wide: &Lines, sigma: f64) -> Option<Self> {
        let axis = |edges: &[f32], centre: &[Vec<u32>], wide: &[Vec<u32>]| {
            Some((axis_weights(edges, centre, sigma).factorise()?, axis_weights(edges, wide, sigma)))
        };
        Some(Self {
            sigma,
            columns: axis(grid.x.edges(), &centre.columns, &wide.columns)?,
            rows: axis(grid.y.edges(), &centre.rows, &wide.rows)?,
        })
    }

    /// The cells' colours `C` with `Wy·C·Wxᵀ = plane` (one channel of the middle means).
    fn undo(&self, plane: &[f64]) -> Vec<f64> {
        let mut solved = plane.to_vec();
        along_rows(&mut solved, self.columns.0.size(), |row, _| self.columns.0.solve(row));
        along_columns(&mut solved, self.columns.0.size(), |column, _| self.rows.0.solve(column));
        solved
    }

    /// How far the wide means the model predicts from the middle ones lie from those read:
    /// the sum of squared differences.
    fn residual(&self, centre: &[f64], wide: &[f64]) -> f64 {
        let mut predicted = self.undo(centre);
        let nx = self.columns.0.size();
        along_rows(&mut predicted, nx, |row, scratch| {
            self.columns.1.multiply(row, scratch);
            row.copy_from_slice(scratch);
        });
        along_columns(&mut predicted, nx, |column, scratch| {
            self.rows.1.multiply(column, scratch);
            column.copy_from_slice(scratch);
        });
        predicted.iter().zip(wide).map(|(p, w)| (p - w) * (p - w)).sum()
    }
}

/// Calls `each` on every row of the `nx`-wide field, with a scratch row.
fn along_rows(field: &mut [f64], nx: usize, mut each: impl FnMut(&mut [f64], &mut [f64])) {
    let mut scratch = vec![0.0; nx];
    field.chunks_exact_mut(nx).for_each(|row| each(row, &mut scratch));
}

/// Calls `each` on every column of the `nx`-wide field (copied out and back), with a scratch.
fn along_columns(field: &mut [f64], nx: usize, mut each: impl FnMut(&mut [f64], &mut [f64])) {
    let ny = field.len() / nx;
    let (mut column, mut scratch) = (vec![0.0; ny], vec![0.0; ny]);
    for x in 0..nx {
        column.iter_mut().enumerate().for_each(|(y, v)| *v = field[y * nx + x]);
        each(&mut column, &mut scratch);
        column.iter().enumerate().for_each(|(y, &v)| field[y * nx + x] = v);
    }
}

/// `W[a][b]`: the mean, over the lines read in cell `a`, of the share of cell `b`'s blurred
/// column that falls there. The outer cells reach to infinity (past the image's edge the
/// generator painted the same colour on).
fn axis_weights(edges: &[f32], lines: &[Vec<u32>], sigma: f64) -> Banded {
    let n = lines.len();
    let edge = |b: usize| match b {
        0 => f64::NEG_INFINITY,
        b if b == n => f64::INFINITY,
        b => f64::from(edges[b]),
    };
    // The band: the cells whose edges lie within the blur's reach of a cell's lines.
    let reach = REACH * sigma;
    let band = (0..n)
        .map(|a| {
            let first = f64::from(lines[a].first().copied().unwrap_or(0)) + 0.5 - reach;
            let last = f64::from(lines[a].last().copied().unwrap_or(0)) + 0.5 + reach;
            let lowest = (0..a).rev().find(|&b| edge(b + 1) <= first).map_or(0, |b| b + 1);
            let highest = (a + 1..n).find(|&b| edge(b) >= last).map_or(n - 1, |b| b - 1);
            (a - lowest).max(highest - a)
        })
        .max()
        .unwrap_or(0);
    // Per row, the lines' mean of Φ at each edge in the band: an entry is the difference of two.
    let below = |a: usize| a.saturating_sub(band);
    let at_edges: Vec<Vec<f64>> = (0..n)
        .map(|a| {
            (below(a)..=(a + band + 1).min(n))
                .map(|k| {
                    let sum: f64 =
                        lines[a].iter().map(|&line| normal_cdf((edge(k) - (f64::from(line) + 0.5)) / sigma)).sum();
                    sum / lines[a].len() as f64
                })
                .collect()
        })
        .collect();
    Banded::from_fn(n, band, |a, b| at_edges[a][b + 1 - below(a)] - at_edges[a][b - below(a)])
}

/// Φ, the standard normal distribution function, from a table (linear between entries 1/64
/// apart: within 1e-5), since the blur's fit evaluates it some ten thousand times an image.
fn normal_cdf(z: f64) -> f64 {
    const STEPS_PER_UNIT: f64 = 64.0;
    const SPAN: f64 = REACH + 2.0;
    static TABLE: LazyLock<Vec<f64>> = LazyLock::new(|| {
        let entries = (2.0 * SPAN * STEPS_PER_UNIT) as usize + 1;
        (0..entries).map(|i| 0.5 * libm::erfc(-(i as f64 / STEPS_PER_UNIT - SPAN) / std::f64::consts::SQRT_2)).collect()
    });
    // The outer cells' edges lie at ±∞: z is infinite there.
    let at = (z + SPAN) * STEPS_PER_UNIT;
    let last = TABLE.len() - 1;
    if at.is_nan() || at <= 0.0 {
        0.0
    } else if at >= last as f64 {
        1.0
    } else {
        let index = at as usize;
        TABLE[index] + (TABLE[index + 1] - TABLE[index]) * (at - index as f64)
    }
}

#[cfg(test)]
mod tests {
    use image::Rgba;

    use super::*;
    use crate::downsample::downsample;
    use crate::fake_art::blurred_cells;
    use crate::grid::AxisGrid;
    use crate::view::view;

    const CELLS: u32 = 16;

    /// 16×16 cells of four far-apart colours in a scatter: every cell has neighbours of another
    /// colour, as in a small sprite's detail (the bench's lizard: dark green on pink, red eyes).
    fn sprite() -> RgbaImage {
        const COLOURS: [[u8; 3]; 4] = [[12, 67, 1], [230, 180, 200], [220, 20, 20], [38, 182, 9]];
        RgbaImage::from_fn(CELLS, CELLS, |x, y| {
            let [r, g, b] = COLOURS[((x * 7 + y * 13 + x * y) % 4) as usize];
            Rgba([r, g, b, 255])
        })
    }

    fn grid(image: &RgbaImage) -> PixelGrid {
        PixelGrid { x: AxisGrid::uniform(image.width(), CELLS), y: AxisGrid::uniform(image.height(), CELLS) }
    }

    /// The largest difference of any channel of any cell from the sprite's.
    fn worst_error(cells: &RgbaImage) -> u8 {
        cells
            .pixels()
            .zip(sprite().pixels())
            .flat_map(|(got, want)| (0..3).map(|c| got.0[c].abs_diff(want.0[c])))
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn normal_cdf_reaches_the_outer_cells_edges_at_infinity() {
        assert_eq!(normal_cdf(f64::NEG_INFINITY), 0.0);
        assert_eq!(normal_cdf(f64::INFINITY), 1.0);
        for z in [-2.5, -0.3, 0.0, 0.7, 3.1] {
            let exact = 0.5 * libm::erfc(-z / std::f64::consts::SQRT_2);
            assert!((normal_cdf(z) - exact).abs() < 1e-5, "Φ({z}) = {} against {exact}", normal_cdf(z));
        }
    }

    #[test]
    fn finds_the_blur_the_image_has() {
        for sigma in [0.6, 1.0, 1.4] {
            let image = blurred_cells(&sprite(), 7.0, sigma, false);
            let grid = grid(&image);
            let reading = Reading::new(&view(&image), &grid);
            let luma = reading.luma_blur().expect("7 px cells leave room for the blur");
            assert!((luma - f64::from(sigma)).abs() < 0.1, "blur {sigma} read as {luma}");
            let model = reading.model(luma).expect("a blur a fifth of the cells");
            assert!(reading.halved_chroma(&model).is_none(), "chroma at full resolution is blurred as luma is");
        }
    }

    #[test]
    fn widens_the_chroma_blur_where_jpeg_halved_the_chroma() {
        let image = blurred_cells(&sprite(), 7.0, 1.0, true);
        let grid = grid(&image);
        let reading = Reading::new(&view(&image), &grid);
        let luma = reading.luma_blur().expect("7 px cells leave room for the blur");
        assert!((luma - 1.0).abs() < 0.1, "luma's blur read as {luma}");
        let model = reading.model(luma).expect("a blur a seventh of the cells");
        assert!(reading.halved_chroma(&model).is_some(), "halved chroma read as blurred as luma is");
    }

    #[test]
    fn takes_the_neighbours_colour_back_out() {
        for (sigma, halve_chroma) in [(1.3, false), (1.3, true), (0.8, true)] {
            let image = blurred_cells(&sprite(), 6.25, sigma, halve_chroma);
            let grid = grid(&image);
            let read = downsample(&view(&image), &grid);
            let unblurred = unblur(&view(&image), &grid, &read).expect("6 px cells are unblurred");
            let (before, after) = (worst_error(&read), worst_error(&unblurred));
            assert!(
                after <= 6 && after * 3 <= before,
                "blur {sigma}, halved {halve_chroma}: worst {before} -> {after}"
            );
        }
    }

    #[test]
    fn leaves_large_cells_and_transparency_alone() {
        let large = blurred_cells(&sprite(), 24.0, 1.0, true);
        let grid_large = grid(&large);
        assert!(unblur(&view(&large), &grid_large, &downsample(&view(&large), &grid_large)).is_none());
        let mut small = blurred_cells(&sprite(), 7.0, 1.0, true);
        // One cell (7, 7) transparent.
        (49..56).for_each(|x| (49..56).for_each(|y| small.put_pixel(x, y, Rgba([0, 0, 0, 0]))));
        let grid_small = grid(&small);
        let cells = downsample(&view(&small), &grid_small);
        assert_eq!(cells.get_pixel(7, 7).0[3], 0);
        assert!(unblur(&view(&small), &grid_small, &cells).is_none());
    }
}
