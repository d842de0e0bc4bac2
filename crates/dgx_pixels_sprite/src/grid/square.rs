//! Pixels are square: one period for both axes.
//!
//! Each axis's edges give a period of their own ([`estimate_period`]), but a sprite's fake pixels
//! are as wide as they are tall, and one axis alone can mislead: too few edges for the comb to
//! stand out, a comb of texture edges at another spacing, or a subharmonic taken because most of
//! its edges happen to fall on every second boundary. So when the two axes disagree, each one's
//! period is tried on the other, and the period that the two align with best (the better of the
//! two weaker alignments; the longer one when it aligns nearly as well, since a comb holds every
//! edge of its multiples) is used for both: a period that only one axis shows loses to one that
//! both show. Whether the cells are two pixels each ([`super::split`]) is decided for both axes
//! together too, from the evidence of both.

use super::period::{MIN_ALIGNMENT, SUBHARMONIC_SHARE, alignment, estimate_period, refine_period};
use super::profile::EdgePeak;

/// Two axes' periods this close (as a share of the larger) agree; each keeps its own, which
/// the per-axis fit then polishes.
const AGREE: f32 = 0.05;

/// The edges found along one axis of an image `len` pixels long.
#[derive(Clone, Copy, Debug)]
pub struct AxisPeaks<'a> {
    /// The edge peaks.
    pub peaks: &'a [EdgePeak],
    /// The axis's length in pixels.
    pub len: u32,
}

impl AxisPeaks<'_> {
    /// This axis's period nearest `period` and how well its peaks align on it.
    fn aligned_near(&self, period: f32) -> (f32, f32) {
        let refined = refine_period(self.peaks, period, self.len);
        (refined, alignment(self.peaks, refined).0)
    }
}

/// The periods of the x and y axes (`None` where an axis shows no grid), agreeing as square
/// pixels do.
pub fn square_periods(x: AxisPeaks<'_>, y: AxisPeaks<'_>) -> (Option<f32>, Option<f32>) {
    match (estimate_period(x.peaks, x.len), estimate_period(y.peaks, y.len)) {
        (Some(px), Some(py)) if (px - py).abs() <= AGREE * px.max(py) => (Some(px), Some(py)),
        (Some(px), Some(py)) => {
            let candidates = [px.max(py), px.min(py)].map(|period| {
                let (on_x, on_y) = (x.aligned_near(period), y.aligned_near(period));
                ((on_x.0, on_y.0), on_x.1.min(on_y.1))
            });
            // The shorter period's comb also holds every edge of a multiple of it, so, as on
            // one axis, the longer one is taken when it aligns nearly as well.
            let [longer, shorter] = candidates;
            let (periods, _) = if longer.1 >= SUBHARMONIC_SHARE * shorter.1 { longer } else { shorter };
            (Some(periods.0), Some(periods.1))
        }
        // An axis without a grid of its own takes the other's when its edges align on it.
        (Some(px), None) => (Some(px), adopt(y, px)),
        (None, Some(py)) => (adopt(x, py), Some(py)),
        (None, None) => (None, None),
    }
}

/// `axis`'s period near `period`, if its peaks align on it at all.
fn adopt(axis: AxisPeaks<'_>, period: f32) -> Option<f32> {
    if axis.peaks.len() < 2 || period > axis.len as f32 {
        return None;
    }
    let (refined, score) = axis.aligned_near(period);
    (score >= MIN_ALIGNMENT).then_some(refined)
}

#[cfg(test)]
mod tests {
    use super::super::period::comb;
    use super::*;

    /// Both axes' periods, which must have been found.
    fn both(x: &[EdgePeak], x_len: u32, y: &[EdgePeak], y_len: u32) -> (f32, f32) {
        let (px, py) = square_periods(AxisPeaks { peaks: x, len: x_len }, AxisPeaks { peaks: y, len: y_len });
        (px.expect("x"), py.expect("y"))
    }

    /// The x axis shows a few strong edges 7.1 px apart (texture), the y axis the real 63.5 px
    /// grid; x's edges also lie on the 63.5 px grid. Both take 63.5.
    #[test]
    fn a_period_both_axes_show_wins() {
        let mut x = comb(63.5, 10.0, 1016.0, 1);
        x.extend(comb(7.1, 300.0, 420.0, 1));
        x.sort_by(|a, b| a.position.total_cmp(&b.position));
        let y = comb(63.5, 30.0, 1016.0, 1);
        let alone = estimate_period(&x, 1016).expect("x alone");
        assert!((alone - 7.1).abs() < 0.2, "the fixture's x alone takes the texture: {alone}");
        let (px, py) = both(&x, 1016, &y, 1016);
        assert!((px - 63.5).abs() < 1.0 && (py - 63.5).abs() < 1.0, "{px} {py}");
    }

    /// Art whose x edges fall only on every second boundary: x alone would take 31.8, y shows
    /// 15.9; both take 15.9.
    #[test]
    fn a_subharmonic_of_one_axis_gives_way_to_the_other() {
        let x = comb(15.9, 4.0, 509.0, 2);
        let y = comb(15.9, 9.0, 509.0, 1);
        let alone = estimate_period(&x, 509).expect("x alone");
        assert!((alone - 31.8).abs() < 0.5, "the fixture's x alone takes the subharmonic: {alone}");
        let (px, py) = both(&x, 509, &y, 509);
        assert!((px - 15.9).abs() < 0.3 && (py - 15.9).abs() < 0.3, "{px} {py}");
    }

    #[test]
    fn an_axis_without_a_grid_of_its_own_takes_the_other() {
        let x = comb(12.0, 3.0, 480.0, 1);
        let y = [EdgePeak { position: 51.0, prominence: 1.0 }, EdgePeak { position: 99.0, prominence: 1.0 }];
        let (px, py) = both(&x, 480, &y, 300);
        assert!((px - 12.0).abs() < 0.1);
        assert!((py - 12.0).abs() < 0.2, "{py}");
    }
}
