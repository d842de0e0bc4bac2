//! img2img for the procedural backend: a variation of a source sprite, redrawn in places from a
//! fresh drawing of the prompt.
//!
//! A diffusion model at denoise `d` keeps the source's broad layout and redraws about a share
//! `d` of it. The placeholder does the same in pixel terms: of the pixels where the fresh
//! drawing differs from the source, the share `d` (at least one) is taken from the fresh
//! drawing and the rest kept. Which ones follows a smooth noise field of the seed, so the
//! redrawn parts are blobs (an arm, a patch of the body), not scattered dots; and since a
//! higher denoise takes the same pixels and more, the change grows with it. At 1.0 the result
//! is the fresh drawing: the source is ignored, as in img2img.

use dgx_pixels_protocol::SpriteSize;
use image::RgbaImage;
use image::imageops::{self, FilterType};

use super::design::SplitMix;

/// Mixed into the seed for the noise field, so that it is not the design's random stream.
const NOISE_SALT: u64 = 0x6a09_e667_f3bc_c908;
/// Noise cells across the shorter side: blobs of about a quarter of the sprite.
const NOISE_CELLS: u32 = 4;

/// A source sprite and which of its pixels give way first.
pub(super) struct Variation {
    /// The source at the sprite size.
    source: RgbaImage,
    /// Pixel indices, the first to be redrawn first.
    order: Vec<usize>,
    /// Share of the differing pixels to redraw, 0..=1.
    denoise: f32,
}

impl Variation {
    /// The variation of `source` (any size; scaled nearest-neighbour to `size`) for `seed`.
    pub fn new(source: &RgbaImage, size: SpriteSize, seed: u64, denoise: f32) -> Self {
        let source = if source.dimensions() == (size.width, size.height) {
            source.clone()
        } else {
            imageops::resize(source, size.width, size.height, FilterType::Nearest)
        };
        let order = noise_order(size, seed);
        Self { source, order, denoise: denoise.clamp(0.0, 1.0) }
    }

    /// The source with part of `fresh` (a drawing of the prompt at the sprite size) in it.
    pub fn apply(&self, fresh: &RgbaImage) -> RgbaImage {
        let mut out = self.source.clone();
        let differs = |i: usize| self.source.as_raw()[i * 4..i * 4 + 4] != fresh.as_raw()[i * 4..i * 4 + 4];
        let differing = self.order.iter().filter(|&&i| differs(i)).count();
        let redraw = ((differing as f32 * self.denoise).ceil() as usize).clamp(differing.min(1), differing);
        for &i in self.order.iter().filter(|&&i| differs(i)).take(redraw) {
            out.as_mut()[i * 4..i * 4 + 4].copy_from_slice(&fresh.as_raw()[i * 4..i * 4 + 4]);
        }
        out
    }
}

/// Every pixel index of a `size` image, ordered by a smooth value-noise field of `seed`
/// (lowest first; ties by index, so the order is the same everywhere).
fn noise_order(size: SpriteSize, seed: u64) -> Vec<usize> {
    let cell = (size.width.min(size.height) / NOISE_CELLS).max(1) as f32;
    let columns = (size.width as f32 / cell).ceil() as usize + 2;
    let rows = (size.height as f32 / cell).ceil() as usize + 2;
    let mut rng = SplitMix(seed ^ NOISE_SALT);
    let grid: Vec<f32> = (0..columns * rows).map(|_| rng.unit()).collect();
    let at = |column: usize, row: usize| grid[row * columns + column];
    let noise = |x: u32, y: u32| {
        let (u, v) = ((x as f32 + 0.5) / cell, (y as f32 + 0.5) / cell);
        let (column, row) = (u.floor() as usize, v.floor() as usize);
        let (fu, fv) = (u.fract(), v.fract());
        let top = at(column, row) * (1.0 - fu) + at(column + 1, row) * fu;
        let bottom = at(column, row + 1) * (1.0 - fu) + at(column + 1, row + 1) * fu;
        top * (1.0 - fv) + bottom * fv
    };
    let values: Vec<f32> =
        (0..size.height).flat_map(|y| (0..size.width).map(move |x| (x, y))).map(|(x, y)| noise(x, y)).collect();
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    order
}

#[cfg(test)]
mod tests {
    use image::Rgba;

    use super::*;

    const SIZE: SpriteSize = SpriteSize::new(32, 32);

    fn changed(a: &RgbaImage, b: &RgbaImage) -> usize {
        a.pixels().zip(b.pixels()).filter(|(p, q)| p != q).count()
    }

    /// A blue square source and a red disc drawing: low denoise changes a little, higher
    /// denoise the same pixels and more, 1.0 gives the drawing; the same seed gives the same.
    #[test]
    fn the_change_grows_with_denoise_and_follows_the_seed() {
        let source = RgbaImage::from_fn(32, 32, |x, y| {
            if (8..24).contains(&x) && (8..24).contains(&y) { Rgba([40, 60, 200, 255]) } else { Rgba([0, 0, 0, 0]) }
        });
        let fresh = RgbaImage::from_fn(32, 32, |x, y| {
            let (dx, dy) = (x as f32 - 15.5, y as f32 - 15.5);
            if dx * dx + dy * dy < 100.0 { Rgba([200, 40, 40, 255]) } else { Rgba([0, 0, 0, 0]) }
        });
        let differing = changed(&source, &fresh);
        let vary = |denoise| Variation::new(&source, SIZE, 9, denoise).apply(&fresh);
        let (low, high) = (vary(0.1), vary(0.7));
        assert!(changed(&source, &low) > 0, "a variation is not a copy");
        assert!(changed(&source, &low) <= differing / 5, "{} of {differing}", changed(&source, &low));
        assert!(changed(&source, &high) > 3 * changed(&source, &low));
        let kept_low = low.pixels().zip(high.pixels()).zip(source.pixels()).all(|((l, h), s)| l == s || l == h);
        assert!(kept_low, "what low denoise redraws, higher denoise redraws too");
        assert_eq!(vary(1.0), fresh);
        assert_eq!(vary(0.7), high);
        assert_ne!(Variation::new(&source, SIZE, 10, 0.7).apply(&fresh), high);
    }

    #[test]
    fn a_large_source_is_scaled_to_the_sprite() {
        let source = RgbaImage::from_pixel(256, 256, Rgba([1, 2, 3, 255]));
        let fresh = RgbaImage::from_pixel(32, 32, Rgba([1, 2, 3, 255]));
        assert_eq!(Variation::new(&source, SIZE, 1, 0.5).apply(&fresh), fresh);
    }
}
