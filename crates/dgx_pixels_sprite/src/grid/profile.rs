//! Edge profiles: how strongly colour changes across each column and row boundary, summed over
//! the image, and the peaks of those profiles where fake pixels meet.
//!
//! Every fake pixel of a column of blocks shares its left and right boundary, so summing the
//! colour change over many rows turns scattered, noisy edges into clear peaks at the block
//! boundaries while noise averages out. Only a bounded number of lines is read, so the cost
//! stays near one pass over a sample of the image whatever its size.

use super::edge_sums::{add_column_edges, row_edge};
use crate::view::RgbaView;

/// Lines (rows for the column profile, columns for the row profile) read at most per profile.
const MAX_LINES: u32 = 384;

/// A peak must be the largest value within this many entries on each side.
const PEAK_RADIUS: usize = 2;

/// Prominence is measured against the lowest value within this many entries on each side.
const PROMINENCE_RADIUS: usize = 4;

/// A peak weaker than this share of the strong peaks (90th percentile) is treated as noise.
const MIN_RELATIVE_PROMINENCE: f32 = 0.12;

/// A boundary between fake pixels found in a profile.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EdgePeak {
    /// Position in pixel-edge coordinates: `x` is the boundary between pixel `x - 1` and `x`;
    /// fractional after sub-pixel refinement.
    pub position: f32,
    /// How far the peak rises above its surroundings: the weight of this boundary.
    pub prominence: f32,
}

/// Side of the block grid of JPEG (and of video codecs): its block edges sit at multiples of it.
pub const CODEC_BLOCK: usize = 8;

/// Edge profiles of an image, raw or with the codec block grid suppressed (see
/// [`edge_profiles`]).
#[derive(Clone, Debug, PartialEq)]
pub struct EdgeProfiles {
    /// Colour change across every column boundary: entry `i` is the boundary at x = `i + 1`.
    pub columns: Vec<f32>,
    /// Colour change across every row boundary: entry `i` is the boundary at y = `i + 1`.
    pub rows: Vec<f32>,
}

/// Sums colour changes across every column and row boundary, once, and returns the profiles raw
/// and with the codec block grid suppressed, in that order. Suppressed, every entry is divided by
/// the mean of the entries at the same position within a [`CODEC_BLOCK`]:
/// a JPEG round trip leaves faint steps at, and next to, every block edge, which over a large
/// image add up to a perfect 8-pixel comb that would outvote the real, sparser fake-pixel edges.
/// Real edges at a non-integer period fall evenly on all positions and keep their shape, unless
/// the period is within a few per cent of the block's: then they fall on the block's few
/// positions too and are flattened with it ([`super::detect_grid`] reads the raw profiles then).
pub fn edge_profiles(image: &RgbaView<'_>) -> [EdgeProfiles; 2] {
    let (width, height) = image.dimensions();
    let (w, h) = (width as usize, height as usize);
    let raw: &[u8] = image.as_raw();
    let stride = w * 4;
    let mut columns = vec![0u32; w.saturating_sub(1)];
    let mut rows = vec![0u32; h.saturating_sub(1)];
    let row_step = (height / MAX_LINES).max(1) as usize;
    let line = |y: usize| &raw[y * stride..(y + 1) * stride];
    for y in (0..h).step_by(row_step) {
        add_column_edges(line(y), &mut columns);
    }
    // Every `col_step`-th column is read: all four bytes of its pixels kept by the mask.
    let col_step = (width / MAX_LINES).max(1) as usize;
    let read: Vec<u8> = (0..stride).map(|i| if (i / 4) % col_step == 0 { 0xff } else { 0 }).collect();
    for (y, total) in rows.iter_mut().enumerate() {
        *total = row_edge(line(y), line(y + 1), &read);
    }
    let mut columns: Vec<f32> = columns.into_iter().map(|v| v as f32).collect();
    let mut rows: Vec<f32> = rows.into_iter().map(|v| v as f32).collect();
    let raw = EdgeProfiles { columns: smooth(&columns), rows: smooth(&rows) };
    flatten_block_grid(&mut columns);
    flatten_block_grid(&mut rows);
    [raw, EdgeProfiles { columns: smooth(&columns), rows: smooth(&rows) }]
}

/// Divides each entry by the mean of its position class modulo [`CODEC_BLOCK`] (scaled back
/// to the overall mean), removing any comb locked to the codec grid.
fn flatten_block_grid(values: &mut [f32]) {
    if values.len() < 4 * CODEC_BLOCK {
        return;
    }
    let mut sums = [0.0f32; CODEC_BLOCK];
    let mut counts = [0.0f32; CODEC_BLOCK];
    for (i, &v) in values.iter().enumerate() {
        sums[i % CODEC_BLOCK] += v;
        counts[i % CODEC_BLOCK] += 1.0;
    }
    let overall = sums.iter().sum::<f32>() / counts.iter().sum::<f32>();
    let scale: [f32; CODEC_BLOCK] =
        std::array::from_fn(|r| if sums[r] > 0.0 { overall * counts[r] / sums[r] } else { 1.0 });
    for (i, v) in values.iter_mut().enumerate() {
        *v *= scale[i % CODEC_BLOCK];
    }
}

/// A [1, 2, 1] / 4 smoothing: steadies peak positions without moving them.
fn smooth(values: &[f32]) -> Vec<f32> {
    let n = values.len();
    (0..n)
        .map(|i| {
            let left = values[i.saturating_sub(1)];
            let right = values[(i + 1).min(n - 1)];
            (left + 2.0 * values[i] + right) / 4.0
        })
        .collect()
}

/// The peaks of `profile` that stand out from noise, with sub-pixel positions.
pub fn find_peaks(profile: &[f32]) -> Vec<EdgePeak> {
    let n = profile.len();
    let mut peaks = Vec::new();
    for i in 0..n {
        let value = profile[i];
        let lo = i.saturating_sub(PEAK_RADIUS);
        let hi = (i + PEAK_RADIUS).min(n - 1);
        // Strictly greater on the left and not smaller on the right: a plateau yields one peak.
        if profile[lo..i].iter().any(|&v| v >= value) || profile[i + 1..=hi].iter().any(|&v| v > value) {
            continue;
        }
        let left_min = profile[i.saturating_sub(PROMINENCE_RADIUS)..=i].iter().copied().fold(value, f32::min);
        let right_min = profile[i..=(i + PROMINENCE_RADIUS).min(n - 1)].iter().copied().fold(value, f32::min);
        let prominence = value - left_min.max(right_min);
        if prominence <= 0.0 {
            continue;
        }
        peaks.push(EdgePeak { position: i as f32 + 1.0 + subpixel_offset(profile, i), prominence });
    }
    let mut strengths: Vec<f32> = peaks.iter().map(|p| p.prominence).collect();
    if strengths.is_empty() {
        return peaks;
    }
    let rank = (strengths.len() * 9 / 10).min(strengths.len() - 1);
    let (_, &mut strong, _) = strengths.select_nth_unstable_by(rank, f32::total_cmp);
    peaks.retain(|p| p.prominence >= MIN_RELATIVE_PROMINENCE * strong);
    peaks
}

/// Parabolic interpolation of the peak at `i`, in `-0.5..=0.5`.
fn subpixel_offset(profile: &[f32], i: usize) -> f32 {
    if i == 0 || i + 1 >= profile.len() {
        return 0.0;
    }
    let (a, b, c) = (profile[i - 1], profile[i], profile[i + 1]);
    let curvature = a - 2.0 * b + c;
    if curvature >= 0.0 { 0.0 } else { (0.5 * (a - c) / curvature).clamp(-0.5, 0.5) }
}

#[cfg(test)]
mod tests {
    use image::RgbaImage;

    use super::*;
    use crate::view::view;

    #[test]
    fn finds_the_boundaries_of_stripes() {
        // Stripes 5 px wide: boundaries at x = 5, 10, 15.
        let image =
            RgbaImage::from_fn(
                20,
                4,
                |x, _| if (x / 5) % 2 == 0 { [0, 0, 0, 255].into() } else { [200, 90, 40, 255].into() },
            );
        let [EdgeProfiles { columns, rows }, _] = edge_profiles(&view(&image));
        assert!(rows.iter().all(|&v| v == 0.0));
        let positions: Vec<f32> = find_peaks(&columns).iter().map(|p| p.position).collect();
        assert_eq!(positions, vec![5.0, 10.0, 15.0]);
    }
}
