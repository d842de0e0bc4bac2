//! A 1-pixel outline around the opaque shape: the dark rim that keeps a sprite readable on any
//! game background.

use dgx_pixels_protocol::Rgb;
use image::{Rgba, RgbaImage};

/// Paints every transparent pixel that touches an opaque one (4-neighbourhood) in `colour`.
/// The sprite keeps its size, so leave a transparent margin (no `trim` first) for the outline to
/// be visible on all sides.
pub fn add_outline(image: &mut RgbaImage, colour: Rgb) {
    let (width, height) = image.dimensions();
    let opaque = |x: u32, y: u32| image.get_pixel(x, y).0[3] >= 128;
    let mut rim = Vec::new();
    for y in 0..height {
        for x in 0..width {
            if opaque(x, y) {
                continue;
            }
            let touches = (x > 0 && opaque(x - 1, y))
                || (x + 1 < width && opaque(x + 1, y))
                || (y > 0 && opaque(x, y - 1))
                || (y + 1 < height && opaque(x, y + 1));
            if touches {
                rim.push((x, y));
            }
        }
    }
    let [r, g, b] = colour.0;
    for (x, y) in rim {
        image.put_pixel(x, y, Rgba([r, g, b, 255]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rings_a_single_pixel() {
        let mut image = RgbaImage::new(3, 3);
        image.put_pixel(1, 1, Rgba([255, 0, 0, 255]));
        add_outline(&mut image, Rgb([0, 0, 0]));
        let opaque = image.pixels().filter(|p| p.0[3] == 255).count();
        assert_eq!(opaque, 5);
        assert_eq!(image.get_pixel(0, 0).0[3], 0, "corners are not 4-neighbours");
    }
}
