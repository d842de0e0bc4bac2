//! Whether each detected cell is really two: the test that finds the grid of pixel art drawn at
//! 2× (every fake pixel doubled), whose strong edges fall only on every second boundary.
//!
//! Each fake pixel of a generated image has its own slight colour drift, even where the artist
//! meant two pixels of one colour. So each detected cell is read as four quarters, Q1 Q2 | Q3 Q4,
//! and the difference across its middle (Q2 against Q3) is compared with the differences inside
//! each half (Q1 against Q2, Q3 against Q4): patches of one size at one spacing, so noise and the
//! codec's blocks weigh the same in both. Across the middle of a whole cell the colour differs by
//! noise alone, as inside the halves; across the middle of a cell that is two pixels it differs by
//! their drift as well, and the true period is half the detected one.
//!
//! In cells under [`MIN_SPLIT_PERIOD`] the blur of the cell edges reaches the outer quarters. The
//! drift share ([`super::drift`]) reads cells down to 10 px, and more surely (it compares the
//! middle with the cells' own boundaries, the contrast only the middle with the quarters), so
//! [`read`] asks it first; it needs runs of cells of one colour and a backdrop, though, where
//! this contrast reads every cell (a sprite of few flat areas: kaz_mace).

use super::drift;
use super::period::AxisFit;
use crate::view::RgbaView;

/// Lines (rows or columns) read at most.
const MAX_LINES: u32 = 192;

/// The middle must differ this many times more than the insides of the halves for a cell to count
/// as two pixels. Over the fidelity bench's 250 degraded sprites (five seeds), on the grids the
/// detector found, whole cells of 24 px and more gave at most 0.94 per axis and cells that are
/// two pixels (art drawn at 2×) at least 1.31.
pub const SPLIT_CONTRAST: f32 = 1.25;

/// Only cells at least this wide are tested: in narrower ones the blur from the cell edges
/// reaches the patches and the test says nothing.
pub const MIN_SPLIT_PERIOD: f32 = 24.0;

/// What the test read on a grid's cells: one pixel each, or two.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Doubling {
    /// The quarter contrast ([`half_contrast`], the geometric mean over the axes tested), in cells
    /// of [`MIN_SPLIT_PERIOD`] and more where the drift share cannot read.
    Contrast(f32),
    /// The drift share ([`drift::drift_share`]), in cells of 10 px and more where the image has
    /// the runs of one colour and the backdrop it reads.
    Share(f32),
}

impl Doubling {
    /// Whether the cells are two pixels each.
    pub fn is_split(self) -> bool {
        match self {
            Self::Contrast(contrast) => contrast >= SPLIT_CONTRAST,
            Self::Share(share) => share >= drift::SPLIT_SHARE,
        }
    }
}

/// Reads whether the cells of the fits `x` × `y` (either may be missing) are two pixels each:
/// from the drift where it can be read, else from the quarters on the axes whose cells are wide
/// enough. `None` where neither can read.
pub fn read(image: &RgbaView<'_>, x: Option<AxisFit>, y: Option<AxisFit>) -> Option<Doubling> {
    if let Some(share) = x.zip(y).and_then(|(x, y)| drift::drift_share(image, x, y)) {
        return Some(Doubling::Share(share));
    }
    let contrasts: Vec<f32> = [(Axis::X, x), (Axis::Y, y)]
        .into_iter()
        .filter_map(|(axis, fit)| fit.filter(|f| f.period >= MIN_SPLIT_PERIOD).map(|f| half_contrast(image, axis, f)))
        .collect();
    (!contrasts.is_empty())
        .then(|| Doubling::Contrast(contrasts.iter().product::<f32>().powf(1.0 / contrasts.len() as f32)))
}

/// Which way an [`AxisFit`] runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Axis {
    /// Along x: cells are columns.
    X,
    /// Along y: cells are rows.
    Y,
}

/// The mean colour difference across the middle of the cells of `fit` (second quarter against
/// third), over the mean difference inside their halves (first against second, third against
/// fourth). About 1 for whole cells (below where the blur of the cell edges reaches the outer
/// quarters); clearly above for cells that are two.
pub fn half_contrast(image: &RgbaView<'_>, axis: Axis, fit: AxisFit) -> f32 {
    let (width, height) = image.dimensions();
    let (len, lines) = match axis {
        Axis::X => (width, height),
        Axis::Y => (height, width),
    };
    let period = fit.period;
    // The central half of each quarter, as shares of a cell.
    let quarter = |i: f32| ((i + 0.25) / 4.0, (i + 0.75) / 4.0);
    let quarters = [quarter(0.0), quarter(1.0), quarter(2.0), quarter(3.0)];
    let read: Vec<u32> = (0..lines).step_by((lines / MAX_LINES).max(1) as usize).collect();
    let mut sums = LineSums::new(len, LINE_BLOCK.min(read.len()));
    let (mut split_sum, mut whole_sum) = (0.0f32, 0.0f32);
    for block in read.chunks(LINE_BLOCK) {
        sums.fill(image, axis, block);
        for index in 0..block.len() {
            let prefix = sums.line(index);
            let mean = |start: f32, end: f32| -> Option<[f32; 3]> {
                let (a, b) = (start.round().max(0.0) as usize, (end.round() as usize).min(len as usize));
                if b <= a {
                    return None;
                }
                let n = (b - a) as f32;
                Some(std::array::from_fn(|c| (prefix[b][c] - prefix[a][c]) as f32 / n))
            };
            let difference = |a: [f32; 3], b: [f32; 3]| -> f32 { a.iter().zip(&b).map(|(a, b)| (a - b).abs()).sum() };
            let mut cell = fit.phase - period * (fit.phase / period).floor();
            while cell + period <= len as f32 {
                let means = quarters.map(|(start, end)| mean(cell + start * period, cell + end * period));
                if let [Some(q1), Some(q2), Some(q3), Some(q4)] = means {
                    split_sum += difference(q2, q3);
                    whole_sum += (difference(q1, q2) + difference(q3, q4)) / 2.0;
                }
                cell += period;
            }
        }
    }
    if whole_sum <= 0.0 { 0.0 } else { split_sum / whole_sum }
}

/// Lines read together by [`half_contrast`]: their running sums stay in cache while the image's
/// rows are walked once in memory order (a column read alone touches one cache line a pixel).
const LINE_BLOCK: usize = 16;

/// Running colour sums along a block of lines (rows or columns), one prefix of `len + 1` per line.
struct LineSums {
    stride: usize,
    prefix: Vec<[u32; 3]>,
}

impl LineSums {
    fn new(len: u32, lines: usize) -> Self {
        let stride = len as usize + 1;
        Self { stride, prefix: vec![[0; 3]; stride * lines] }
    }

    /// Sums the lines `block` (at most the count given to [`LineSums::new`]) of `image`.
    fn fill(&mut self, image: &RgbaView<'_>, axis: Axis, block: &[u32]) {
        let row_bytes = image.width() as usize * 4;
        let add = |sum: [u32; 3], pixel: &[u8]| std::array::from_fn(|c| sum[c] + u32::from(pixel[c]));
        match axis {
            Axis::X => {
                for (prefix, &line) in self.prefix.chunks_exact_mut(self.stride).zip(block) {
                    let row = &image.as_raw()[line as usize * row_bytes..][..row_bytes];
                    for (pos, pixel) in row.chunks_exact(4).enumerate() {
                        prefix[pos + 1] = add(prefix[pos], pixel);
                    }
                }
            }
            Axis::Y => {
                for (pos, row) in image.as_raw().chunks_exact(row_bytes).enumerate() {
                    for (index, &line) in block.iter().enumerate() {
                        let at = index * self.stride + pos;
                        let pixel = &row[line as usize * 4..line as usize * 4 + 4];
                        self.prefix[at + 1] = add(self.prefix[at], pixel);
                    }
                }
            }
        }
    }

    /// The prefix sums of line `index` of the block last filled.
    fn line(&self, index: usize) -> &[[u32; 3]] {
        &self.prefix[index * self.stride..(index + 1) * self.stride]
    }
}

#[cfg(test)]
mod tests {
    use image::RgbaImage;

    use super::*;
    use crate::fake_art::{degrade, doubled, truth};
    use crate::view::view;

    fn transposed(image: &RgbaImage) -> RgbaImage {
        RgbaImage::from_fn(image.height(), image.width(), |x, y| *image.get_pixel(y, x))
    }

    /// Columns are read row by row in blocks, rows one by one: the same sums either way, so an
    /// image's columns read exactly as its transpose's rows.
    #[test]
    fn columns_read_as_the_transposes_rows() {
        // 30 cells of 13.7 px: 411 lines, read every second one, in 13 blocks.
        let image = degrade(&doubled(&truth(15, 12)), 13.7);
        let fit = AxisFit { period: 27.4, phase: 2.0 };
        let (columns, rows) =
            (half_contrast(&view(&image), Axis::Y, fit), half_contrast(&view(&transposed(&image)), Axis::X, fit));
        assert_eq!(columns.to_bits(), rows.to_bits());
        assert!(columns >= SPLIT_CONTRAST, "doubled cells read {columns}");
    }
}
