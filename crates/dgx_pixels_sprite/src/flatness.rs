//! Whether a backdrop candidate is a real backdrop or a flat-looking part of the sprite.
//!
//! A tile (grass, a chest, a potion on a black square) has no backdrop, yet its border may be
//! one colour, which a flood fill would wrongly clear. What tells them apart is that a painted
//! backdrop is one smooth fill, while every fake pixel of the sprite carries its own slight
//! colour drift. So, over the candidate cells, the colour difference between *neighbouring
//! cells* is compared with the difference between the two halves of *one cell* (patches of the
//! same size, so noise weighs the same in both): about 1 for a smooth fill, clearly more for
//! drifting fake pixels. The same test, with the colour's distance from the backdrop, tells a
//! hole in the sprite through which the backdrop shows from a part of the sprite drawn in a
//! colour near the backdrop's.

use image::RgbaImage;

use crate::background::{Backdrop, BackgroundOptions, enclosed_regions, find_backdrop};
use crate::color::Oklab;
use crate::downsample::CENTRE_SHARE;
use crate::grid::PixelGrid;
use crate::view::RgbaView;

/// Above this drift ratio a backdrop candidate is taken to be part of the sprite: a smooth fill
/// (gradient and codec blocks included) stays within a few times, drifting fake pixels reach
/// ten times and more.
pub const MAX_BACKDROP_DRIFT: f32 = 5.0;

/// The drift ratio (median squared difference between neighbouring cells over that between the
/// halves of one cell) of the cells of `grid` selected by `mask` (one entry per cell, row by
/// row), over side-by-side and stacked pairs, or `None` when fewer than a handful of
/// neighbouring cell pairs are selected.
pub fn backdrop_drift(image: &RgbaView<'_>, grid: &PixelGrid, mask: &[bool]) -> Option<f32> {
    let columns = grid.x.edges();
    let rows = grid.y.edges();
    let (cells_x, cells_y) = (grid.x.cells() as usize, grid.y.cells() as usize);
    // Mean colour of one half of a cell's central region: the first or second half along x
    // (left, right) or along y (top, bottom).
    let half_mean = |cx: usize, cy: usize, along_y: bool, second: bool| -> Option<[f32; 3]> {
        let (x0, x1) = (columns[cx], columns[cx + 1]);
        let (y0, y1) = (rows[cy], rows[cy + 1]);
        let (mx, my) = ((x1 - x0) * (1.0 - CENTRE_SHARE) / 2.0, (y1 - y0) * (1.0 - CENTRE_SHARE) / 2.0);
        let (mut xs, mut ys) = ((x0 + mx, x1 - mx), (y0 + my, y1 - my));
        let halved = if along_y { &mut ys } else { &mut xs };
        let middle = (halved.0 + halved.1) / 2.0;
        *halved = if second { (middle, halved.1) } else { (halved.0, middle) };
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
    };
    let squared = |a: [f32; 3], b: [f32; 3]| -> f32 { (0..3).map(|c| (a[c] - b[c]).powi(2)).sum() };
    let (mut between, mut within) = (Vec::new(), Vec::new());
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
                let (Some(first), Some(second), Some(next)) = (
                    half_mean(cx, cy, along_y, false),
                    half_mean(cx, cy, along_y, true),
                    half_mean(nx, ny, along_y, false),
                ) else {
                    continue;
                };
                within.push(squared(first, second));
                between.push(squared(second, next));
            }
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

/// Whether the cells selected by `mask` are painted backdrop: smooth enough, over enough
/// neighbouring pairs to tell. A candidate that cannot be measured (a few scattered cells) is
/// not taken: a real backdrop along the border always gives pairs, and a flood that found only
/// scattered cells has found sprite pixels near the border's colour.
pub fn is_painted(image: &RgbaView<'_>, grid: &PixelGrid, mask: &[bool]) -> bool {
    backdrop_drift(image, grid, mask).is_some_and(|drift| drift <= MAX_BACKDROP_DRIFT)
}

/// The painted backdrop of `cells` (the frame `image` downsampled on `grid`): the border's
/// backdrop ([`find_backdrop`]) when it is painted ([`is_painted`]), together with each enclosed
/// region of its colour that is the same backdrop seen through a hole in the sprite: painted
/// too, and on average no further from the backdrop's colour than nine in ten of the border
/// backdrop's own cells are. An enclosed region that drifts like fake pixels, or that is
/// consistently a shade off the backdrop (a part of the sprite drawn in a colour near it, such
/// as the white of an eye on a white backdrop), stays, as does one too small to measure.
pub fn painted_backdrop(
    image: &RgbaView<'_>,
    grid: &PixelGrid,
    cells: &RgbaImage,
    options: &BackgroundOptions,
) -> Option<Backdrop> {
    let mut backdrop = find_backdrop(cells, options).filter(|b| is_painted(image, grid, &b.mask))?;
    let reference = Oklab::from(backdrop.colour);
    let colours: Vec<Oklab> = cells.pixels().map(|p| Oklab::from_srgb([p.0[0], p.0[1], p.0[2]])).collect();
    let mut distances: Vec<f32> =
        colours.iter().zip(&backdrop.mask).filter(|(_, m)| **m).map(|(c, _)| c.distance(reference)).collect();
    if distances.is_empty() {
        return Some(backdrop);
    }
    let nine_in_ten = distances.len() * 9 / 10;
    let typical = *distances.select_nth_unstable_by(nine_in_ten, f32::total_cmp).1;
    for hole in enclosed_regions(cells, &backdrop, options) {
        let inside = Oklab::mean(colours.iter().zip(&hole).filter(|(_, h)| **h).map(|(c, _)| *c));
        if inside.is_some_and(|c| c.distance(reference) <= typical) && is_painted(image, grid, &hole) {
            backdrop.mask.iter_mut().zip(&hole).for_each(|(m, &h)| *m |= h);
        }
    }
    Some(backdrop)
}

/// Fewest neighbouring candidate cells that make the ratio worth computing.
const MIN_PAIRS: usize = 8;

/// Medians rather than means, so that the few sprite cells a flood fill may take along (an
/// outline pixel close to the backdrop colour) do not decide.
fn median(values: &mut [f32]) -> f32 {
    let middle = values.len() / 2;
    *values.select_nth_unstable_by(middle, f32::total_cmp).1
}
