//! Whether each detected cell is really two: the test that finds the grid of pixel art drawn at
//! 2× (every fake pixel doubled), whose strong edges fall only on every second boundary.
//!
//! Each fake pixel of a generated image has its own slight colour drift, even where the artist
//! meant two pixels of one colour. So when the two halves of the detected cells differ in colour
//! consistently more than two equally sized patches inside one half do, the halves are separate
//! pixels and the true period is half the detected one.

use super::period::AxisFit;
use crate::view::RgbaView;

/// Lines (rows or columns) read at most.
const MAX_LINES: u32 = 192;

/// Halves must differ this many times more than patches within a half to count as two pixels.
pub const SPLIT_CONTRAST: f32 = 1.4;

/// Only cells at least this wide are tested: in narrower ones the blur from the cell edges
/// reaches the patches and the test says nothing.
pub const MIN_SPLIT_PERIOD: f32 = 24.0;

/// Which way an [`AxisFit`] runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Axis {
    /// Along x: cells are columns.
    X,
    /// Along y: cells are rows.
    Y,
}

/// The mean colour difference between the two halves of the cells of `fit`, over the mean
/// difference between two patches inside the first half (patches of equal size, so noise
/// weighs the same in both). About 1 for whole cells; clearly above for cells that are two.
pub fn half_contrast(image: &RgbaView<'_>, axis: Axis, fit: AxisFit) -> f32 {
    let (width, height) = image.dimensions();
    let (len, lines) = match axis {
        Axis::X => (width, height),
        Axis::Y => (height, width),
    };
    let pixel = |line: u32, pos: u32| -> [u8; 4] {
        match axis {
            Axis::X => image.get_pixel(pos, line).0,
            Axis::Y => image.get_pixel(line, pos).0,
        }
    };
    let period = fit.period;
    // Patches as shares of a cell: the two halves' centres, and two neighbours inside one half.
    let between = [(0.15, 0.3), (0.7, 0.85)];
    let within = [(0.2, 0.3), (0.3, 0.4)];
    let step = (lines / MAX_LINES).max(1) as usize;
    let mut prefix = vec![[0u32; 3]; len as usize + 1];
    let (mut split_sum, mut whole_sum) = (0.0f32, 0.0f32);
    for line in (0..lines).step_by(step) {
        for pos in 0..len {
            let p = pixel(line, pos);
            let last = prefix[pos as usize];
            prefix[pos as usize + 1] =
                [last[0] + u32::from(p[0]), last[1] + u32::from(p[1]), last[2] + u32::from(p[2])];
        }
        let mean = |start: f32, end: f32| -> Option<[f32; 3]> {
            let (a, b) = (start.round().max(0.0) as usize, (end.round() as usize).min(len as usize));
            if b <= a {
                return None;
            }
            let n = (b - a) as f32;
            Some(std::array::from_fn(|c| (prefix[b][c] - prefix[a][c]) as f32 / n))
        };
        let difference = |patches: [(f32, f32); 2], cell: f32| -> Option<f32> {
            let first = mean(cell + patches[0].0 * period, cell + patches[0].1 * period)?;
            let second = mean(cell + patches[1].0 * period, cell + patches[1].1 * period)?;
            Some(first.iter().zip(&second).map(|(a, b)| (a - b).abs()).sum())
        };
        let mut cell = fit.phase - period * (fit.phase / period).floor();
        while cell + period <= len as f32 {
            if let (Some(split), Some(whole)) = (difference(between, cell), difference(within, cell)) {
                split_sum += split;
                whole_sum += whole;
            }
            cell += period;
        }
    }
    if whole_sum <= 0.0 { 0.0 } else { split_sum / whole_sum }
}
