//! Nearest-neighbour integer upscaling: a crisp preview of a tiny sprite.

use image::RgbaImage;

/// Each pixel of `image` becomes a `factor` × `factor` block (a factor of 0 is treated as 1).
/// Integer factors only: any other would smear the pixel grid this crate works to recover.
pub fn upscale_nearest(image: &RgbaImage, factor: u32) -> RgbaImage {
    let factor = factor.max(1);
    let (width, height) = image.dimensions();
    RgbaImage::from_fn(width * factor, height * factor, |x, y| *image.get_pixel(x / factor, y / factor))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blows_each_pixel_up_into_a_block() {
        let image = RgbaImage::from_fn(2, 1, |x, _| image::Rgba([x as u8, 0, 0, 255]));
        let big = upscale_nearest(&image, 3);
        assert_eq!(big.dimensions(), (6, 3));
        assert_eq!(big.get_pixel(2, 2).0[0], 0);
        assert_eq!(big.get_pixel(3, 0).0[0], 1);
    }
}
