//! Ordered (Bayer) dithering onto a palette: the classic pixel-art way to suggest a shade the
//! palette lacks, with a fixed, tileable pattern instead of error diffusion's crawling noise.

use dgx_pixels_protocol::Palette;
use image::RgbaImage;

use crate::color::Oklab;
use crate::quantize::nearest_index;

/// The 4×4 Bayer threshold matrix.
const BAYER_4X4: [[u8; 4]; 4] = [[0, 8, 2, 10], [12, 4, 14, 6], [3, 11, 1, 9], [15, 7, 13, 5]];

/// Maps every opaque pixel of `image` to `palette`, nudging its lightness by the Bayer threshold
/// of its position, scaled to the typical lightness gap between palette neighbours, so that a
/// shade between two palette colours becomes a pattern of both.
pub fn dither_to_palette(image: &mut RgbaImage, palette: &Palette) {
    let lab: Vec<Oklab> = palette.colors().iter().map(|&c| Oklab::from(c)).collect();
    if lab.is_empty() {
        return;
    }
    let spread = lightness_gap(&lab);
    for (x, y, pixel) in image.enumerate_pixels_mut() {
        if pixel.0[3] < 128 {
            continue;
        }
        let threshold = (f32::from(BAYER_4X4[(y % 4) as usize][(x % 4) as usize]) + 0.5) / 16.0 - 0.5;
        let mut colour = Oklab::from_srgb([pixel.0[0], pixel.0[1], pixel.0[2]]);
        colour.l += threshold * spread;
        let [r, g, b] = palette.colors()[nearest_index(&lab, colour)].0;
        pixel.0 = [r, g, b, 255];
    }
}

/// The median lightness step between palette colours sorted by lightness.
fn lightness_gap(lab: &[Oklab]) -> f32 {
    let mut lightness: Vec<f32> = lab.iter().map(|c| c.l).collect();
    lightness.sort_by(f32::total_cmp);
    let mut gaps: Vec<f32> = lightness.windows(2).map(|w| w[1] - w[0]).filter(|&g| g > 1e-4).collect();
    if gaps.is_empty() {
        return 0.0;
    }
    let middle = gaps.len() / 2;
    *gaps.select_nth_unstable_by(middle, f32::total_cmp).1
}

#[cfg(test)]
mod tests {
    use super::*;
    use dgx_pixels_protocol::Rgb;

    #[test]
    fn a_middle_grey_becomes_a_pattern_of_black_and_white() {
        let palette = Palette(vec![Rgb([0, 0, 0]), Rgb([255, 255, 255])]);
        let mut image = RgbaImage::from_pixel(4, 4, image::Rgba([118, 118, 118, 255]));
        dither_to_palette(&mut image, &palette);
        let white = image.pixels().filter(|p| p.0[0] == 255).count();
        assert!((4..=12).contains(&white), "{white} white of 16");
    }
}
