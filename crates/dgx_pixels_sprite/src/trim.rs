//! Trimming to the opaque bounding box, and the pivot a game anchors the sprite at.

use image::RgbaImage;

/// A rectangle in pixels: `x..x + width`, `y..y + height`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rect {
    /// Left column.
    pub x: u32,
    /// Top row.
    pub y: u32,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

/// The smallest rectangle holding every opaque pixel (alpha ≥ 128), or `None` when there is none.
pub fn opaque_bounds(image: &RgbaImage) -> Option<Rect> {
    let (mut x0, mut y0, mut x1, mut y1) = (u32::MAX, u32::MAX, 0, 0);
    for (x, y, pixel) in image.enumerate_pixels() {
        if pixel.0[3] >= 128 {
            (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
        }
    }
    (x0 <= x1).then(|| Rect { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 })
}

/// The union of the opaque bounds of all `frames`: trimming every frame to it keeps an animation
/// aligned, where trimming each frame to its own box would make it jitter.
pub fn shared_bounds(frames: &[RgbaImage]) -> Option<Rect> {
    frames.iter().filter_map(opaque_bounds).reduce(|a, b| {
        let (x, y) = (a.x.min(b.x), a.y.min(b.y));
        let right = (a.x + a.width).max(b.x + b.width);
        let bottom = (a.y + a.height).max(b.y + b.height);
        Rect { x, y, width: right - x, height: bottom - y }
    })
}

/// Crops `image` to `rect` (clamped to the image).
pub fn crop(image: &RgbaImage, rect: Rect) -> RgbaImage {
    let (width, height) = image.dimensions();
    let x = rect.x.min(width);
    let y = rect.y.min(height);
    image::imageops::crop_imm(image, x, y, rect.width.min(width - x), rect.height.min(height - y)).to_image()
}

/// Where a sprite stands, in normalised coordinates of its frame (`0.0..=1.0`, origin top-left,
/// y down): the horizontal centre of the opaque pixels on the bottom opaque row, so a character
/// stands on its feet rather than floating at its frame's centre.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pivot {
    /// 0.0 is the left edge, 1.0 the right.
    pub x: f32,
    /// 0.0 is the top edge, 1.0 the bottom.
    pub y: f32,
}

/// The pivot of `image` (see [`Pivot`]); the frame's bottom centre when it has no opaque pixel.
pub fn pivot(image: &RgbaImage) -> Pivot {
    let (width, height) = image.dimensions();
    let Some(bounds) = opaque_bounds(image) else {
        return Pivot { x: 0.5, y: 1.0 };
    };
    let bottom = bounds.y + bounds.height - 1;
    let columns: Vec<u32> = (0..width).filter(|&x| image.get_pixel(x, bottom).0[3] >= 128).collect();
    let centre = columns.iter().sum::<u32>() as f32 / columns.len().max(1) as f32 + 0.5;
    Pivot { x: centre / width as f32, y: (bottom + 1) as f32 / height as f32 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgba;

    #[test]
    fn trims_to_the_opaque_box_and_finds_the_feet() {
        let mut image = RgbaImage::new(8, 8);
        for (x, y) in [(2, 1), (3, 5), (4, 5)] {
            image.put_pixel(x, y, Rgba([9, 9, 9, 255]));
        }
        let bounds = opaque_bounds(&image).unwrap();
        assert_eq!(bounds, Rect { x: 2, y: 1, width: 3, height: 5 });
        assert_eq!(crop(&image, bounds).dimensions(), (3, 5));
        let pivot = pivot(&image);
        assert_eq!((pivot.x, pivot.y), (0.5, 0.75));
        assert_eq!(opaque_bounds(&RgbaImage::new(2, 2)), None);
    }
}
