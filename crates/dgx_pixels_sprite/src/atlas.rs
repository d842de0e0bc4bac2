//! Sheet assembly: frames into one image plus the layout Bevy's `TextureAtlasLayout` reads.
//!
//! Two arrangements: [`grid_sheet`] for animation frames of one size (what generation makes),
//! and [`packed_sheet`] for sprites of mixed sizes (what `dgx-pixels pack` gets from people).
//! Either way the layout lists frames in input order, so frame `i` of an animation is
//! `layout.textures[i]`.

use dgx_pixels_protocol::{AtlasLayout, AtlasRect, SpriteSize};
use image::RgbaImage;

/// Largest sheet side we assemble; GPUs commonly cap textures at 16384.
pub const MAX_SHEET_SIDE: u32 = 16384;

/// A sheet image and where each frame lies in it.
#[derive(Clone, Debug, PartialEq)]
pub struct Sheet {
    /// The sheet, RGBA8, transparent where no frame is.
    pub image: RgbaImage,
    /// One rectangle per frame, in frame order.
    pub layout: AtlasLayout,
}

/// Why frames could not become a sheet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AtlasError {
    /// No frame was given.
    #[error("no frames to pack")]
    NoFrames,
    /// A frame has no pixels.
    #[error("frame {index} is empty (0 pixels wide or high)")]
    EmptyFrame {
        /// Frame index.
        index: usize,
    },
    /// A grid needs frames of one size.
    #[error(
        "frame {index} is {got_w}x{got_h} but frame 0 is {want_w}x{want_h}; a grid needs one size (pack them instead)"
    )]
    MixedSizes {
        /// Frame index.
        index: usize,
        /// Width of frame 0.
        want_w: u32,
        /// Height of frame 0.
        want_h: u32,
        /// Width of this frame.
        got_w: u32,
        /// Height of this frame.
        got_h: u32,
    },
    /// The sheet would exceed [`MAX_SHEET_SIDE`].
    #[error("the sheet would be {width}x{height}, over the {MAX_SHEET_SIDE} px limit")]
    TooLarge {
        /// Sheet width it would need.
        width: u64,
        /// Sheet height it would need.
        height: u64,
    },
}

/// Frames of one size in a grid: `columns` per row, `spacing` pixels between cells and
/// `padding` around the sheet, left to right then top to bottom.
pub fn grid_sheet(frames: &[RgbaImage], columns: u32, spacing: u32, padding: u32) -> Result<Sheet, AtlasError> {
    let first = check_frames(frames)?;
    let (want_w, want_h) = first.dimensions();
    if let Some((index, frame)) = frames.iter().enumerate().find(|(_, f)| f.dimensions() != (want_w, want_h)) {
        let (got_w, got_h) = frame.dimensions();
        return Err(AtlasError::MixedSizes { index, want_w, want_h, got_w, got_h });
    }
    let count = frames.len() as u64;
    let columns = u64::from(columns).clamp(1, count);
    let rows = count.div_ceil(columns);
    let span =
        |cells: u64, side: u32| 2 * u64::from(padding) + cells * u64::from(side) + (cells - 1) * u64::from(spacing);
    check_side(span(columns, want_w), span(rows, want_h))?;
    // Both spans fit in MAX_SHEET_SIDE, so the frame count and columns fit in u32 too.
    let layout = AtlasLayout::grid(SpriteSize::new(want_w, want_h), count as u32, columns as u32, spacing, padding);
    Ok(compose(frames, layout))
}

/// Frames of any sizes packed on shelves (tallest first) into a roughly square sheet, with
/// `spacing` pixels between frames and `padding` around the sheet.
pub fn packed_sheet(frames: &[RgbaImage], spacing: u32, padding: u32) -> Result<Sheet, AtlasError> {
    check_frames(frames)?;
    let area: u64 = frames.iter().map(|f| u64::from(f.width() + spacing) * u64::from(f.height() + spacing)).sum();
    let widest = frames.iter().map(RgbaImage::width).max().unwrap_or(0);
    // A shelf as wide as the square root of the area, never narrower than the widest frame.
    let shelf_width = (area as f64).sqrt().ceil() as u64;
    let shelf_width = shelf_width.max(u64::from(widest)).min(u64::from(MAX_SHEET_SIDE));

    let mut order: Vec<usize> = (0..frames.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse((frames[i].height(), frames[i].width())));

    let mut places = vec![(0u64, 0u64); frames.len()];
    let (mut x, mut y, mut shelf_height, mut used_width) = (0u64, 0u64, 0u64, 0u64);
    for index in order {
        let (w, h) = (u64::from(frames[index].width()), u64::from(frames[index].height()));
        if x > 0 && x + w > shelf_width {
            x = 0;
            y += shelf_height + u64::from(spacing);
            shelf_height = 0;
        }
        places[index] = (x, y);
        used_width = used_width.max(x + w);
        shelf_height = shelf_height.max(h);
        x += w + u64::from(spacing);
    }
    let pad = 2 * u64::from(padding);
    let (width, height) = (used_width + pad, y + shelf_height + pad);
    check_side(width, height)?;

    let textures = frames
        .iter()
        .zip(&places)
        .map(|(frame, &(x, y))| {
            let size = SpriteSize::new(frame.width(), frame.height());
            AtlasRect::at(x as u32 + padding, y as u32 + padding, size)
        })
        .collect();
    Ok(compose(frames, AtlasLayout { size: (width as u32, height as u32), textures }))
}

/// The first frame, once every frame is known to have pixels.
fn check_frames(frames: &[RgbaImage]) -> Result<&RgbaImage, AtlasError> {
    if let Some(index) = frames.iter().position(|f| f.width() == 0 || f.height() == 0) {
        return Err(AtlasError::EmptyFrame { index });
    }
    frames.first().ok_or(AtlasError::NoFrames)
}

fn check_side(width: u64, height: u64) -> Result<(), AtlasError> {
    let limit = u64::from(MAX_SHEET_SIDE);
    if width > limit || height > limit { Err(AtlasError::TooLarge { width, height }) } else { Ok(()) }
}

/// Copies each frame into its rectangle of a transparent sheet.
fn compose(frames: &[RgbaImage], layout: AtlasLayout) -> Sheet {
    let mut image = RgbaImage::new(layout.size.0, layout.size.1);
    for (frame, rect) in frames.iter().zip(&layout.textures) {
        image::imageops::replace(&mut image, frame, i64::from(rect.min.0), i64::from(rect.min.1));
    }
    Sheet { image, layout }
}

#[cfg(test)]
mod tests {
    use image::Rgba;

    use super::*;

    fn solid(w: u32, h: u32, shade: u8) -> RgbaImage {
        RgbaImage::from_pixel(w, h, Rgba([shade, shade, shade, 255]))
    }

    #[test]
    fn grid_places_each_frame_in_its_cell() {
        let frames: Vec<_> = (0..5).map(|i| solid(4, 3, 10 * i as u8 + 1)).collect();
        let sheet = grid_sheet(&frames, 2, 1, 1).unwrap();
        assert_eq!(sheet.layout.size, (1 + 4 + 1 + 4 + 1, 1 + 3 * 3 + 2 + 1));
        assert_eq!(sheet.image.dimensions(), sheet.layout.size);
        for (i, rect) in sheet.layout.textures.iter().enumerate() {
            assert_eq!(sheet.image.get_pixel(rect.min.0, rect.min.1)[0], 10 * i as u8 + 1);
            assert_eq!(sheet.image.get_pixel(rect.max.0 - 1, rect.max.1 - 1)[0], 10 * i as u8 + 1);
        }
        // Spacing and padding stay transparent.
        assert_eq!(sheet.image.get_pixel(0, 0)[3], 0);
        assert_eq!(sheet.image.get_pixel(5, 1)[3], 0);
    }

    #[test]
    fn grid_refuses_mixed_sizes_and_empty_input() {
        assert_eq!(grid_sheet(&[], 1, 0, 0), Err(AtlasError::NoFrames));
        let err = grid_sheet(&[solid(4, 4, 0), solid(4, 5, 0)], 2, 0, 0).unwrap_err();
        assert!(matches!(err, AtlasError::MixedSizes { index: 1, .. }));
        assert_eq!(grid_sheet(&[RgbaImage::new(0, 3)], 1, 0, 0), Err(AtlasError::EmptyFrame { index: 0 }));
    }

    #[test]
    fn grid_refuses_sheets_over_the_limit() {
        let frames = vec![solid(512, 8, 0); 40];
        assert!(matches!(grid_sheet(&frames, 40, 0, 0), Err(AtlasError::TooLarge { .. })));
    }

    #[test]
    fn packed_frames_never_overlap_and_keep_input_order() {
        let frames: Vec<_> = [(10, 4), (3, 9), (7, 7), (1, 1), (12, 2), (5, 5)]
            .iter()
            .enumerate()
            .map(|(i, &(w, h))| solid(w, h, i as u8 + 1))
            .collect();
        let sheet = packed_sheet(&frames, 1, 2).unwrap();
        let rects = &sheet.layout.textures;
        for (i, (frame, rect)) in frames.iter().zip(rects).enumerate() {
            assert_eq!(rect.size(), SpriteSize::new(frame.width(), frame.height()));
            assert!(rect.max.0 + 2 <= sheet.layout.size.0 && rect.max.1 + 2 <= sheet.layout.size.1);
            assert_eq!(sheet.image.get_pixel(rect.min.0, rect.min.1)[0], i as u8 + 1);
            for other in &rects[i + 1..] {
                let apart = rect.max.0 < other.min.0 + 1
                    || other.max.0 < rect.min.0 + 1
                    || rect.max.1 < other.min.1 + 1
                    || other.max.1 < rect.min.1 + 1;
                assert!(apart, "{rect:?} overlaps {other:?}");
            }
        }
    }
}
