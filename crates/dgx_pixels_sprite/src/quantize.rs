//! Palettes: fitting one with k-means in Oklab, taking one from an image, and mapping pixels to it.
//!
//! The fit is k-means++ seeded by a fixed RNG, run a few times and keeping the tightest result,
//! so the same frames always give the same palette. Distances are Oklab, so a cluster is a set
//! of colours that *look* alike. Only opaque pixels take part; transparency is not a colour here.

use dgx_pixels_protocol::{Palette, Rgb};
use image::RgbaImage;

use crate::color::Oklab;

/// Settings of [`fit_palette`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KMeansOptions {
    /// Seed of the k-means++ initialisation; the same seed gives the same palette. Default 0.
    pub seed: u64,
    /// Independent initialisations tried; the one with the lowest error wins. Default 4.
    pub restarts: u32,
    /// Lloyd iterations per initialisation at most. Default 40.
    pub max_iterations: u32,
}

impl Default for KMeansOptions {
    fn default() -> Self {
        Self { seed: 0, restarts: 4, max_iterations: 40 }
    }
}

/// Samples used for fitting at most; larger inputs are read on an even stride.
const MAX_SAMPLES: usize = 16_384;

/// At most [`MAX_SAMPLES`] of `colors`, read on an even stride: what a palette fit looks at.
pub(crate) fn fit_samples<T: Copy>(colors: &[T]) -> Vec<T> {
    let step = colors.len().div_ceil(MAX_SAMPLES).max(1);
    colors.iter().step_by(step).copied().collect()
}

/// A small deterministic generator (SplitMix64): enough for k-means++ and free of dependencies.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0.0..1.0`.
    fn next_f32(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }
}

/// Opaque pixels of all `frames` (alpha ≥ 128), in Oklab.
pub fn opaque_colors(frames: &[RgbaImage]) -> Vec<Oklab> {
    opaque_srgb(frames).into_iter().map(Oklab::from_srgb).collect()
}

/// Opaque pixels of all `frames` (alpha ≥ 128), as sRGB bytes.
pub fn opaque_srgb(frames: &[RgbaImage]) -> Vec<[u8; 3]> {
    frames.iter().flat_map(|frame| frame.pixels()).filter(|p| p.0[3] >= 128).map(|p| [p.0[0], p.0[1], p.0[2]]).collect()
}

/// Fits at most `k` colours to `colors`, sorted dark to light. Fewer come back when the input
/// has fewer distinct colours; none for an empty input.
pub fn fit_palette(colors: &[Oklab], k: usize, options: &KMeansOptions) -> Vec<Oklab> {
    let samples = fit_samples(colors);
    let mut distinct = samples.clone();
    distinct.sort_by(|a, b| (a.l, a.a, a.b).partial_cmp(&(b.l, b.a, b.b)).unwrap_or(std::cmp::Ordering::Equal));
    distinct.dedup();
    if k == 0 || samples.is_empty() {
        return Vec::new();
    }
    let mut best = if distinct.len() <= k {
        distinct
    } else {
        let mut rng = SplitMix64(options.seed);
        let columns = SampleColumns::new(&samples);
        (0..options.restarts.max(1))
            .map(|_| lloyd(&samples, &columns, kmeans_plus_plus(&samples, k, &mut rng), options.max_iterations))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(centres, _)| centres)
            .unwrap_or_default()
    };
    best.sort_by(|a, b| a.l.total_cmp(&b.l));
    best
}

/// k-means++: each next centre is drawn with probability proportional to its squared distance
/// from the nearest centre so far, which spreads the start over the data.
fn kmeans_plus_plus(samples: &[Oklab], k: usize, rng: &mut SplitMix64) -> Vec<Oklab> {
    let mut centres = Vec::with_capacity(k);
    centres.push(samples[(rng.next_u64() % samples.len() as u64) as usize]);
    let mut nearest: Vec<f32> = samples.iter().map(|s| s.distance_squared(centres[0])).collect();
    while centres.len() < k {
        let total: f32 = nearest.iter().sum();
        if total <= 0.0 {
            break;
        }
        let mut target = rng.next_f32() * total;
        let chosen = nearest
            .iter()
            .position(|&d| {
                target -= d;
                target < 0.0
            })
            .unwrap_or(samples.len() - 1);
        let centre = samples[chosen];
        centres.push(centre);
        for (d, s) in nearest.iter_mut().zip(samples) {
            *d = d.min(s.distance_squared(centre));
        }
    }
    centres
}

/// Lloyd iterations from `centres` over `samples` (also laid out as `columns`); returns the
/// centres and their summed squared error.
fn lloyd(
    samples: &[Oklab],
    columns: &SampleColumns,
    mut centres: Vec<Oklab>,
    max_iterations: u32,
) -> (Vec<Oklab>, f32) {
    let mut labels = vec![u32::MAX; columns.padded_len()];
    let mut next = labels.clone();
    for _ in 0..max_iterations {
        columns.nearest_centres(&centres, &mut next);
        if next[..samples.len()] == labels[..samples.len()] {
            break;
        }
        std::mem::swap(&mut labels, &mut next);
        let mut sums = vec![(0.0f32, 0.0f32, 0.0f32, 0u32); centres.len()];
        for (&label, s) in labels.iter().zip(samples) {
            let sum = &mut sums[label as usize];
            *sum = (sum.0 + s.l, sum.1 + s.a, sum.2 + s.b, sum.3 + 1);
        }
        for (centre, &(l, a, b, n)) in centres.iter_mut().zip(&sums) {
            if n > 0 {
                let n = n as f32;
                *centre = Oklab { l: l / n, a: a / n, b: b / n };
            }
        }
    }
    columns.nearest_centres(&centres, &mut labels);
    let error = labels.iter().zip(samples).map(|(&label, &s)| s.distance_squared(centres[label as usize])).sum();
    (centres, error)
}

/// Samples that [`SampleColumns::nearest_centres`] takes together.
const LANES: usize = 8;

/// The samples of a k-means fit, one array per coordinate padded to whole groups of [`LANES`],
/// so that one centre's distances to a group of samples, and the choice of the nearer centre,
/// compile to branch-free vector code. k-means spends its time here; comparing one sample with
/// all centres instead ends in a chain of branches on which one is smaller, which the data makes
/// unpredictable (twice as slow).
struct SampleColumns {
    l: Vec<f32>,
    a: Vec<f32>,
    b: Vec<f32>,
}

impl SampleColumns {
    fn new(samples: &[Oklab]) -> Self {
        let column = |coordinate: fn(&Oklab) -> f32| {
            let mut values: Vec<f32> = samples.iter().map(coordinate).collect();
            values.resize(samples.len().next_multiple_of(LANES), 0.0);
            values
        };
        Self { l: column(|s| s.l), a: column(|s| s.a), b: column(|s| s.b) }
    }

    /// Samples plus padding: the length of the labels that [`Self::nearest_centres`] writes.
    fn padded_len(&self) -> usize {
        self.l.len()
    }

    /// Writes each sample's nearest centre into `labels` (padding included): the same index as
    /// [`nearest_index`] gives, bit for bit, the first one on ties. On x86_64 with AVX2 the
    /// eight lanes are one register instead of two (same operations, same results).
    fn nearest_centres(&self, centres: &[Oklab], labels: &mut [u32]) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            #[expect(unsafe_code, reason = "calling an AVX2 function once the processor is known to have AVX2")]
            // SAFETY: AVX2 is detected above.
            unsafe {
                self.nearest_centres_avx2(centres, labels)
            };
            return;
        }
        self.nearest_centres_lanes(centres, labels);
    }

    /// [`Self::nearest_centres_lanes`] compiled for AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn nearest_centres_avx2(&self, centres: &[Oklab], labels: &mut [u32]) {
        self.nearest_centres_lanes(centres, labels);
    }

    /// The loops of [`Self::nearest_centres`], inlined into each caller so that each compiles
    /// them for its own instruction set.
    #[inline(always)]
    fn nearest_centres_lanes(&self, centres: &[Oklab], labels: &mut [u32]) {
        let groups = self.l.chunks_exact(LANES).zip(self.a.chunks_exact(LANES)).zip(self.b.chunks_exact(LANES));
        for (((l, a), b), labels) in groups.zip(labels.chunks_exact_mut(LANES)) {
            let mut least = [f32::INFINITY; LANES];
            let mut nearest = [0u32; LANES];
            for (index, centre) in (0u32..).zip(centres) {
                for lane in 0..LANES {
                    // The same expression as `Oklab::distance_squared`, so the same rounding.
                    let (dl, da, db) = (centre.l - l[lane], centre.a - a[lane], centre.b - b[lane]);
                    let distance = dl * dl + da * da + db * db;
                    let closer = distance < least[lane];
                    least[lane] = if closer { distance } else { least[lane] };
                    nearest[lane] = if closer { index } else { nearest[lane] };
                }
            }
            labels.copy_from_slice(&nearest);
        }
    }
}

/// Index of the colour in `palette` nearest to `colour` (0 for an empty palette).
pub fn nearest_index(palette: &[Oklab], colour: Oklab) -> usize {
    first_minimum(palette.iter().map(|p| p.distance_squared(colour)))
}

/// Index of the smallest of `distances`, the first one on ties (0 when empty).
pub(crate) fn first_minimum(distances: impl Iterator<Item = f32>) -> usize {
    let mut best = (0, f32::INFINITY);
    for (i, d) in distances.enumerate() {
        if d < best.1 {
            best = (i, d);
        }
    }
    best.0
}

/// Converts a fitted palette to sRGB, dropping colours that round to the same bytes.
pub fn to_palette(colors: &[Oklab]) -> Palette {
    distinct(colors.iter().map(|&c| Rgb::from(c)))
}

/// `colours` in their order, each kept once.
pub(crate) fn distinct(colours: impl IntoIterator<Item = Rgb>) -> Palette {
    let mut out: Vec<Rgb> = Vec::new();
    for rgb in colours {
        if !out.contains(&rgb) {
            out.push(rgb);
        }
    }
    Palette(out)
}

/// Replaces every opaque pixel of `image` by its nearest palette colour in Oklab (transparent
/// pixels keep alpha 0). Does nothing with an empty palette.
pub fn map_to_palette(image: &mut RgbaImage, palette: &Palette) {
    let lab: Vec<Oklab> = palette.colors().iter().map(|&c| Oklab::from(c)).collect();
    map_each_opaque(image, palette, |rgb| nearest_index(&lab, Oklab::from_srgb(rgb)));
}

/// Replaces every opaque pixel of `image` by the colour of `palette` that `nearest` picks for it
/// (transparent pixels keep alpha 0): the loop of every way of mapping to a palette. Does nothing
/// with an empty palette.
pub(crate) fn map_each_opaque(image: &mut RgbaImage, palette: &Palette, nearest: impl Fn([u8; 3]) -> usize) {
    if palette.is_empty() {
        return;
    }
    for pixel in image.pixels_mut().filter(|p| p.0[3] >= 128) {
        let [r, g, b] = palette.colors()[nearest([pixel.0[0], pixel.0[1], pixel.0[2]])].0;
        pixel.0 = [r, g, b, 255];
    }
}

/// Why an image could not serve as a palette.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PaletteImageError {
    /// The image has no opaque pixel.
    #[error("the palette image has no opaque pixel")]
    NoColors,
    /// The image has more distinct colours than a palette may hold.
    #[error("the palette image has more than {max} distinct colours")]
    TooManyColors {
        /// The most colours accepted.
        max: usize,
    },
}

/// The distinct opaque colours of `image`, in reading order: a palette drawn as a swatch strip
/// or taken from an existing sprite.
pub fn palette_from_image(image: &RgbaImage, max: usize) -> Result<Palette, PaletteImageError> {
    let mut colors: Vec<Rgb> = Vec::new();
    for pixel in image.pixels().filter(|p| p.0[3] >= 128) {
        let rgb = Rgb([pixel.0[0], pixel.0[1], pixel.0[2]]);
        if !colors.contains(&rgb) {
            if colors.len() == max {
                return Err(PaletteImageError::TooManyColors { max });
            }
            colors.push(rgb);
        }
    }
    if colors.is_empty() { Err(PaletteImageError::NoColors) } else { Ok(Palette(colors)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noisy_clusters() -> Vec<Oklab> {
        let centres = [[200u8, 30, 30], [30, 30, 200], [240, 240, 240], [20, 20, 20]];
        let mut rng = SplitMix64(7);
        (0..400)
            .map(|i| {
                let c = centres[i % 4];
                Oklab::from_srgb(c.map(|v| (v as f32 + rng.next_f32() * 8.0 - 4.0).clamp(0.0, 255.0) as u8))
            })
            .collect()
    }

    #[test]
    fn finds_well_separated_clusters_deterministically() {
        let colors = noisy_clusters();
        let a = fit_palette(&colors, 4, &KMeansOptions::default());
        let b = fit_palette(&colors, 4, &KMeansOptions::default());
        assert_eq!(a, b);
        let palette = to_palette(&a);
        assert_eq!(palette.len(), 4);
        for target in [[200u8, 30, 30], [30, 30, 200], [240, 240, 240], [20, 20, 20]] {
            let closest = a.iter().map(|c| c.distance(Oklab::from_srgb(target))).fold(f32::INFINITY, f32::min);
            assert!(closest < 0.02, "{target:?} missing from {palette:?}");
        }
    }

    /// The AVX2 form (taken where the processor has it, as on CI) against the portable lanes and
    /// against `nearest_index`, sample by sample: a partial last group, and tied centres.
    #[test]
    fn nearest_centres_match_the_portable_lanes_and_nearest_index() {
        let samples = &noisy_clusters()[..397];
        let mut centres: Vec<Oklab> = samples.iter().step_by(41).copied().collect();
        centres.push(centres[2]);
        centres.insert(0, centres[3]);
        let columns = SampleColumns::new(samples);
        let mut fast = vec![u32::MAX; columns.padded_len()];
        let mut portable = fast.clone();
        columns.nearest_centres(&centres, &mut fast);
        columns.nearest_centres_lanes(&centres, &mut portable);
        assert_eq!(fast, portable);
        for (sample, &label) in samples.iter().zip(&fast) {
            assert_eq!(label as usize, nearest_index(&centres, *sample));
        }
    }

    #[test]
    fn keeps_few_distinct_colours_as_they_are() {
        let colors = [Oklab::from_srgb([1, 2, 3]), Oklab::from_srgb([200, 100, 0])];
        assert_eq!(fit_palette(&colors, 16, &KMeansOptions::default()).len(), 2);
    }

    #[test]
    fn takes_distinct_colours_from_an_image() {
        let image = RgbaImage::from_fn(4, 1, |x, _| image::Rgba(if x < 2 { [9, 9, 9, 255] } else { [1, 2, 3, 255] }));
        assert_eq!(palette_from_image(&image, 256).unwrap().len(), 2);
        assert_eq!(palette_from_image(&image, 1), Err(PaletteImageError::TooManyColors { max: 1 }));
        assert_eq!(palette_from_image(&RgbaImage::new(2, 2), 256), Err(PaletteImageError::NoColors));
    }
}
