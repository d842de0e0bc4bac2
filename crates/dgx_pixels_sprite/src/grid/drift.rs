//! Whether each detected cell is two pixels, read from the drift of fake pixels against the noise
//! of the backdrop: down to cells of 10 px, where [`super::split`]'s quarters need 24 px, and
//! read before them wherever the image has the runs of one colour and the backdrop it needs.
//!
//! Each fake pixel of a generated image has its own slight colour drift, even where the artist
//! meant two pixels of one colour. So across the boundary between two cells of one colour the
//! image steps by the drift, and across the middle of a cell it steps by nothing, unless the cell
//! is two pixels, when its middle is a boundary like any other. The test reads this where no
//! colour edge is near, in runs of three cells of one colour along either axis: the step across
//! the middle cell's middle against the step across its boundary, each the difference between
//! two patches half a cell apart (the same patches, the same spacing, the same blur). Both steps
//! also carry the image's noise, which the middles of cells of the backdrop's colour measure:
//! nothing drifts there, or, where the "backdrop" is a tile's texture of whole cells, not across
//! a middle. A fake pixel shaded across steps across its middle too; the same reading with each
//! cell's shading taken out can overrule it ([`SHADED`]).

use super::period::AxisFit;
use crate::color::squared_distance;
use crate::flatness::median;
use crate::view::RgbaView;

/// The middle must step by at least this share of the boundary's drift for a cell to count as
/// two pixels. Over the fidelity bench's 500 degraded sprites (ten seeds), on the grids the
/// detector found, whole cells gave at most 0.26 and art drawn at 2× at least 0.56
/// (BENCHMARKS.md, "Pixel-art fidelity").
pub const SPLIT_SHARE: f32 = 0.4;

/// Only cells at least this wide are tested: the patches sit an eighth of a cell from the cell's
/// edges, and in narrower cells the blur of those edges reaches them.
pub const MIN_DRIFT_PERIOD: f32 = 10.0;

/// Two cells whose centres differ by less than this (a Euclidean distance in sRGB levels) are
/// taken as one colour: above the drift of one colour, below the steps of a palette's ramps.
const SAME_COLOUR: f32 = 16.0;

/// The drift across boundaries must exceed the noise by this factor (in variance) for the test
/// to read anything: where cells of one colour are as alike as noise allows, a cell and its two
/// halves look the same and the cells are taken whole. Twice, not once: the noise is read on the
/// backdrop's colour, and a JPEG quantises a saturated sprite's chroma into steps that a grey
/// backdrop, with no chroma, does not have; where the drift is under twice that floor, the
/// sprite's own noise across its middles reads as drift (crafter_diamond on seed 12, a tile of
/// cyan on grey with a drift of 2.5 levels: boundaries 1.2 times over the noise, middles as
/// much, split in two). Art drawn at 2× on the bench's thirteen sets steps 3.6 times over it
/// and more.
const VISIBLE_DRIFT: f32 = 2.0;

/// The same for the reading with each cell's shading taken out ([`SHADED`]), which only ever
/// keeps cells whole: taking out the shading takes out some of the drift too, and any drift
/// over the noise tells shading from a middle that steps.
const VISIBLE_UNSHADED_DRIFT: f32 = 1.0;

/// A cell's shading steps across its middle as a drift would. With each cell's shading taken out
/// ([`step_beyond_shading`]) the share of a whole cell, however shaded, stays near 0 and that of
/// a doubled one near 1, but in cells under 24 px the outer quarters also catch the blur of the
/// neighbours' edges, and on the bench that reading alone split 30 whole sprites of 500. So it only
/// overrules: under this share the middle's step is taken for shading. Synthetic whole cells
/// shaded by 8 and 16 levels across (drift 4) read at most 0.11 with the shading out (0.45–1.8
/// without); the bench's doubled cells at least 0.24, where it reads.
const SHADED: f32 = 0.15;

/// Runs read at least, on the sprite and on the backdrop, for the test to say anything: the
/// steps' squares spread like a chi-square of three degrees, and the median of fewer than 16
/// is off by more than a quarter (a sprite of a dozen runs, crafter_diamond's tile, read 0.49).
const MIN_RUNS: usize = 16;

/// The mean colour of `image` over a rectangle (in pixels, clamped to the image), read on a
/// sparse lattice of at most about 8×8 pixels.
fn patch_mean(image: &RgbaView<'_>, [x0, x1]: [f32; 2], [y0, y1]: [f32; 2]) -> [f32; 3] {
    let (width, height) = image.dimensions();
    let span = |start: f32, end: f32, len: u32| {
        let start = (start.round().max(0.0) as u32).min(len - 1);
        let end = (end.round() as u32).clamp(start + 1, len);
        (start, end, ((end - start) / 8).max(1) as usize)
    };
    let (x0, x1, x_step) = span(x0, x1, width);
    let (y0, y1, y_step) = span(y0, y1, height);
    let (mut sum, mut count) = ([0u32; 3], 0u32);
    let row_bytes = width as usize * 4;
    let rows = &image.as_raw()[y0 as usize * row_bytes..y1 as usize * row_bytes];
    for row in rows.chunks_exact(row_bytes).step_by(y_step) {
        for pixel in row[x0 as usize * 4..x1 as usize * 4].chunks_exact(4).step_by(x_step) {
            for c in 0..3 {
                sum[c] += u32::from(pixel[c]);
            }
            count += 1;
        }
    }
    sum.map(|s| s as f32 / count as f32)
}

/// One cell's readings along one axis: the two patches on either side of its middle, and its
/// four quarters.
#[derive(Clone, Copy)]
struct AxisPatches {
    halves: [[f32; 3]; 2],
    quarters: [[f32; 3]; 4],
}

/// The cells of a grid, each read where it is first needed: only the cells in runs of one colour
/// are read along an axis.
struct CellReader<'a> {
    image: &'a RgbaView<'a>,
    fits: [AxisFit; 2],
    starts: [Vec<f32>; 2],
    read: Vec<[Option<AxisPatches>; 2]>,
}

impl<'a> CellReader<'a> {
    /// Across the cell, each patch spans its middle two fifths.
    const BAND: [f32; 2] = [0.3, 0.7];

    fn new(image: &'a RgbaView<'a>, fits: [AxisFit; 2], starts: [Vec<f32>; 2]) -> Self {
        let read = vec![[None; 2]; starts[0].len() * starts[1].len()];
        Self { image, fits, starts, read }
    }

    /// The cell's extent along `axis` for the shares `[a, b]` of it.
    fn span(&self, axis: usize, start: usize, [a, b]: [f32; 2]) -> [f32; 2] {
        let (origin, period) = (self.starts[axis][start], self.fits[axis].period);
        [origin + a * period, origin + b * period]
    }

    /// The mean colour of the middle three fifths of cell `[column, row]` each way.
    fn centre(&self, cell: [usize; 2]) -> [f32; 3] {
        patch_mean(self.image, self.span(0, cell[0], [0.2, 0.8]), self.span(1, cell[1], [0.2, 0.8]))
    }

    /// Cell `[column, row]`'s patches along `axis` (0 for x).
    fn along(&mut self, cell: [usize; 2], axis: usize) -> AxisPatches {
        let index = cell[1] * self.starts[0].len() + cell[0];
        if let Some(patches) = self.read[index][axis] {
            return patches;
        }
        let across = self.span(1 - axis, cell[1 - axis], Self::BAND);
        let patch = |shares: [f32; 2]| {
            let along = self.span(axis, cell[axis], shares);
            if axis == 0 { patch_mean(self.image, along, across) } else { patch_mean(self.image, across, along) }
        };
        // Each half's patch is the middle half of the half, each quarter's that of the quarter.
        let patches = AxisPatches {
            halves: [[0.125, 0.375], [0.625, 0.875]].map(patch),
            quarters: [0.0f32, 1.0, 2.0, 3.0].map(|i| patch([(i + 0.25) / 4.0, (i + 0.75) / 4.0])),
        };
        self.read[index][axis] = Some(patches);
        patches
    }
}

/// The step from quarter `b` to quarter `c` less the mean of the steps beside it (`a` to `b`,
/// `c` to `d`): zero on a cell's smooth shading, however steep, and the whole step where `b`
/// and `c` lie on either side of a boundary.
fn step_beyond_shading(a: [f32; 3], b: [f32; 3], c: [f32; 3], d: [f32; 3]) -> f32 {
    (0..3).map(|i| (c[i] - b[i]) - ((b[i] - a[i]) + (d[i] - c[i])) / 2.0).map(|v| v * v).sum()
}

/// The steps read in runs of cells of one colour: across the middles of backdrop-coloured cells
/// (the noise), across the sprite cells' middles and across their boundaries.
#[derive(Default)]
struct Steps {
    noise: Vec<f32>,
    middles: Vec<f32>,
    boundaries: Vec<f32>,
}

impl Steps {
    fn record(&mut self, on_backdrop: bool, middle: f32, boundary: f32) {
        if on_backdrop {
            self.noise.push(middle);
        } else {
            self.middles.push(middle);
            self.boundaries.push(boundary);
        }
    }

    /// (median middle − noise) / (median boundary − noise), or `None` where the boundaries step
    /// no more than `visible` times the noise above it.
    fn share(mut self, visible: f32) -> Option<f32> {
        let (noise, middle, boundary) =
            (median(&mut self.noise), median(&mut self.middles), median(&mut self.boundaries));
        (boundary - noise > visible * noise).then(|| (middle - noise) / (boundary - noise))
    }
}

/// The cells of `fit` that lie wholly inside `len` pixels, as their start positions.
fn whole_cells(fit: AxisFit, len: u32) -> Vec<f32> {
    let first = fit.phase - fit.period * (fit.phase / fit.period).floor();
    (0..).map(|k| first + k as f32 * fit.period).take_while(|start| start + fit.period <= len as f32).collect()
}

/// How much the middle of the cells of `x` × `y` steps, as a share of how much their boundaries
/// step, each less the noise (the module's doc): about 0 for whole cells, about 1 for cells that
/// are two pixels. `None` when the image does not let the test read it: cells under
/// [`MIN_DRIFT_PERIOD`], too few runs of one colour on the sprite or on the backdrop, or cells of
/// one colour as alike as the noise allows. Where the share with each cell's shading taken out is
/// under [`SHADED`], that share: the middle's step was the cells' shading.
pub fn drift_share(image: &RgbaView<'_>, x: AxisFit, y: AxisFit) -> Option<f32> {
    if x.period.min(y.period) < MIN_DRIFT_PERIOD {
        return None;
    }
    let (width, height) = image.dimensions();
    let (columns, rows) = (whole_cells(x, width), whole_cells(y, height));
    if columns.len() < 3 || rows.len() < 3 {
        return None;
    }
    let counts = [columns.len(), rows.len()];
    let mut cells = CellReader::new(image, [x, y], [columns, rows]);
    let centres: Vec<[f32; 3]> = (0..counts[1])
        .flat_map(|row| (0..counts[0]).map(move |column| [column, row]))
        .map(|c| cells.centre(c))
        .collect();
    let centre = |[column, row]: [usize; 2]| centres[row * counts[0] + column];
    let on_ring = |index: usize| {
        let (column, row) = (index % counts[0], index / counts[0]);
        column == 0 || row == 0 || column + 1 == counts[0] || row + 1 == counts[1]
    };
    let ring: Vec<[f32; 3]> =
        centres.iter().enumerate().filter(|&(index, _)| on_ring(index)).map(|(_, c)| *c).collect();
    let backdrop: [f32; 3] = std::array::from_fn(|c| median(&mut ring.iter().map(|p| p[c]).collect::<Vec<_>>()));
    let same = |a: [f32; 3], b: [f32; 3]| squared_distance(a, b) < SAME_COLOUR * SAME_COLOUR;
    let (mut steps, mut unshaded) = (Steps::default(), Steps::default());
    for axis in 0..2 {
        for line in 0..counts[1 - axis] {
            let cell = |k: usize| if axis == 0 { [k, line] } else { [line, k] };
            for k in 1..counts[axis] - 1 {
                let (previous, this, next) = (cell(k - 1), cell(k), cell(k + 1));
                if !same(centre(previous), centre(this)) || !same(centre(next), centre(this)) {
                    continue;
                }
                let on_backdrop = same(centre(this), backdrop);
                let (here, beyond) = (cells.along(this, axis), cells.along(next, axis));
                let [first, second] = here.halves;
                steps.record(on_backdrop, squared_distance(first, second), squared_distance(second, beyond.halves[0]));
                let ([a, b, c, d], [e, f, _, _]) = (here.quarters, beyond.quarters);
                unshaded.record(on_backdrop, step_beyond_shading(a, b, c, d), step_beyond_shading(c, d, e, f));
            }
        }
    }
    if steps.noise.len() < MIN_RUNS || steps.middles.len() < MIN_RUNS {
        return None;
    }
    let share = steps.share(VISIBLE_DRIFT)?;
    Some(match unshaded.share(VISIBLE_UNSHADED_DRIFT) {
        Some(unshaded) if unshaded < SHADED => unshaded,
        _ => share,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake_art::{DRIFT, banded, degrade, degrade_with, doubled};
    use crate::view::view;

    /// Cells of `period` px from 2 px in, as [`crate::fake_art::degrade`] places them.
    fn cells(period: f32) -> AxisFit {
        AxisFit { period, phase: 2.0 }
    }

    #[test]
    fn whole_cells_step_across_their_boundaries_only() {
        for scale in [10.5f32, 13.0, 19.7] {
            let share = drift_share(&view(&degrade(&banded(16, 16), scale)), cells(scale), cells(scale));
            assert!(share.is_some_and(|share| share < SPLIT_SHARE), "{scale} px: {share:?}");
        }
    }

    #[test]
    fn doubled_pixels_step_across_their_middles_too() {
        for scale in [5.3f32, 6.5, 9.8] {
            let image = degrade(&doubled(&banded(16, 16)), scale);
            let share = drift_share(&view(&image), cells(2.0 * scale), cells(2.0 * scale));
            assert!(share.is_some_and(|share| share >= SPLIT_SHARE), "{scale} px: {share:?}");
        }
    }

    /// Fake pixels shaded across (by twice and four times their drift) step across their middles
    /// as doubled ones do; with the shading taken out they read whole, and doubled ones still
    /// read two.
    #[test]
    fn shaded_cells_stay_whole() {
        for shading in [2.0 * DRIFT, 4.0 * DRIFT] {
            for scale in [10.5f32, 13.0, 19.7] {
                let whole = degrade_with(&banded(16, 16), scale, DRIFT, shading);
                let share = drift_share(&view(&whole), cells(scale), cells(scale));
                assert!(share.is_some_and(|share| share < SPLIT_SHARE), "{shading}, {scale} px: {share:?}");
                let two = degrade_with(&doubled(&banded(16, 16)), scale / 2.0, DRIFT, shading);
                let share = drift_share(&view(&two), cells(scale), cells(scale));
                assert!(share.is_some_and(|share| share >= SPLIT_SHARE), "{shading}, {scale} px doubled: {share:?}");
            }
        }
    }

    /// Without drift a cell and its two halves look alike: the test reads nothing, and the cells
    /// stay whole.
    #[test]
    fn reads_nothing_without_drift() {
        let image = degrade_with(&doubled(&banded(16, 16)), 6.5, 0.0, 0.0);
        assert_eq!(drift_share(&view(&image), cells(13.0), cells(13.0)), None);
    }

    /// A drift under twice the noise floor is not read, even where it is really there: the
    /// floor is the backdrop's noise, and a sprite's own can be larger (a JPEG's chroma steps on
    /// a saturated sprite), which would then read as drift across the middles of whole cells.
    #[test]
    fn reads_nothing_where_the_drift_barely_clears_the_noise() {
        let cells = AxisFit { period: 13.0, phase: 2.0 };
        let share = |drift| drift_share(&view(&degrade_with(&doubled(&banded(16, 16)), 6.5, drift, 0.0)), cells, cells);
        assert_eq!(share(1.5), None);
        assert!(share(2.5).is_some_and(|share| share >= SPLIT_SHARE), "{:?}", share(2.5));
    }

    #[test]
    fn reads_nothing_in_cells_the_blur_crosses() {
        let image = degrade(&doubled(&banded(16, 16)), 4.5);
        assert_eq!(drift_share(&view(&image), cells(9.0), cells(9.0)), None);
    }
}
