//! A fitted palette refined for the noise in generated pixels: a Gaussian mixture in sRGB.
//!
//! Each cell read off a generated image is its true colour plus noise that the model, the blur
//! and the codec added to every channel in sRGB code values (a few levels; the fidelity bench
//! adds 2–5 levels per cell and 2–6 per pixel). k-means ([`crate::quantize::fit_palette`]) gives
//! every cell wholly to its nearest centre, which is right when the sprite's colours lie further
//! apart than that noise and wrong when they do not: a ramp of greys a few levels apart is one
//! cloud to k-means, which then cuts it along the noise as well and returns greenish and
//! purplish centres for a grey sprite (ΔE2000 > 5 from every true grey). A mixture of Gaussians
//! with one shared, isotropic noise level, fitted by EM in the space where the noise *is*
//! isotropic (sRGB code values, not Oklab), shares the cells on the boundary between two
//! centres by their likelihood, so the centres settle where the noise averages out: on the
//! fidelity bench, with the colour budget given, this took the share of opaque cells within
//! ΔE2000 5 of the truth from about 97.7 % to 99.7 % (BENCHMARKS.md, "Pixel-art fidelity").
//!
//! The budget of colours is a ceiling, not a count to fill: two centres the noise does not
//! separate (their mixture has one peak) are merged, since splitting one colour's cloud only
//! returns tinted halves of it; an entry so freed goes to a colour the mixture does not explain
//! (cells beyond five noise deviations of every centre: a rare colour k-means folded into a
//! neighbour). On the five degraded sets of the bench, colour errors fell from 0.50 to 0.42
//! points of accuracy with the merging, and to 0.32 with the freed entries given on.
//!
//! The noise level is the mixture's own estimate (no constant to tune), and a cell goes to the
//! colour most likely to have produced it under the same model ([`NoisyPalette::map`]): the
//! nearest once each colour's distance is weighed against how many cells it explains, so a cell
//! halfway between a colour of two hundred cells and one of ten goes to the former. On seventeen
//! degraded sets this moved GIVEN accuracy up on fifteen (0.008 points a set on average) over
//! the plain nearest colour (BENCHMARKS.md, "The likeliest colour, session 15"). A palette that
//! already holds every colour exactly (clean art within budget) is returned unchanged.

use dgx_pixels_protocol::{Palette, Rgb};
use image::RgbaImage;

use crate::color::{Oklab, squared_distance};
use crate::quantize::{first_minimum, fit_samples, map_each_opaque};

/// EM rounds at most; the centres move by less than [`SETTLED`] levels well before on most
/// sprites, and more rounds changed no cell on the bench.
const MAX_ROUNDS: usize = 20;

/// Largest centre move, in sRGB levels, at which the fit stops.
const SETTLED: f32 = 0.01;

/// A centre whose likelihood for a sample is below e^-[`NEGLIGIBLE`] of the best one's takes no
/// share of it (its weight would be under 1e-8), which saves most of the exponentials.
const NEGLIGIBLE: f32 = 18.0;

/// The noise variance never falls below that of rounding to whole levels (1/12 level²).
const ROUNDING_VARIANCE: f64 = 1.0 / 12.0;

/// Two centres closer than this many noise deviations (per channel) are one colour: their
/// mixture has a single peak, so the data holds no sign of two colours there, and splitting it
/// only cuts the noise (a grey cut along it comes back as a greenish and a purplish grey).
const ONE_PEAK: f32 = 2.0;

/// A sample further than this many noise deviations (per channel) from every centre is a colour
/// the mixture lacks: noise of one deviation per channel reaches that far once in about 70 000
/// samples.
const UNEXPLAINED: f32 = 5.0;

/// A palette fitted to noisy cells by [`refine_palette`]: its colours, the share of the cells
/// each explains, and the noise about them, which together say which colour a cell most likely
/// came from.
#[derive(Clone, Debug, PartialEq)]
pub struct NoisyPalette {
    palette: Palette,
    /// Per entry of `palette`: the share of the fitted cells it explains (they sum to 1).
    shares: Vec<f64>,
    /// The noise variance per channel, in sRGB levels².
    variance: f64,
}

impl NoisyPalette {
    /// The palette's colours.
    pub fn palette(&self) -> &Palette {
        &self.palette
    }

    /// Replaces every opaque pixel of `image` by the colour most likely to have produced it
    /// (transparent pixels keep alpha 0): the one with the least `|pixel − colour|² − 2σ²·ln
    /// share`, Gaussian noise of variance σ² per channel about colours drawn in their shares.
    /// With equal shares, or no noise, that is the nearest colour in sRGB. Does nothing with an
    /// empty palette.
    pub fn map(&self, image: &mut RgbaImage) {
        let centres: Vec<[f32; 3]> = self.palette.colors().iter().map(|c| c.0.map(f32::from)).collect();
        let costs: Vec<f32> = self
            .shares
            .iter()
            .map(|&share| (-2.0 * self.variance * share.max(f64::MIN_POSITIVE).ln()) as f32)
            .collect();
        map_each_opaque(image, &self.palette, |rgb| {
            let colour = rgb.map(f32::from);
            first_minimum(centres.iter().zip(&costs).map(|(centre, cost)| squared_distance(colour, *centre) + cost))
        });
    }

    /// `palette` with every colour taken as equally common and no noise: mapping gives each
    /// pixel its nearest colour.
    fn exact(palette: &Palette) -> Self {
        let shares = vec![1.0 / palette.len().max(1) as f64; palette.len()];
        Self { palette: palette.clone(), shares, variance: 0.0 }
    }
}

/// Refines `start` (one sRGB colour per palette entry, e.g. k-means' centres) to the centres of
/// a Gaussian mixture over `colors` with one shared noise level, merging centres the noise does
/// not separate ([`ONE_PEAK`]) and giving the entries so freed to colours it does not explain
/// ([`UNEXPLAINED`]), and returns them rounded, without duplicates, sorted dark to light (as
/// [`crate::quantize::fit_palette`] sorts), with their shares and the noise. Reads the same
/// samples of `colors` as the k-means fit.
pub fn refine_palette(colors: &[[u8; 3]], start: &Palette) -> NoisyPalette {
    let samples: Vec<[f32; 3]> = fit_samples(colors).iter().map(|s| s.map(f32::from)).collect();
    let centres: Vec<[f32; 3]> = start.colors().iter().map(|c| c.0.map(f32::from)).collect();
    let variance = samples.iter().map(|s| nearest_distance_squared(&centres, s)).sum::<f32>() as f64
        / (3 * samples.len().max(1)) as f64;
    if centres.len() < 2 || variance == 0.0 {
        return NoisyPalette::exact(start);
    }
    let mut mixture =
        Mixture { components: Component::starting_at(centres).collect(), variance: variance.max(ROUNDING_VARIANCE) };
    mixture.settle(&samples);
    // Entries the merging freed go to colours the mixture does not explain, while new ones stay.
    while mixture.components.len() < start.len() {
        let unexplained = mixture.unexplained(&samples, start.len() - mixture.components.len());
        if unexplained.is_empty() {
            break;
        }
        let before = mixture.components.len();
        mixture.components.extend(Component::starting_at(unexplained));
        mixture.settle(&samples);
        if mixture.components.len() <= before {
            break;
        }
    }
    mixture.into_palette()
}

/// Gaussians of one shared, isotropic variance (per channel, in sRGB levels²) over the samples.
struct Mixture {
    components: Vec<Component>,
    variance: f64,
}

/// One Gaussian of a [`Mixture`].
#[derive(Clone, Copy)]
struct Component {
    centre: [f32; 3],
    /// The samples' total share in it after the last [`Mixture::settle`] (0 before).
    weight: f64,
}

impl Component {
    /// Components at `centres` that hold no samples yet.
    fn starting_at(centres: Vec<[f32; 3]>) -> impl Iterator<Item = Self> {
        centres.into_iter().map(|centre| Self { centre, weight: 0.0 })
    }
}

impl Mixture {
    /// EM rounds, each ending with [`Mixture::merge_unseparated`], until no centre moves by
    /// [`SETTLED`] and none merges (at most [`MAX_ROUNDS`]).
    fn settle(&mut self, samples: &[[f32; 3]]) {
        for _ in 0..MAX_ROUNDS {
            let mut shares = vec![0.0f32; self.components.len()];
            let mut sums = vec![Moments::default(); self.components.len()];
            let scale = (0.5 / self.variance) as f32;
            for sample in samples {
                for (share, component) in shares.iter_mut().zip(&self.components) {
                    *share = squared_distance(*sample, component.centre);
                }
                let least = shares.iter().copied().fold(f32::INFINITY, f32::min);
                let mut total = 0.0f32;
                for share in &mut shares {
                    let exponent = (*share - least) * scale;
                    *share = if exponent < NEGLIGIBLE { (-exponent).exp() } else { 0.0 };
                    total += *share;
                }
                for (sum, &share) in sums.iter_mut().zip(&shares).filter(|(_, share)| **share > 0.0) {
                    sum.add(sample, share / total);
                }
            }
            let mut moved = 0.0f32;
            let mut spread = 0.0f64;
            for (component, sum) in self.components.iter_mut().zip(&sums) {
                component.weight = sum.weight;
                if sum.weight > 0.0 {
                    let next = sum.mean();
                    moved = moved.max(squared_distance(component.centre, next).sqrt());
                    component.centre = next;
                    spread += sum.spread_about(&next);
                }
            }
            self.variance = (spread / (3 * samples.len()) as f64).max(ROUNDING_VARIANCE);
            if !self.merge_unseparated() && moved < SETTLED {
                break;
            }
        }
    }

    /// Up to `most` samples that lie beyond [`UNEXPLAINED`] noise deviations of every centre and
    /// of each other, furthest first: colours of their own, not noise about the centres.
    fn unexplained(&self, samples: &[[f32; 3]], most: usize) -> Vec<[f32; 3]> {
        let limit = (f64::from(UNEXPLAINED).powi(2) * self.variance) as f32;
        let centres: Vec<[f32; 3]> = self.components.iter().map(|c| c.centre).collect();
        let mut far: Vec<(f32, [f32; 3])> =
            samples.iter().map(|s| (nearest_distance_squared(&centres, s), *s)).filter(|&(d, _)| d > limit).collect();
        far.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut chosen: Vec<[f32; 3]> = Vec::new();
        for (_, sample) in far {
            if chosen.len() == most {
                break;
            }
            if nearest_distance_squared(&chosen, &sample) > limit {
                chosen.push(sample);
            }
        }
        chosen
    }

    /// Merges each centre into its nearest one where the two lie within [`ONE_PEAK`] noise
    /// deviations, closest pairs first, each centre once, into their weighted mean; drops
    /// centres that took no samples. Returns whether anything changed.
    fn merge_unseparated(&mut self) -> bool {
        let limit = (f64::from(ONE_PEAK).powi(2) * self.variance) as f32;
        let count = self.components.len();
        let mut pairs: Vec<(f32, usize, usize)> = (0..count)
            .flat_map(|i| (i + 1..count).map(move |j| (i, j)))
            .map(|(i, j)| (squared_distance(self.components[i].centre, self.components[j].centre), i, j))
            .filter(|&(d, _, _)| d < limit)
            .collect();
        pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut gone = vec![false; count];
        for (_, i, j) in pairs {
            if gone[i] || gone[j] {
                continue;
            }
            let (into, from) = (self.components[i], self.components[j]);
            let total = (into.weight + from.weight).max(f64::MIN_POSITIVE);
            let mean =
                |c: usize| (f64::from(into.centre[c]) * into.weight + f64::from(from.centre[c]) * from.weight) / total;
            self.components[i] =
                Component { centre: [0, 1, 2].map(|c| mean(c) as f32), weight: into.weight + from.weight };
            gone[j] = true;
        }
        gone.iter_mut().zip(&self.components).for_each(|(g, c)| *g |= c.weight <= 0.0);
        if !gone.contains(&true) {
            return false;
        }
        let mut keep = gone.iter().map(|g| !g);
        self.components.retain(|_| keep.next().unwrap_or(true));
        true
    }

    /// The centres rounded to whole levels, those that round alike as one (their shares added),
    /// sorted dark to light.
    fn into_palette(self) -> NoisyPalette {
        let total: f64 = self.components.iter().map(|c| c.weight).sum::<f64>().max(f64::MIN_POSITIVE);
        let mut entries: Vec<(Rgb, f64)> = Vec::with_capacity(self.components.len());
        for Component { centre, weight } in &self.components {
            let colour = Rgb(centre.map(|v| v.round().clamp(0.0, 255.0) as u8));
            match entries.iter_mut().find(|(known, _)| *known == colour) {
                Some((_, share)) => *share += weight / total,
                None => entries.push((colour, weight / total)),
            }
        }
        entries.sort_by(|a, b| Oklab::from(a.0).l.total_cmp(&Oklab::from(b.0).l));
        let (colours, shares) = entries.into_iter().unzip();
        NoisyPalette { palette: Palette(colours), shares, variance: self.variance }
    }
}

/// The weighted sums of one mixture component's samples, in `f64` so that the spread about the
/// new centre can be taken from them without a second pass and without cancellation.
#[derive(Clone, Copy, Default)]
struct Moments {
    weight: f64,
    sum: [f64; 3],
    squares: f64,
}

impl Moments {
    fn add(&mut self, sample: &[f32; 3], weight: f32) {
        let weight = f64::from(weight);
        self.weight += weight;
        for (sum, &value) in self.sum.iter_mut().zip(sample) {
            *sum += weight * f64::from(value);
        }
        self.squares += weight * sample.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>();
    }

    fn mean(&self) -> [f32; 3] {
        self.sum.map(|s| (s / self.weight) as f32)
    }

    /// Σ weight · |sample − centre|², from the sums: Σw|x|² − 2 c·Σwx + w|c|².
    fn spread_about(&self, centre: &[f32; 3]) -> f64 {
        let centre = centre.map(f64::from);
        let dot: f64 = centre.iter().zip(&self.sum).map(|(c, s)| c * s).sum();
        let norm: f64 = centre.iter().map(|c| c * c).sum();
        (self.squares - 2.0 * dot + self.weight * norm).max(0.0)
    }
}

fn nearest_distance_squared(centres: &[[f32; 3]], sample: &[f32; 3]) -> f32 {
    centres.iter().map(|c| squared_distance(*sample, *c)).fold(f32::INFINITY, f32::min)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The colours [`refine_palette`] fits.
    fn refined_colours(colors: &[[u8; 3]], start: &Palette) -> Palette {
        refine_palette(colors, start).palette().clone()
    }

    /// A deterministic normal deviate (Box–Muller over SplitMix64).
    fn normal(state: &mut u64) -> f32 {
        let mut next = || {
            *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = *state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            ((z ^ (z >> 31)) >> 40) as f32 / (1u64 << 24) as f32
        };
        let (u, v) = (next().max(1e-7), next());
        (-2.0 * u.ln()).sqrt() * (std::f32::consts::TAU * v).cos()
    }

    /// Cells of a grey ramp four levels apart, each shifted by noise of 4 levels per channel:
    /// one cloud to k-means. The refined centres must stay grey.
    #[test]
    fn keeps_a_noisy_grey_ramp_grey() {
        let greys: Vec<u8> = (0..12).map(|i| 40 + 4 * i).collect();
        let mut state = 3;
        let samples: Vec<[u8; 3]> = (0..1200)
            .map(|i| {
                let g = f32::from(greys[i % greys.len()]);
                [0; 3].map(|_: u8| (g + 4.0 * normal(&mut state)).round().clamp(0.0, 255.0) as u8)
            })
            .collect();
        let oklab: Vec<Oklab> = samples.iter().map(|&s| Oklab::from_srgb(s)).collect();
        let kmeans = crate::quantize::to_palette(&crate::quantize::fit_palette(
            &oklab,
            greys.len(),
            &crate::quantize::KMeansOptions::default(),
        ));
        let tint = |palette: &Palette| {
            palette.colors().iter().map(|c| Oklab::from(*c)).map(|c| c.a.hypot(c.b)).fold(0.0f32, f32::max)
        };
        let refined = refined_colours(&samples, &kmeans);
        assert!(tint(&refined) < tint(&kmeans) / 2.0, "k-means {kmeans:?} refined {refined:?}");
        assert!(tint(&refined) < 0.01, "{refined:?}");
    }

    /// One grey with noise of 4 levels, started from three tinted centres: the noise shows a
    /// single peak, so one grey comes back; two colours four deviations apart stay two.
    #[test]
    fn merges_centres_the_noise_does_not_separate() {
        let mut state = 5;
        let noisy = |state: &mut u64, v: u8| (f32::from(v) + 4.0 * normal(state)).round().clamp(0.0, 255.0) as u8;
        let grey: Vec<[u8; 3]> = (0..600).map(|_| [0; 3].map(|_: u8| noisy(&mut state, 100))).collect();
        let start = Palette(vec![Rgb([96, 100, 104]), Rgb([104, 100, 96]), Rgb([100, 104, 100])]);
        let refined = refined_colours(&grey, &start);
        assert_eq!(refined.len(), 1, "{refined:?}");
        assert!(refined.0[0].0.iter().all(|&v| v.abs_diff(100) <= 1), "{refined:?}");

        let two: Vec<[u8; 3]> =
            (0..600).map(|i| [0; 3].map(|_: u8| noisy(&mut state, 92 + 16 * (i % 2) as u8))).collect();
        let start = Palette(vec![Rgb([94, 94, 94]), Rgb([106, 106, 106])]);
        assert_eq!(refined_colours(&two, &start).len(), 2);
    }

    /// Two starting centres split one grey's noise, and a rare orange has none: the grey's are
    /// merged and the freed entry goes to the orange.
    #[test]
    fn gives_budget_merges_free_to_unexplained_colours() {
        let mut state = 11;
        let noisy = |state: &mut u64, v: u8| (f32::from(v) + 3.0 * normal(state)).round().clamp(0.0, 255.0) as u8;
        let mut samples: Vec<[u8; 3]> = (0..500).map(|_| [0; 3].map(|_: u8| noisy(&mut state, 100))).collect();
        samples.extend((0..6).map(|_| [205, 99, 23].map(|v| noisy(&mut state, v))));
        let start = Palette(vec![Rgb([97, 100, 100]), Rgb([103, 100, 100])]);
        let refined = refined_colours(&samples, &start);
        let near =
            |t: [u8; 3], d: u8| refined.colors().iter().any(|c| c.0.iter().zip(t).all(|(&a, b)| a.abs_diff(b) <= d));
        assert!(near([205, 99, 23], 4) && near([100, 100, 100], 1), "{refined:?}");
    }

    #[test]
    fn leaves_a_palette_that_holds_every_colour_exactly() {
        let samples = [[10, 20, 30], [200, 100, 0], [10, 20, 30]];
        let start = Palette(vec![Rgb([200, 100, 0]), Rgb([10, 20, 30])]);
        assert_eq!(refined_colours(&samples, &start), start);
    }

    #[test]
    fn separated_colours_settle_on_their_means() {
        let mut state = 9;
        let truth = [[200u8, 40, 40], [40, 160, 60], [30, 30, 30]];
        let samples: Vec<[u8; 3]> = (0..900)
            .map(|i| truth[i % 3].map(|v| (f32::from(v) + 3.0 * normal(&mut state)).round().clamp(0.0, 255.0) as u8))
            .collect();
        let start = Palette(vec![Rgb([190, 50, 45]), Rgb([45, 150, 70]), Rgb([40, 35, 30])]);
        let refined = refined_colours(&samples, &start);
        for t in truth {
            let near = refined.colors().iter().any(|c| c.0.iter().zip(t).all(|(&a, b)| a.abs_diff(b) <= 1));
            assert!(near, "{t:?} missing from {refined:?}");
        }
    }

    #[test]
    fn an_exact_palette_maps_each_opaque_pixel_to_the_nearest_colour_in_srgb() {
        let palette = Palette(vec![Rgb([0, 0, 0]), Rgb([250, 250, 250])]);
        let mut image = RgbaImage::from_fn(3, 1, |x, _| {
            image::Rgba([[20, 20, 20, 255], [240, 230, 250, 255], [1, 1, 1, 0]][x as usize])
        });
        NoisyPalette::exact(&palette).map(&mut image);
        assert_eq!(image.get_pixel(0, 0).0, [0, 0, 0, 255]);
        assert_eq!(image.get_pixel(1, 0).0, [250, 250, 250, 255]);
        assert_eq!(image.get_pixel(2, 0).0[3], 0);
    }

    /// Two greys 12 levels apart with noise of 4 levels, one in 400 cells, the other in 20: a cell
    /// a little nearer the rare grey is still likelier to be the common one with noise, and goes
    /// there; one close to the rare grey keeps it.
    #[test]
    fn a_cell_between_two_colours_goes_to_the_likelier_one() {
        let mut state = 13;
        let noisy = |state: &mut u64, v: u8| (f32::from(v) + 4.0 * normal(state)).round().clamp(0.0, 255.0) as u8;
        let samples: Vec<[u8; 3]> =
            (0..420).map(|i| [0; 3].map(|_: u8| noisy(&mut state, if i % 21 == 0 { 112 } else { 100 }))).collect();
        let fitted = refine_palette(&samples, &Palette(vec![Rgb([100, 100, 100]), Rgb([112, 112, 112])]));
        assert_eq!(fitted.palette().len(), 2, "{fitted:?}");
        let mut image = RgbaImage::from_fn(2, 1, |x, _| {
            let v = [107, 111][x as usize];
            image::Rgba([v, v, v, 255])
        });
        fitted.map(&mut image);
        let [dark, light] = [fitted.palette().0[0], fitted.palette().0[1]];
        assert_eq!(image.get_pixel(0, 0).0[..3], dark.0, "{fitted:?}");
        assert_eq!(image.get_pixel(1, 0).0[..3], light.0, "{fitted:?}");
    }
}
