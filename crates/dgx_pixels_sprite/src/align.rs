//! One character across a sheet: every cell's feet on one baseline, every cell centred on the
//! same vertical line.
//!
//! A diffusion model draws each frame (and each facing) where it likes: one stands two pixels
//! lower, the next leans left. In a game the sprite is anchored at one point, so those offsets
//! show as a character that bobs and slides while it walks and jumps when it turns. Artists fix
//! it by hand; this does it by moving each cell's pixels whole (no resampling, so the art is
//! untouched):
//! - vertically, so that the lowest opaque row is the same in every cell: the lowest one any
//!   cell has, so nothing is pushed out of its frame;
//! - horizontally, so that the centre of mass of the opaque pixels lies on the frame's middle,
//!   which also keeps a mirrored cell centred. A cell too wide to move that far moves as far
//!   as it can without losing a pixel.

use image::{Rgba, RgbaImage};

/// Alpha at or above which a pixel counts as part of the sprite (as in [`crate::trim`]).
const OPAQUE: u8 = 128;

/// Where a cell's opaque pixels are.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Footing {
    /// The lowest row with an opaque pixel.
    pub baseline: u32,
    /// Mean x of the opaque pixels' centres, in pixels from the left edge.
    pub centre_x: f32,
    /// Leftmost and rightmost opaque columns.
    pub columns: (u32, u32),
    /// Topmost opaque row.
    pub top: u32,
}

/// The [`Footing`] of `image`; `None` when no pixel is opaque.
pub fn footing(image: &RgbaImage) -> Option<Footing> {
    let (mut count, mut sum_x) = (0u64, 0u64);
    let (mut left, mut right, mut top, mut bottom) = (u32::MAX, 0, u32::MAX, 0);
    for (x, y, pixel) in image.enumerate_pixels() {
        if pixel.0[3] >= OPAQUE {
            count += 1;
            sum_x += u64::from(x);
            (left, right, top, bottom) = (left.min(x), right.max(x), top.min(y), bottom.max(y));
        }
    }
    (count > 0).then(|| Footing {
        baseline: bottom,
        centre_x: sum_x as f32 / count as f32 + 0.5,
        columns: (left, right),
        top,
    })
}

/// Moves every cell's pixels so that all stand on one baseline and are centred on the frame's
/// middle (see the module docs). Cells must share one size; empty cells stay as they are.
pub fn stand_on_baseline(cells: &mut [RgbaImage]) {
    let footings: Vec<Option<Footing>> = cells.iter().map(footing).collect();
    let Some(baseline) = footings.iter().flatten().map(|f| f.baseline).max() else {
        return;
    };
    for (cell, footing) in cells.iter_mut().zip(footings) {
        let Some(footing) = footing else { continue };
        let width = cell.width();
        let wanted = (width as f32 / 2.0 - footing.centre_x).round() as i64;
        // Never further than the empty columns on that side: no pixel leaves the frame.
        let room_left = -i64::from(footing.columns.0);
        let room_right = i64::from(width - 1 - footing.columns.1);
        let dx = wanted.clamp(room_left, room_right);
        let dy = i64::from(baseline - footing.baseline);
        if dx != 0 || dy != 0 {
            *cell = shifted(cell, dx, dy);
        }
    }
}

/// `image` moved by `(dx, dy)` pixels, transparent where nothing moved in.
fn shifted(image: &RgbaImage, dx: i64, dy: i64) -> RgbaImage {
    let (width, height) = (i64::from(image.width()), i64::from(image.height()));
    RgbaImage::from_fn(image.width(), image.height(), |x, y| {
        let (sx, sy) = (i64::from(x) - dx, i64::from(y) - dy);
        if (0..width).contains(&sx) && (0..height).contains(&sy) {
            *image.get_pixel(sx as u32, sy as u32)
        } else {
            Rgba([0, 0, 0, 0])
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `w`×`h` block of colour with its top-left corner at `(x, y)` in a 16×16 cell.
    fn block(x: u32, y: u32, w: u32, h: u32) -> RgbaImage {
        RgbaImage::from_fn(16, 16, |px, py| {
            let inside = (x..x + w).contains(&px) && (y..y + h).contains(&py);
            if inside { Rgba([200, 50, 50, 255]) } else { Rgba([0, 0, 0, 0]) }
        })
    }

    #[test]
    fn cells_share_a_baseline_and_a_centre() {
        let mut cells = vec![block(1, 2, 4, 6), block(9, 5, 5, 9), block(4, 0, 3, 3), RgbaImage::new(16, 16)];
        let pixels_before: Vec<usize> = cells.iter().map(|c| c.pixels().filter(|p| p.0[3] >= OPAQUE).count()).collect();
        stand_on_baseline(&mut cells);
        let footings: Vec<Footing> = cells.iter().filter_map(footing).collect();
        assert_eq!(footings.len(), 3, "the empty cell stays empty");
        assert!(footings.iter().all(|f| f.baseline == 13), "{footings:?}");
        for f in &footings {
            assert!((f.centre_x - 8.0).abs() <= 0.5, "{footings:?}");
        }
        let pixels_after: Vec<usize> = cells.iter().map(|c| c.pixels().filter(|p| p.0[3] >= OPAQUE).count()).collect();
        assert_eq!(pixels_before, pixels_after, "no pixel is lost");
    }

    #[test]
    fn a_wide_cell_moves_only_as_far_as_it_fits() {
        let mut cells = vec![block(0, 4, 14, 4)];
        stand_on_baseline(&mut cells);
        let f = footing(&cells[0]).unwrap();
        assert_eq!((f.columns, f.baseline), ((1, 14), 7));
    }
}
