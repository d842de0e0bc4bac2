//! The frame size that makes a new sprite sit beside a game's existing ones: `"sprite":
//! "match"`.
//!
//! Each existing sprite counts at its own pixel size: a sheet is cut into its frames by the
//! `.atlas.ron` beside it ([`frames_of`]), each frame is trimmed to its opaque pixels, and art
//! stored scaled up by a whole number (nearest neighbour, as engines and editors export it) is
//! measured in art pixels ([`pixel_scale`]). The size is the median width and the median height
//! ([`matched_size`]), so a few odd sprites (a boss, a coin) do not move it.

use dgx_pixels_protocol::{AtlasLayout, SpriteSize, limits};
use image::RgbaImage;
use image::imageops;

use crate::trim::opaque_bounds;

/// The frames `atlas` (an `.atlas.ron`'s text) names in `image`, or the whole image without a
/// readable atlas; frames outside the image or without an opaque pixel are left out.
pub fn frames_of(image: RgbaImage, atlas: Option<&str>) -> Vec<RgbaImage> {
    let frames = match atlas.and_then(|text| AtlasLayout::from_ron(text).ok()) {
        Some(atlas) => atlas.textures.iter().filter_map(|rect| crop(&image, rect.min, rect.size())).collect(),
        None => vec![image],
    };
    frames.into_iter().filter(|frame| opaque_bounds(frame).is_some()).collect()
}

/// The frame at `min` of `size`, if it lies inside `image`.
pub fn crop(image: &RgbaImage, min: (u32, u32), size: SpriteSize) -> Option<RgbaImage> {
    let fits = min.0.checked_add(size.width)? <= image.width() && min.1.checked_add(size.height)? <= image.height();
    (fits && size.width > 0 && size.height > 0)
        .then(|| imageops::crop_imm(image, min.0, min.1, size.width, size.height).to_image())
}

/// How many image pixels one art pixel of `frame` spans: the greatest whole number that every
/// run of equal pixels inside a row or column is a multiple of (runs that touch the frame's
/// edge are cut there, so they do not count), and that divides the opaque box. 1 for art
/// stored at its own size, or for anything not scaled by a whole number.
pub fn pixel_scale(frame: &RgbaImage) -> u32 {
    let Some(bounds) = opaque_bounds(frame) else { return 1 };
    let mut scale = gcd(bounds.width, bounds.height);
    let (width, height) = frame.dimensions();
    for y in 0..height {
        scale = gcd(scale, interior_runs((0..width).map(|x| frame.get_pixel(x, y).0)));
        if scale == 1 {
            return 1;
        }
    }
    for x in 0..width {
        scale = gcd(scale, interior_runs((0..height).map(|y| frame.get_pixel(x, y).0)));
        if scale == 1 {
            return 1;
        }
    }
    scale.max(1)
}

/// The greatest common divisor of the lengths of the runs of equal pixels in `line` that touch
/// neither end; 0 when there is none.
fn interior_runs(line: impl Iterator<Item = [u8; 4]>) -> u32 {
    let mut runs = Vec::new();
    let mut current: Option<([u8; 4], u32)> = None;
    for pixel in line {
        current = match current {
            Some((last, length)) if same(last, pixel) => Some((last, length + 1)),
            Some((_, length)) => {
                runs.push(length);
                Some((pixel, 1))
            }
            None => Some((pixel, 1)),
        };
    }
    // The first run touches the start; the run still open touches the end.
    runs.iter().skip(1).fold(0, |acc, &run| gcd(acc, run))
}

/// Equal as art: the same colour, or both transparent (whatever colour a transparent pixel
/// keeps).
fn same(a: [u8; 4], b: [u8; 4]) -> bool {
    a == b || (a[3] < 128 && b[3] < 128)
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// The median trimmed size of `frames` in art pixels, each side within the sprite limits
/// (8..=512); `None` when no frame has an opaque pixel.
pub fn matched_size(frames: &[RgbaImage]) -> Option<SpriteSize> {
    let (mut widths, mut heights): (Vec<u32>, Vec<u32>) = frames
        .iter()
        .filter_map(|frame| {
            let bounds = opaque_bounds(frame)?;
            let scale = pixel_scale(frame);
            Some((bounds.width / scale, bounds.height / scale))
        })
        .unzip();
    if widths.is_empty() {
        return None;
    }
    let median = |values: &mut Vec<u32>| {
        values.sort_unstable();
        values[(values.len() - 1) / 2].clamp(*limits::SPRITE_SIDE.start(), *limits::SPRITE_SIDE.end())
    };
    Some(SpriteSize::new(median(&mut widths), median(&mut heights)))
}

#[cfg(test)]
mod tests {
    use image::Rgba;

    use super::*;

    /// A `width`×`height` sprite of two colours in stripes, scaled by `scale`, at (`x`, `y`) of a
    /// transparent `side`² frame.
    fn sprite(width: u32, height: u32, scale: u32, at: (u32, u32), side: u32) -> RgbaImage {
        let mut frame = RgbaImage::new(side, side);
        for y in 0..height * scale {
            for x in 0..width * scale {
                let colour =
                    if (x / scale + y / scale).is_multiple_of(3) { [200, 40, 40, 255] } else { [20, 20, 90, 255] };
                frame.put_pixel(at.0 + x, at.1 + y, Rgba(colour));
            }
        }
        frame
    }

    #[test]
    fn the_scale_of_whole_number_upscales_is_found() {
        assert_eq!(pixel_scale(&sprite(12, 10, 1, (3, 5), 40)), 1);
        assert_eq!(pixel_scale(&sprite(12, 10, 3, (1, 2), 40)), 3);
        assert_eq!(pixel_scale(&sprite(9, 7, 4, (0, 0), 40)), 4, "a sprite touching the frame's edge");
        assert_eq!(pixel_scale(&RgbaImage::new(8, 8)), 1, "nothing opaque");
        let mut smudged = sprite(12, 10, 3, (1, 2), 40);
        smudged.put_pixel(5, 6, Rgba([1, 2, 3, 255]));
        assert_eq!(pixel_scale(&smudged), 1, "one pixel off the grid");
    }

    #[test]
    fn the_size_is_the_median_in_art_pixels() {
        let frames = [
            sprite(24, 20, 1, (2, 2), 64),
            sprite(24, 22, 2, (4, 1), 64),
            sprite(20, 20, 1, (0, 0), 64),
            sprite(60, 60, 1, (0, 0), 64),
            RgbaImage::new(16, 16),
        ];
        assert_eq!(matched_size(&frames), Some(SpriteSize::new(24, 20)));
        assert_eq!(matched_size(&[sprite(3, 2, 1, (0, 0), 8)]), Some(SpriteSize::new(8, 8)), "within the limits");
        assert_eq!(matched_size(&[RgbaImage::new(4, 4)]), None);
    }

    #[test]
    fn a_sheet_is_cut_by_its_atlas() {
        let mut sheet = RgbaImage::new(32, 16);
        imageops::overlay(&mut sheet, &sprite(10, 12, 1, (3, 2), 16), 0, 0);
        imageops::overlay(&mut sheet, &sprite(12, 14, 1, (2, 1), 16), 16, 0);
        let atlas = AtlasLayout::grid(SpriteSize::new(16, 16), 2, 2, 0, 0).to_ron();
        let frames = frames_of(sheet.clone(), Some(&atlas));
        assert_eq!(frames.len(), 2);
        assert_eq!(matched_size(&frames[1..]), Some(SpriteSize::new(12, 14)));
        assert_eq!(frames_of(sheet.clone(), None).len(), 1);
        assert_eq!(frames_of(sheet, Some("not an atlas")).len(), 1);
    }
}
