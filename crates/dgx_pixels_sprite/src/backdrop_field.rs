//! The backdrop as a smooth field of colour, to tell its cells from sprite cells of a near colour.
//!
//! A painted backdrop is one fill, plain or a gentle gradient, so its cells' colours lie on a
//! plane over the image (colour = base + a slope along x + a slope along y, per sRGB channel),
//! off it only by the noise that is left after a cell's pixels are averaged. A pixel of the
//! sprite is a colour the artist chose and the model painted with its own drift, so even one
//! close to the backdrop's colour (a dark outline on a near-black backdrop) lies well off that
//! plane. Colour distance alone puts both within the backdrop tolerance; the distance from the
//! plane, measured in the backdrop's own noise, separates them. On the fidelity bench's 250
//! degraded sprites, read on their true grids, nearly all backdrop cells lie within three times
//! the median distance of the plane (cells beside the sprite, in its blur, further), and most
//! sprite cells near the backdrop's colour ten times and more (BENCHMARKS.md, "Ten degraded
//! sets").

use dgx_pixels_protocol::Rgb;
use image::RgbaImage;

use crate::color::squared_distance;
use crate::downsample::CENTRE_SHARE;
use crate::flatness::median;
use crate::grid::PixelGrid;

/// A cell further than this many times the backdrop's noise from the plane is not backdrop. Cells
/// beside the sprite take some of its colour in the blur and reach about five times; a lower
/// bound leaves them opaque, a higher one clears more of the sprite.
const OFF_FIELD: f32 = 6.0;

/// How far, in image pixels, a generated image's blur carries a neighbour's colour (the
/// bench's blur is a Gaussian of 0.5 to 1.5 px): in cells whose sampled centre lies further
/// from their edges than this, a backdrop cell shows none of its neighbour's colour, and a cell
/// off the plane is sprite, whatever its neighbours. On the five degraded sets, letting cells of
/// any size be explained by blur ate 0.05 points more of the sprites for no backdrop removed.
const BLUR_REACH: f32 = 2.5;

/// A backdrop cell beside a sprite cell takes at most this share of its colour in the blur.
const MAX_BLEND: f32 = 0.25;

/// The least noise assumed, in sRGB levels: cell colours are whole levels, so even a flawless
/// fill scatters by about half a level around the plane.
const NOISE_FLOOR: f32 = 0.5;

/// Fits are repeated without the cells further than this many times the noise from the last
/// fit, so the sprite cells a flood takes along do not tilt the plane.
const TRIM: f32 = 4.0;

/// Rounds of fitting and trimming.
const ROUNDS: usize = 3;

/// A plane of colour over the image fitted to a backdrop's cells, with their typical distance
/// from it.
#[derive(Clone, Debug, PartialEq)]
pub struct BackdropField {
    /// Cell centres in image pixels, per axis.
    centres: [Vec<f32>; 2],
    /// The position the plane's base colour belongs to (the fitted cells' mean centre).
    origin: [f32; 2],
    /// Per channel: the colour at `origin`, its change per pixel along x and along y.
    plane: [[f32; 3]; 3],
    /// The median distance of the fitted cells from the plane, in sRGB levels.
    noise: f32,
    /// Whether the image's blur reaches the part of a cell that is sampled ([`BLUR_REACH`]).
    blur_reaches_samples: bool,
}

impl BackdropField {
    /// Fits the field to the cells of `cells` (one pixel per cell of `grid`) selected by `mask`
    /// (row by row), or `None` when fewer than three opaque cells are selected. It reads the
    /// selection's core (cells whose four neighbours are selected too: away from the sprite, its
    /// blur, and the sprite cells a flood took along), each round without the cells beyond
    /// [`TRIM`] times the noise of the last; the noise is measured on the cells it read. The
    /// first fit reads the quarter of the cells nearest `reference` (the backdrop's densest
    /// colour) only: a thick outline near the backdrop's colour can be a large share of what a
    /// flood took, enough to tilt a fit of all of it toward the outline.
    pub fn fit(grid: &PixelGrid, cells: &RgbaImage, mask: &[bool], reference: Rgb) -> Option<Self> {
        let centre = |edges: &[f32]| edges.windows(2).map(|e| (e[0] + e[1]) / 2.0).collect::<Vec<f32>>();
        let centres = [centre(grid.x.edges()), centre(grid.y.edges())];
        let (width, height) = (cells.width() as usize, cells.height() as usize);
        let selected = |index: usize| mask.get(index).copied().unwrap_or(false);
        // The core: selected cells whose four neighbours are selected too (or off the image).
        let core = |index: usize| {
            let (x, y) = (index % width, index / width);
            selected(index)
                && (x == 0 || selected(index - 1))
                && (x + 1 == width || selected(index + 1))
                && (y == 0 || selected(index - width))
                && (y + 1 == height || selected(index + width))
        };
        let core_cells = (0..width * height).filter(|&index| core(index)).count();
        let fitted = |index: usize| if core_cells >= 3 { core(index) } else { selected(index) };
        // Cells already transparent in the input carry no colour of the backdrop's.
        let samples: Vec<([f32; 2], [f32; 3])> = cells
            .pixels()
            .enumerate()
            .filter(|&(index, p)| fitted(index) && p.0[3] >= 128)
            .map(|(index, p)| {
                let position = [centres[0][index % width], centres[1][index / width]];
                (position, [0, 1, 2].map(|c| f32::from(p.0[c])))
            })
            .collect();
        if samples.len() < 3 {
            return None;
        }
        // The downsample reads a cell's centre; the rest of it is a margin on each side.
        let margin = grid.x.pitch().min(grid.y.pitch()) * (1.0 - CENTRE_SHARE) / 2.0;
        let blur_reaches_samples = margin < BLUR_REACH;
        let mut field = Self { centres, origin: [0.0; 2], plane: [[0.0; 3]; 3], noise: 0.0, blur_reaches_samples };
        // The first round reads the quarter of the cells nearest the reference colour: backdrop,
        // whatever else the flood took.
        let reference = reference.0.map(f32::from);
        let from_reference = |colour: &[f32; 3]| squared_distance(*colour, reference);
        let mut distances: Vec<f32> = samples.iter().map(|(_, colour)| from_reference(colour)).collect();
        let quarter = (distances.len() / 4).max(2);
        let nearest = *distances.select_nth_unstable_by(quarter, f32::total_cmp).1;
        let mut used: Vec<bool> = samples.iter().map(|(_, colour)| from_reference(colour) <= nearest).collect();
        for _ in 0..ROUNDS {
            let chosen: Vec<&([f32; 2], [f32; 3])> =
                samples.iter().zip(&used).filter(|(_, u)| **u).map(|(s, _)| s).collect();
            if chosen.len() < 3 {
                break;
            }
            field.fit_plane(&chosen);
            let mut distances: Vec<f32> = chosen.iter().map(|(at, colour)| field.distance(*at, *colour)).collect();
            field.noise = median(&mut distances).max(NOISE_FLOOR);
            let limit = TRIM * field.noise;
            used = samples.iter().map(|(at, colour)| field.distance(*at, *colour) <= limit).collect();
        }
        Some(field)
    }

    /// Whether cell `index` (row by row) of `cells`, the image the field was fitted to, lies on
    /// the field: within [`OFF_FIELD`] times the backdrop's noise of the plane. A transparent
    /// cell is taken to.
    pub fn holds(&self, cells: &RgbaImage, index: usize) -> bool {
        let width = cells.width() as usize;
        let (x, y) = (index % width, index / width);
        opaque_colour(cells, x, y).is_none_or(|own| self.lies_near(x, y, own, None))
    }

    /// Whether cell `index` of `cells` lies on the field, or is the field blurred toward one of
    /// its four neighbours that `backdrop` (row by row) leaves out: off the plane along the way
    /// to that neighbour's colour, by up to [`MAX_BLEND`] of it, and within [`OFF_FIELD`] times
    /// the noise of that line. A backdrop cell beside a contrasting sprite cell takes enough of
    /// its colour in the blur to be off the plane itself, where the cells are small enough for
    /// the blur to reach their sampled centres ([`BLUR_REACH`]).
    pub fn holds_beside(&self, cells: &RgbaImage, backdrop: &[bool], index: usize) -> bool {
        let (width, height) = (cells.width() as usize, cells.height() as usize);
        let (x, y) = (index % width, index / width);
        let Some(own) = opaque_colour(cells, x, y) else {
            return true;
        };
        let neighbours = [(x.wrapping_sub(1), y), (x + 1, y), (x, y.wrapping_sub(1)), (x, y + 1)];
        self.lies_near(x, y, own, None)
            || self.blur_reaches_samples
                && neighbours
                    .into_iter()
                    .filter(|&(nx, ny)| {
                        nx < width && ny < height && !backdrop.get(ny * width + nx).copied().unwrap_or(false)
                    })
                    .filter_map(|(nx, ny)| opaque_colour(cells, nx, ny))
                    .any(|toward| self.lies_near(x, y, own, Some(toward)))
    }

    /// Whether `colour` at cell (`x`, `y`) is within [`OFF_FIELD`] times the noise of the plane,
    /// once the blur's share toward `toward` (up to [`MAX_BLEND`] of the way) is taken off.
    fn lies_near(&self, x: usize, y: usize, colour: [u8; 3], toward: Option<[u8; 3]>) -> bool {
        let (Some(&cx), Some(&cy)) = (self.centres[0].get(x), self.centres[1].get(y)) else {
            return false;
        };
        let on_plane = self.colour_at([cx, cy]);
        let off: [f32; 3] = [0, 1, 2].map(|c| f32::from(colour[c]) - on_plane[c]);
        let blur = toward.map_or([0.0; 3], |toward| {
            let way: [f32; 3] = [0, 1, 2].map(|c| f32::from(toward[c]) - on_plane[c]);
            let share = (dot(off, way) / dot(way, way).max(f32::EPSILON)).clamp(0.0, MAX_BLEND);
            way.map(|w| w * share)
        });
        let rest: [f32; 3] = [0, 1, 2].map(|c| off[c] - blur[c]);
        dot(rest, rest).sqrt() <= OFF_FIELD * self.noise
    }

    /// The plane's colour at `at` (image pixels), cut off at 0 and 255 as the image's are.
    fn colour_at(&self, at: [f32; 2]) -> [f32; 3] {
        let (dx, dy) = (at[0] - self.origin[0], at[1] - self.origin[1]);
        [0, 1, 2].map(|c| (self.plane[0][c] + self.plane[1][c] * dx + self.plane[2][c] * dy).clamp(0.0, 255.0))
    }

    /// The sRGB distance of `colour` at `at` (image pixels) from the plane.
    fn distance(&self, at: [f32; 2], colour: [f32; 3]) -> f32 {
        let on_plane = self.colour_at(at);
        let off: [f32; 3] = [0, 1, 2].map(|c| colour[c] - on_plane[c]);
        dot(off, off).sqrt()
    }

    /// Least squares for base and slopes, channel by channel. The slopes are held slightly toward
    /// zero, so cells along one line (a backdrop seen only in one row) give a flat plane rather
    /// than none. A channel's cells at 0 or 255 are left out of its fit where three others
    /// remain: a gradient on a saturated key colour (magenta's 255, 0, 255) is cut off there,
    /// and a plane through the cut-off part would miss the rest; the plane is cut off the same
    /// way where it is read ([`BackdropField::colour_at`]).
    fn fit_plane(&mut self, samples: &[&([f32; 2], [f32; 3])]) {
        let n = samples.len() as f32;
        self.origin = [0, 1].map(|axis| samples.iter().map(|(at, _)| at[axis]).sum::<f32>() / n);
        for c in 0..3 {
            let inside = |colour: &[f32; 3]| colour[c] > 0.0 && colour[c] < 255.0;
            let unclipped = samples.iter().filter(|(_, colour)| inside(colour)).count();
            // Sums over the channel's samples of [1, dx, dy] ⊗ [1, dx, dy, value].
            let mut m = [[0.0f64; 4]; 3];
            for (at, colour) in samples.iter().filter(|(_, colour)| unclipped < 3 || inside(colour)) {
                let row = [1.0, f64::from(at[0] - self.origin[0]), f64::from(at[1] - self.origin[1])];
                for (i, a) in row.iter().enumerate() {
                    for (j, b) in row.iter().chain([&f64::from(colour[c])]).enumerate() {
                        m[i][j] += a * b;
                    }
                }
            }
            let ridge = 1e-6 * (m[1][1] + m[2][2]) + 1e-6;
            m[1][1] += ridge;
            m[2][2] += ridge;
            let [base, per_x, per_y] = solve3(m);
            self.plane[0][c] = base as f32;
            self.plane[1][c] = per_x as f32;
            self.plane[2][c] = per_y as f32;
        }
    }
}

/// The solution of the 3×3 system whose rows are `m[i][..3]` and right-hand side `m[i][3]`, by
/// Cramer's rule; zeros for a singular one.
fn solve3(m: [[f64; 4]; 3]) -> [f64; 3] {
    let det = |a: [[f64; 3]; 3]| {
        a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0])
            + a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0])
    };
    let matrix = m.map(|row| [row[0], row[1], row[2]]);
    let whole = det(matrix);
    if whole.abs() < f64::EPSILON {
        return [0.0; 3];
    }
    [0, 1, 2].map(|k| {
        let mut replaced = matrix;
        (0..3).for_each(|i| replaced[i][k] = m[i][3]);
        det(replaced) / whole
    })
}

/// The colour of cell (`x`, `y`) of `cells`, or `None` where it is transparent.
fn opaque_colour(cells: &RgbaImage, x: usize, y: usize) -> Option<[u8; 3]> {
    let p = cells.get_pixel(x as u32, y as u32).0;
    (p[3] >= 128).then_some([p[0], p[1], p[2]])
}

fn dot(a: [f32; 3], b: [f32; 3]) -> f32 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

#[cfg(test)]
mod tests {
    use image::Rgba;

    use super::*;
    use crate::grid::AxisGrid;

    /// The field of `mask`'s cells, first read near the backdrop's colour at cell (0, 0).
    fn fit(grid: &PixelGrid, cells: &RgbaImage, mask: &[bool]) -> Option<BackdropField> {
        let p = cells.get_pixel(0, 0).0;
        BackdropField::fit(grid, cells, mask, Rgb([p[0], p[1], p[2]]))
    }

    /// 10×10 cells of 8 px: a gradient backdrop with a little noise, except cell (4, 4), which
    /// is `odd` added to the backdrop there.
    fn backdrop_with(odd: [i16; 3]) -> (PixelGrid, RgbaImage) {
        let grid = PixelGrid { x: AxisGrid::uniform(80, 10), y: AxisGrid::uniform(80, 10) };
        let cells = RgbaImage::from_fn(10, 10, |x, y| {
            let noise = ((x * 7 + y * 3) % 3) as i16 - 1;
            let base = [30 + 2 * x as i16 + noise, 30 + y as i16, 40 - noise];
            let add = if (x, y) == (4, 4) { odd } else { [0; 3] };
            let [r, g, b] = [0, 1, 2].map(|c| (base[c] + add[c]) as u8);
            Rgba([r, g, b, 255])
        });
        (grid, cells)
    }

    #[test]
    fn a_gradient_backdrop_lies_on_its_field() {
        let (grid, cells) = backdrop_with([0; 3]);
        let field = fit(&grid, &cells, &[true; 100]).expect("enough cells");
        assert!((0..100).all(|index| field.holds(&cells, index)));
    }

    /// An outline ten levels off the backdrop (within the colour tolerance a flood uses) is off
    /// the field, even though the fit saw it.
    #[test]
    fn a_near_backdrop_sprite_cell_is_off_the_field() {
        let (grid, cells) = backdrop_with([-4, -3, 9]);
        let field = fit(&grid, &cells, &[true; 100]).expect("enough cells");
        assert!(!field.holds(&cells, 44));
        assert!(field.holds(&cells, 45));
    }

    /// A backdrop cell of 8 px a fifth of the way toward its black neighbour is off the plane, but
    /// the field blurred toward that neighbour; the neighbour must be outside the backdrop.
    #[test]
    fn a_backdrop_cell_blurred_toward_the_sprite_is_backdrop() {
        let (grid, mut cells) = backdrop_with([-7, -7, -8]);
        cells.put_pixel(3, 4, Rgba([0, 0, 0, 255]));
        let mut backdrop = [true; 100];
        let field = fit(&grid, &cells, &backdrop).expect("enough cells");
        assert!(!field.holds(&cells, 44));
        assert!(!field.holds_beside(&cells, &backdrop, 44), "its neighbour is not the sprite");
        backdrop[43] = false;
        assert!(field.holds_beside(&cells, &backdrop, 44));
        // A cell off the plane away from the neighbour is not explained by it.
        let (_, mut away) = backdrop_with([7, 7, 8]);
        away.put_pixel(3, 4, Rgba([0, 0, 0, 255]));
        assert!(!field.holds_beside(&away, &backdrop, 44));
        // In cells of 16 px the blur does not reach the sampled centre: off the plane is sprite.
        let large = PixelGrid { x: AxisGrid::uniform(160, 10), y: AxisGrid::uniform(160, 10) };
        let field = fit(&large, &cells, &[true; 100]).expect("enough cells");
        assert!(!field.holds_beside(&cells, &backdrop, 44));
    }

    /// A thick outline ten levels off a gently shaded backdrop, taken by the flood, outnumbers
    /// the backdrop three to two: read from the backdrop's colour, the field still leaves it off.
    #[test]
    fn a_thick_outline_that_outnumbers_the_backdrop_is_off_the_field() {
        let grid = PixelGrid { x: AxisGrid::uniform(80, 10), y: AxisGrid::uniform(80, 10) };
        let cells = RgbaImage::from_fn(10, 10, |x, y| {
            let noise = ((x * 7 + y * 3) % 3) as u8;
            let backdrop = [30 + x as u8 / 3 + noise, 30 + y as u8 / 3, 40 + noise];
            if y < 4 {
                Rgba([backdrop[0], backdrop[1], backdrop[2], 255])
            } else {
                Rgba([backdrop[0] - 4, backdrop[1] - 3, backdrop[2] + 9 + (x % 3) as u8, 255])
            }
        });
        let field = fit(&grid, &cells, &[true; 100]).expect("enough cells");
        assert!((0..40).all(|index| field.holds(&cells, index)));
        assert!((40..100).all(|index| !field.holds(&cells, index)));
    }

    /// A gradient on magenta, cut off at 255 and 0 over half the image: not a plane, but a plane
    /// cut off as the image is, so every cell lies on the field.
    #[test]
    fn a_gradient_cut_off_at_a_saturated_key_colour_lies_on_its_field() {
        let grid = PixelGrid { x: AxisGrid::uniform(400, 10), y: AxisGrid::uniform(400, 10) };
        let cells = RgbaImage::from_fn(10, 10, |x, y| {
            let ramp = x as i32 + y as i32 - 9;
            let cut = |v: i32| v.clamp(0, 255) as u8;
            Rgba([cut(255 - ramp), cut(ramp), cut(255 - ramp), 255])
        });
        let field = fit(&grid, &cells, &[true; 100]).expect("enough cells");
        assert!((0..100).all(|index| field.holds(&cells, index)));
    }

    #[test]
    fn too_few_cells_give_no_field() {
        let (grid, cells) = backdrop_with([0; 3]);
        let mask: Vec<bool> = (0..100).map(|i| i < 2).collect();
        assert_eq!(fit(&grid, &cells, &mask), None);
    }

    /// A backdrop seen in one row only still gives a field (flat across the rows).
    #[test]
    fn one_row_of_backdrop_gives_a_field() {
        let (grid, cells) = backdrop_with([0; 3]);
        let mask: Vec<bool> = (0..100).map(|i| i < 10).collect();
        let field = fit(&grid, &cells, &mask).expect("a row is enough");
        assert!(field.holds(&cells, 3));
    }
}
