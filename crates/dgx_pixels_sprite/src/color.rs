//! Oklab, the perceptual colour space every colour decision in the pipeline is made in.
//!
//! Distances in sRGB over-weight dark colours and under-weight hue; Oklab (Björn Ottosson, 2020)
//! is close to perceptually uniform, so one tolerance or one k-means distance means the same
//! visual difference for a near-black backdrop as for a pastel one.

use std::sync::LazyLock;

use dgx_pixels_protocol::Rgb;

/// A colour in Oklab: `l` is lightness in `0.0..=1.0`, `a` and `b` are the green–red and
/// blue–yellow axes (roughly `-0.4..=0.4`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Oklab {
    /// Perceived lightness.
    pub l: f32,
    /// Green (negative) to red (positive).
    pub a: f32,
    /// Blue (negative) to yellow (positive).
    pub b: f32,
}

/// sRGB byte to linear light, computed once: converting a whole image is then a table look-up
/// per channel instead of a `powf`.
static SRGB_TO_LINEAR: LazyLock<[f32; 256]> = LazyLock::new(|| {
    std::array::from_fn(|i| {
        let c = i as f32 / 255.0;
        if c <= 0.040_45 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
    })
});

fn linear_to_srgb_byte(c: f32) -> u8 {
    let c = c.clamp(0.0, 1.0);
    let s = if c <= 0.003_130_8 { c * 12.92 } else { 1.055 * c.powf(1.0 / 2.4) - 0.055 };
    (s * 255.0).round().clamp(0.0, 255.0) as u8
}

impl Oklab {
    /// Converts an sRGB colour given as three bytes.
    pub fn from_srgb([r, g, b]: [u8; 3]) -> Self {
        let lut = &*SRGB_TO_LINEAR;
        let (r, g, b) = (lut[usize::from(r)], lut[usize::from(g)], lut[usize::from(b)]);
        let l = (0.412_221_46 * r + 0.536_332_55 * g + 0.051_445_995 * b).cbrt();
        let m = (0.211_903_5 * r + 0.680_699_5 * g + 0.107_396_96 * b).cbrt();
        let s = (0.088_302_46 * r + 0.281_718_85 * g + 0.629_978_7 * b).cbrt();
        Self {
            l: 0.210_454_26 * l + 0.793_617_8 * m - 0.004_072_047 * s,
            a: 1.977_998_5 * l - 2.428_592_2 * m + 0.450_593_7 * s,
            b: 0.025_904_037 * l + 0.782_771_77 * m - 0.808_675_77 * s,
        }
    }

    /// Converts back to sRGB bytes, clamping colours outside the sRGB gamut.
    pub fn to_srgb(self) -> [u8; 3] {
        let l = (self.l + 0.396_337_78 * self.a + 0.215_803_76 * self.b).powi(3);
        let m = (self.l - 0.105_561_346 * self.a - 0.063_854_17 * self.b).powi(3);
        let s = (self.l - 0.089_484_18 * self.a - 1.291_485_5 * self.b).powi(3);
        [
            linear_to_srgb_byte(4.076_741_7 * l - 3.307_711_6 * m + 0.230_969_94 * s),
            linear_to_srgb_byte(-1.268_438 * l + 2.609_757_4 * m - 0.341_319_38 * s),
            linear_to_srgb_byte(-0.004_196_086_3 * l - 0.703_418_6 * m + 1.707_614_7 * s),
        ]
    }

    /// Squared Euclidean distance: the k-means cost, and cheaper than [`Self::distance`] when
    /// only comparing.
    pub fn distance_squared(self, other: Self) -> f32 {
        squared_distance([self.l, self.a, self.b], [other.l, other.a, other.b])
    }

    /// The mean of `colours`, or `None` when there are none.
    pub fn mean(colours: impl IntoIterator<Item = Self>) -> Option<Self> {
        let (sum, n) = colours
            .into_iter()
            .fold((Self::default(), 0u32), |(s, n), c| (Self { l: s.l + c.l, a: s.a + c.a, b: s.b + c.b }, n + 1));
        let n = n as f32;
        (n > 0.0).then(|| Self { l: sum.l / n, a: sum.a / n, b: sum.b / n })
    }

    /// Euclidean distance; about 0.02 is a just-noticeable difference.
    pub fn distance(self, other: Self) -> f32 {
        self.distance_squared(other).sqrt()
    }
}

impl From<Rgb> for Oklab {
    fn from(colour: Rgb) -> Self {
        Self::from_srgb(colour.0)
    }
}

impl From<Oklab> for Rgb {
    fn from(colour: Oklab) -> Self {
        Rgb(colour.to_srgb())
    }
}

/// Squared Euclidean distance between two colours held as plain triples (sRGB levels, Oklab's
/// L, a, b): what every stage that compares colours compares.
pub(crate) fn squared_distance(a: [f32; 3], b: [f32; 3]) -> f32 {
    let (d0, d1, d2) = (a[0] - b[0], a[1] - b[1], a[2] - b[2]);
    d0 * d0 + d1 * d1 + d2 * d2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn white_and_black_have_the_documented_lightness() {
        let white = Oklab::from_srgb([255, 255, 255]);
        assert!((white.l - 1.0).abs() < 1e-3 && white.a.abs() < 1e-3 && white.b.abs() < 1e-3);
        assert!(Oklab::from_srgb([0, 0, 0]).l.abs() < 1e-6);
    }

    #[test]
    fn srgb_round_trips_through_oklab() {
        for rgb in [[0, 0, 0], [255, 0, 255], [0, 177, 64], [24, 24, 32], [200, 200, 204], [12, 250, 3]] {
            assert_eq!(Oklab::from_srgb(rgb).to_srgb(), rgb);
        }
    }
}
