//! The period and phase of the boundaries along one axis.
//!
//! Fake pixels are blocks of a non-integer, slightly uneven size, so the boundaries are modelled
//! as `phase + k * period` plus a small per-boundary jitter. The period is the frequency where
//! the peaks line up best (a Fourier scan of the peak train, refined exactly); the phase is the
//! angle of that coefficient; a weighted least-squares fit over the peaks then polishes both.

use std::f32::consts::TAU;

use super::fft::{Complex, fft_in_place};
use super::profile::EdgePeak;

/// Smallest period looked for: fake pixels under 3 px cannot be told from blur.
pub const MIN_PERIOD: f32 = 3.0;

/// The grid must hold at least this many cells along an axis.
const MIN_CELLS: f32 = 3.0;

/// How much finer than one pixel of frequency resolution the coarse scan samples.
const OVERSAMPLE: usize = 4;

/// Below this alignment (0 = random phases, 1 = perfect comb) no period is trusted.
pub(super) const MIN_ALIGNMENT: f32 = 0.3;

/// A period at `m` times the best one is preferred when it aligns nearly as well: the best
/// frequency is then a harmonic of the true one.
pub(super) const SUBHARMONIC_SHARE: f32 = 0.85;

/// A peak farther than this share of a period from its boundary is left out of the fit.
const FIT_WINDOW: f32 = 0.3;

/// Boundaries at `phase + k * period`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AxisFit {
    /// Distance between boundaries, in pixels.
    pub period: f32,
    /// Position of one boundary, in `0.0..period`.
    pub phase: f32,
}

/// How well the peaks line up on a comb of `period`: the normalised Fourier coefficient, and
/// its angle as a phase in pixels.
pub(super) fn alignment(peaks: &[EdgePeak], period: f32) -> (f32, f32) {
    let (mut re, mut im, mut total) = (0.0f32, 0.0f32, 0.0f32);
    for peak in peaks {
        let (sin, cos) = (TAU * peak.position / period).sin_cos();
        re += peak.prominence * cos;
        im += peak.prominence * sin;
        total += peak.prominence;
    }
    if total <= 0.0 {
        return (0.0, 0.0);
    }
    let phase = (im.atan2(re) / TAU * period).rem_euclid(period);
    ((re * re + im * im).sqrt() / total, phase)
}

/// The period of the boundaries along an axis of `len` pixels, or `None` when the peaks show
/// no regular grid (a flat image, or one that is already true pixel art).
pub fn estimate_period(peaks: &[EdgePeak], len: u32) -> Option<f32> {
    let max_period = len as f32 / MIN_CELLS;
    if peaks.len() < 2 || max_period < MIN_PERIOD {
        return None;
    }
    let size = scan_size(len);
    let mut train: Vec<Complex> = vec![(0.0, 0.0); size];
    for peak in peaks {
        let x = peak.position.max(0.0);
        let (bin, frac) = (x.floor() as usize, x.fract());
        if bin + 1 < size {
            train[bin].0 += peak.prominence * (1.0 - frac);
            train[bin + 1].0 += peak.prominence * frac;
        }
    }
    fft_in_place(&mut train);
    let lowest = (size as f32 / max_period).ceil() as usize;
    let highest = ((size as f32 / MIN_PERIOD).floor() as usize).min(size / 2);
    let best_bin = (lowest..=highest).max_by(|&a, &b| magnitude(train[a]).total_cmp(&magnitude(train[b])))?;
    let mut period = refine_in_bin(peaks, size as f32 / best_bin as f32, size);
    let (score, _) = alignment(peaks, period);
    if score < MIN_ALIGNMENT {
        return None;
    }
    // The strongest comb can be a harmonic (period / m) of the true one; take the longest
    // period that aligns nearly as well.
    for multiple in [3.0, 2.0] {
        let candidate = refine_in_bin(peaks, period * multiple, size);
        if candidate <= max_period && alignment(peaks, candidate).0 >= SUBHARMONIC_SHARE * score {
            period = candidate;
            break;
        }
    }
    Some(period)
}

fn magnitude((re, im): Complex) -> f32 {
    re * re + im * im
}

/// The frequency scan's size for an axis of `len` pixels.
fn scan_size(len: u32) -> usize {
    (len as usize).next_power_of_two() * OVERSAMPLE
}

/// The period of best alignment within one coarse frequency bin of `period`, for an axis of
/// `len` pixels.
pub(super) fn refine_period(peaks: &[EdgePeak], period: f32, len: u32) -> f32 {
    refine_in_bin(peaks, period, scan_size(len))
}

/// Searches the exact alignment within one coarse frequency bin of `period`.
fn refine_in_bin(peaks: &[EdgePeak], period: f32, size: usize) -> f32 {
    let centre = 1.0 / period;
    let half_bin = 1.0 / size as f32;
    (0..=32)
        .map(|i| centre - half_bin + 2.0 * half_bin * i as f32 / 32.0)
        .filter(|&f| f > 0.0)
        .map(|f| 1.0 / f)
        .map(|candidate| (candidate, alignment(peaks, candidate).0))
        .max_by(|(_, a), (_, b)| a.total_cmp(b))
        .map_or(period, |(best, _)| best)
}

/// The phase of boundaries spaced `period` apart, then both polished by a weighted least-squares
/// fit of `position = phase + k * period` over the peaks near a boundary. `keep_period` holds the
/// period fixed (a size given by the caller).
pub fn fit_axis(peaks: &[EdgePeak], period: f32, keep_period: bool) -> AxisFit {
    let (_, phase) = alignment(peaks, period);
    let mut fit = AxisFit { period, phase };
    for _ in 0..3 {
        let (mut sw, mut sk, mut sx, mut skk, mut skx) = (0.0f64, 0.0f64, 0.0f64, 0.0f64, 0.0f64);
        for peak in peaks {
            let k = ((peak.position - fit.phase) / fit.period).round();
            let residual = peak.position - fit.phase - k * fit.period;
            if residual.abs() > FIT_WINDOW * fit.period {
                continue;
            }
            let (w, k, x) = (f64::from(peak.prominence), f64::from(k), f64::from(peak.position));
            sw += w;
            sk += w * k;
            sx += w * x;
            skk += w * k * k;
            skx += w * k * x;
        }
        if sw <= 0.0 {
            break;
        }
        let denominator = sw * skk - sk * sk;
        let period = if keep_period || denominator.abs() < 1e-9 {
            f64::from(fit.period)
        } else {
            (sw * skx - sk * sx) / denominator
        };
        let phase = (sx - period * sk) / sw;
        if !(period.is_finite() && phase.is_finite()) || period < f64::from(MIN_PERIOD) {
            break;
        }
        fit = AxisFit { period: period as f32, phase: (phase as f32).rem_euclid(period as f32) };
    }
    fit
}

/// Test boundaries every `period` px from `phase` up to `len`, each moved by a deterministic
/// jitter of up to a tenth of a period (as generated blocks are), keeping every `every`-th.
#[cfg(test)]
pub(super) fn comb(period: f32, phase: f32, len: f32, every: usize) -> Vec<EdgePeak> {
    (0..)
        .map(|k| phase + k as f32 * period)
        .take_while(|&x| x < len)
        .enumerate()
        .filter(|(i, _)| i % every == 0)
        .map(|(i, x)| {
            let hash = (i as u32).wrapping_mul(2_654_435_761) >> 16;
            EdgePeak { position: x + period * 0.1 * ((hash % 1000) as f32 / 500.0 - 1.0), prominence: 1.0 }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_a_jittered_non_integer_period() {
        for (period, phase) in [(6.3f32, 2.0f32), (17.7, 9.0), (63.1, 30.0)] {
            let peaks = comb(period, phase, 1000.0, 1);
            let found = estimate_period(&peaks, 1000).expect("a period");
            assert!((found - period).abs() < 0.02 * period, "{found} vs {period}");
            let fit = fit_axis(&peaks, found, false);
            assert!((fit.period - period).abs() < 0.01 * period, "{fit:?} vs {period}");
        }
    }

    #[test]
    fn finds_no_period_without_peaks() {
        assert_eq!(estimate_period(&[], 500), None);
    }
}
