//! Whether a backdrop candidate is a real backdrop or a flat-looking part of the sprite.
//!
//! A tile (grass, a chest, a potion on a black square) has no backdrop, yet its border may be
//! one colour, which a flood fill would wrongly clear. What tells them apart is that a painted
//! backdrop is one smooth fill, while every fake pixel of the sprite carries its own slight
//! colour drift. So, over the candidate cells, the colour difference between *neighbouring
//! cells* is compared with the difference inside *one cell* (patches of the same size, a quarter
//! of a cell each): about 1 for a smooth fill, clearly more for drifting fake pixels. On the
//! fidelity bench's 250 degraded sprites, painted backdrops gave at most 3.8 and the tiles of
//! large cells far more; tiles of cells under 24 px reach down to about 5, as backdrops of such
//! cells do (BENCHMARKS.md, "Where it still loses"). The same test, with the colour's distance
//! from the backdrop, tells a hole in the sprite through which the backdrop shows from a part of
//! the sprite drawn in a colour near the backdrop's. Cell by cell, the backdrop's field
//! ([`crate::backdrop_field`]) then takes back the sprite cells the flood took along.

use image::RgbaImage;

use crate::backdrop_field::BackdropField;
use crate::background::{Backdrop, BackgroundOptions, enclosed_regions, find_backdrop};
use crate::color::{Oklab, squared_distance};
use crate::downsample::CENTRE_SHARE;
use crate::grid::PixelGrid;
use crate::grid::split::MIN_SPLIT_PERIOD;
use crate::view::RgbaView;

/// Above this drift ratio a backdrop candidate is taken to be part of the sprite: a smooth fill
/// (gradient and codec blocks included) stays within a few times, drifting fake pixels reach
/// ten times and more.
pub const MAX_BACKDROP_DRIFT: f32 = 5.0;

/// The mean colours of the frame's cells by quarters, each read from the image once: the
/// backdrop is looked for in more than one reading of the cells (before and after
/// [`crate::unblur`]), over the same image and grid, and the means are most of its cost.
pub struct CellQuarters<'a> {
    image: RgbaView<'a>,
    grid: &'a PixelGrid,
    /// Per cell (row by row), per direction (along x, along y), per quarter: read yet, and what.
    read: Vec<Option<Option<[f32; 3]>>>,
}

impl<'a> CellQuarters<'a> {
    /// The quarters of the cells of `grid` over `image`, none read yet.
    pub fn new(image: &RgbaView<'a>, grid: &'a PixelGrid) -> Self {
        let cells = grid.x.cells() as usize * grid.y.cells() as usize;
        Self { image: image.clone(), grid, read: vec![None; cells * 8] }
    }

    /// The mean colour of quarter `quarter` (0..4) of cell `(cx, cy)`, along x or along y,
    /// across the cell's central region the other way; `None` where it covers no pixel.
    fn mean(&mut self, cx: usize, cy: usize, along_y: bool, quarter: usize) -> Option<[f32; 3]> {
        let index = ((cy * self.grid.x.cells() as usize + cx) * 2 + usize::from(along_y)) * 4 + quarter;
        if let Some(mean) = self.read[index] {
            return mean;
        }
        let mean = self.read_mean(cx, cy, along_y, quarter as f32);
        self.read[index] = Some(mean);
        mean
    }

    fn read_mean(&self, cx: usize, cy: usize, along_y: bool, quarter: f32) -> Option<[f32; 3]> {
        let (image, columns, rows) = (&self.image, self.grid.x.edges(), self.grid.y.edges());
        let (x0, x1) = (columns[cx], columns[cx + 1]);
        let (y0, y1) = (rows[cy], rows[cy + 1]);
        let (mx, my) = ((x1 - x0) * (1.0 - CENTRE_SHARE) / 2.0, (y1 - y0) * (1.0 - CENTRE_SHARE) / 2.0);
        let (xs, ys) = if along_y {
            let step = (y1 - y0) / 4.0;
            ((x0 + mx, x1 - mx), (y0 + quarter * step, y0 + (quarter + 1.0) * step))
        } else {
            let step = (x1 - x0) / 4.0;
            ((x0 + quarter * step, x0 + (quarter + 1.0) * step), (y0 + my, y1 - my))
        };
        let (xa, xb) = (xs.0.round() as u32, (xs.1.round() as u32).min(image.width()));
        let (ya, yb) = (ys.0.round() as u32, (ys.1.round() as u32).min(image.height()));
        if xb <= xa || yb <= ya {
            return None;
        }
        // Summed as integers (exactly what summing them as floats gave: every partial sum is
        // an integer far below 2^24), so the loop vectorises.
        let mut sum = [0u32; 3];
        let step = ((yb - ya) / 8).max(1) as usize;
        let mut n = 0u32;
        let (width, raw) = (image.width() as usize, image.as_raw());
        for y in (ya as usize..yb as usize).step_by(step) {
            for p in raw[4 * (y * width + xa as usize)..4 * (y * width + xb as usize)].as_chunks::<4>().0 {
                (0..3).for_each(|c| sum[c] += u32::from(p[c]));
            }
            n += xb - xa;
        }
        Some(sum.map(|v| v as f32 / n as f32))
    }
}

/// The drift ratio (median squared difference across the boundary of neighbouring cells over
/// that inside one cell) of the cells selected by `mask` (one entry per cell, row by row): the
/// larger of the ratios over side-by-side and over stacked pairs, or `None` when neither has a
/// handful of neighbouring cell pairs selected.
pub fn backdrop_drift(quarters: &mut CellQuarters<'_>, mask: &[bool]) -> Option<f32> {
    let grid = quarters.grid;
    let (cells_x, cells_y) = (grid.x.cells() as usize, grid.y.cells() as usize);
    let pitch = |along_y: bool| if along_y { grid.y.pitch() } else { grid.x.pitch() };
    // Side by side, then stacked: (between, within) squared differences.
    let mut pairs: [(Vec<f32>, Vec<f32>); 2] = Default::default();
    for cy in 0..cells_y {
        for cx in 0..cells_x {
            if !mask[cy * cells_x + cx] {
                continue;
            }
            // The cell's neighbour to the right, then the one below.
            for (along_y, nx, ny) in [(false, cx + 1, cy), (true, cx, cy + 1)] {
                if nx >= cells_x || ny >= cells_y || !mask[ny * cells_x + nx] {
                    continue;
                }
                // Inside the cell: its second and third quarters. Across the boundary, in cells of
                // MIN_SPLIT_PERIOD and more: its last quarter and the next cell's first, one
                // spacing and one size for both pairs, so a gradient and the codec's blocks weigh
                // the same in both (noise averages out there, and they would decide); in smaller
                // cells those quarters lie in the blur of the boundary, which hides the drift, so
                // the pair is its third quarter and the next cell's second instead.
                let (last, next_first) = if pitch(along_y) >= MIN_SPLIT_PERIOD { (3, 0) } else { (2, 1) };
                let read = [(cx, cy, 1), (cx, cy, 2), (cx, cy, last), (nx, ny, next_first)];
                let [Some(q2), Some(q3), Some(q4), Some(next)] =
                    read.map(|(x, y, quarter)| quarters.mean(x, y, along_y, quarter))
                else {
                    continue;
                };
                let (between, within) = &mut pairs[usize::from(along_y)];
                within.push(squared_distance(q2, q3));
                between.push(squared_distance(q4, next));
            }
        }
    }
    // A painted backdrop is smooth both ways: the rougher direction decides.
    pairs
        .iter_mut()
        .filter(|(between, _)| between.len() >= MIN_PAIRS)
        .map(|(between, within)| {
            let (between, within) = (median(between), median(within));
            if within > 0.0 {
                between / within
            } else if between > 0.0 {
                f32::INFINITY
            } else {
                1.0
            }
        })
        .reduce(f32::max)
}

/// Whether the cells selected by `mask` are painted backdrop: smooth enough, over enough
/// neighbouring pairs to tell. A candidate that cannot be measured (a few scattered cells) is
/// not taken: a real backdrop along the border always gives pairs, and a flood that found only
/// scattered cells has found sprite pixels near the border's colour.
pub fn is_painted(quarters: &mut CellQuarters<'_>, mask: &[bool]) -> bool {
    backdrop_drift(quarters, mask).is_some_and(|drift| drift <= MAX_BACKDROP_DRIFT)
}

/// The painted backdrop of `cells` (the frame of `quarters` downsampled on its grid): the border's
/// backdrop ([`find_backdrop`]) when it is painted ([`is_painted`]), together with each enclosed
/// region of its colour that is the same backdrop seen through a hole in the sprite, less every
/// cell off the backdrop's field ([`BackdropField`]): a part of the sprite drawn in a colour near
/// the backdrop's, which the flood took along.
///
/// An enclosed region of more than [`MIN_PAIRS`] cells is a hole when it is painted too, and on
/// average no further from the backdrop's colour than nine in ten of the border backdrop's own
/// cells are; one that drifts like fake pixels, or is consistently a shade off the backdrop (the
/// white of an eye on a white backdrop), stays. A smaller one cannot be measured that way; it is
/// a hole when every cell of it lies on the field.
pub fn painted_backdrop(
    quarters: &mut CellQuarters<'_>,
    cells: &RgbaImage,
    options: &BackgroundOptions,
) -> Option<Backdrop> {
    let grid = quarters.grid;
    let mut backdrop = find_backdrop(cells, options).filter(|b| is_painted(quarters, &b.mask))?;
    let reference = Oklab::from(backdrop.colour);
    let field = BackdropField::fit(grid, cells, &backdrop.mask, backdrop.colour);
    let colours: Vec<Oklab> = cells.pixels().map(|p| Oklab::from_srgb([p.0[0], p.0[1], p.0[2]])).collect();
    let mut distances: Vec<f32> =
        colours.iter().zip(&backdrop.mask).filter(|(_, m)| **m).map(|(c, _)| c.distance(reference)).collect();
    if distances.is_empty() {
        return Some(backdrop);
    }
    let nine_in_ten = distances.len() * 9 / 10;
    let typical = *distances.select_nth_unstable_by(nine_in_ten, f32::total_cmp).1;
    let flooded = backdrop.mask.clone();
    for hole in enclosed_regions(cells, &backdrop, options) {
        let is_hole = if hole.len() <= MIN_PAIRS {
            // Fewer than MIN_PAIRS neighbouring pairs either way: not measurable as painted.
            field.as_ref().is_some_and(|f| hole.iter().all(|&index| f.holds(cells, index)))
        } else {
            let inside = Oklab::mean(hole.iter().map(|&index| colours[index]));
            inside.is_some_and(|c| c.distance(reference) <= typical) && {
                let mut mask = vec![false; colours.len()];
                hole.iter().for_each(|&index| mask[index] = true);
                is_painted(quarters, &mask)
            }
        };
        if is_hole {
            hole.iter().for_each(|&index| backdrop.mask[index] = true);
        }
    }
    if let Some(field) = field {
        for index in 0..backdrop.mask.len() {
            if backdrop.mask[index] && !field.holds_beside(cells, &flooded, index) {
                backdrop.mask[index] = false;
            }
        }
    }
    Some(backdrop)
}

/// Fewest neighbouring candidate cells that make the ratio worth computing.
const MIN_PAIRS: usize = 8;

/// The middle value of `values` (the upper one of an even count; not empty). Medians rather than
/// means, so that the few sprite cells a flood fill may take along (an outline pixel close to the
/// backdrop colour) do not decide.
pub(crate) fn median(values: &mut [f32]) -> f32 {
    let middle = values.len() / 2;
    *values.select_nth_unstable_by(middle, f32::total_cmp).1
}

#[cfg(test)]
mod tests {
    use image::Rgba;

    use super::*;
    use crate::grid::AxisGrid;
    use crate::view::view;

    /// 8×8 cells of 10 px with a little pixel noise; `row_drift` shifts each row of cells by its
    /// own amount, as fake pixels drift, so the image is smooth along rows and drifts down them.
    fn cells(row_drift: u8) -> RgbaImage {
        RgbaImage::from_fn(80, 80, |x, y| {
            let noise = ((x * 7 + y * 13) % 5) as u8;
            let drift = row_drift * ((y / 10 * 3) % 4) as u8;
            Rgba([120 + drift + noise, 140 + noise, 160 + drift, 255])
        })
    }

    /// A noiseless gradient over cells of 40 px: patches at one spacing differ alike inside a
    /// cell and across its boundary, so it is painted (at unequal spacings a gradient alone would
    /// read as drift: (3/1)² = 9).
    #[test]
    fn a_smooth_gradient_of_large_cells_is_painted() {
        let image = RgbaImage::from_fn(320, 320, |x, y| {
            let shade = 150 + ((x + y) / 20) as u8;
            Rgba([shade, shade, shade + 10, 255])
        });
        let grid = PixelGrid { x: AxisGrid::uniform(320, 8), y: AxisGrid::uniform(320, 8) };
        let drift = backdrop_drift(&mut CellQuarters::new(&view(&image), &grid), &[true; 64]).expect("enough pairs");
        assert!(drift <= MAX_BACKDROP_DRIFT, "{drift}");
    }

    #[test]
    fn a_smooth_fill_is_painted_and_drift_either_way_is_not() {
        let grid = PixelGrid { x: AxisGrid::uniform(80, 8), y: AxisGrid::uniform(80, 8) };
        let all = vec![true; 64];
        let (smooth, drifting) = (cells(0), cells(6));
        let (smooth, drifting) = (view(&smooth), view(&drifting));
        let (mut smooth, mut drifting) = (CellQuarters::new(&smooth, &grid), CellQuarters::new(&drifting, &grid));
        let drift = backdrop_drift(&mut smooth, &all).expect("enough pairs");
        assert!(drift <= MAX_BACKDROP_DRIFT, "{drift}");
        // Smooth along rows, drifting down them: the rougher direction decides.
        let drift = backdrop_drift(&mut drifting, &all).expect("enough pairs");
        assert!(drift > MAX_BACKDROP_DRIFT, "{drift}");
        assert!(!is_painted(&mut drifting, &all));
        // Too few cells to tell: not painted.
        let few: Vec<bool> = (0..64).map(|i| i < 3).collect();
        assert_eq!(backdrop_drift(&mut smooth, &few), None);
        assert!(!is_painted(&mut smooth, &few));
    }
}
