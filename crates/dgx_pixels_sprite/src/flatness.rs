//! Whether a backdrop candidate is a real backdrop or a flat-looking part of the sprite.
//!
//! A tile (grass, a chest, a potion on a black square) has no backdrop, yet its border may be
//! one colour, which a flood fill would wrongly clear. What tells them apart is that a painted
//! backdrop is one smooth fill, while every fake pixel of the sprite carries its own slight
//! colour drift. So, over the candidate cells, the colour difference between *neighbouring
//! cells* is compared with the difference between the two halves of *one cell* (patches of the
//! same size, so noise weighs the same in both): about 1 for a smooth fill, clearly more for
//! drifting fake pixels.

use crate::downsample::CENTRE_SHARE;
use crate::grid::PixelGrid;
use crate::view::RgbaView;

/// Above this drift ratio a backdrop candidate is taken to be part of the sprite: a smooth fill
/// (gradient and codec blocks included) stays within a few times, drifting fake pixels reach
/// ten times and more.
pub const MAX_BACKDROP_DRIFT: f32 = 5.0;

/// The drift ratio (median squared difference between neighbouring cells over that between the
/// halves of one cell) of the cells of `grid` selected by `mask` (one entry per cell, row by
/// row), or `None` when fewer than a handful of neighbouring cell pairs are selected.
pub fn backdrop_drift(image: &RgbaView<'_>, grid: &PixelGrid, mask: &[bool]) -> Option<f32> {
    let columns = grid.x.edges();
    let rows = grid.y.edges();
    let cells_x = grid.x.cells() as usize;
    // Mean colour of the left or right half of a cell's central region.
    let half_mean = |cx: usize, cy: usize, right: bool| -> Option<[f32; 3]> {
        let (x0, x1) = (columns[cx], columns[cx + 1]);
        let (y0, y1) = (rows[cy], rows[cy + 1]);
        let (mx, my) = ((x1 - x0) * (1.0 - CENTRE_SHARE) / 2.0, (y1 - y0) * (1.0 - CENTRE_SHARE) / 2.0);
        let middle = (x0 + x1) / 2.0;
        let (a, b) = if right { (middle, x1 - mx) } else { (x0 + mx, middle) };
        let (xa, xb) = (a.round() as u32, (b.round() as u32).min(image.width()));
        let (ya, yb) = ((y0 + my).round() as u32, ((y1 - my).round() as u32).min(image.height()));
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
    };
    let squared = |a: [f32; 3], b: [f32; 3]| -> f32 { (0..3).map(|c| (a[c] - b[c]).powi(2)).sum() };
    let (mut between, mut within) = (Vec::new(), Vec::new());
    for cy in 0..grid.y.cells() as usize {
        for cx in 0..cells_x.saturating_sub(1) {
            if !(mask[cy * cells_x + cx] && mask[cy * cells_x + cx + 1]) {
                continue;
            }
            let (Some(left), Some(right), Some(next)) =
                (half_mean(cx, cy, false), half_mean(cx, cy, true), half_mean(cx + 1, cy, false))
            else {
                continue;
            };
            within.push(squared(left, right));
            between.push(squared(right, next));
        }
    }
    if between.len() < MIN_PAIRS {
        return None;
    }
    let (between, within) = (median(&mut between), median(&mut within));
    Some(if within > 0.0 {
        between / within
    } else if between > 0.0 {
        f32::INFINITY
    } else {
        1.0
    })
}

/// Fewest neighbouring candidate cells that make the ratio worth computing.
const MIN_PAIRS: usize = 8;

/// Medians rather than means, so that the few sprite cells a flood fill may take along (an
/// outline pixel close to the backdrop colour) do not decide.
fn median(values: &mut [f32]) -> f32 {
    let middle = values.len() / 2;
    *values.select_nth_unstable_by(middle, f32::total_cmp).1
}
