//! Autotile sets composed from two seamless terrain tiles.
//!
//! A `wang16` tile has the upper terrain at the corners its bits name (NE = 1, SE = 2, SW = 4,
//! NW = 8) and the lower one at the others. Each pixel takes the terrain of the bilinear blend
//! of the four corners at its position, with the tile's edge pixels at exactly 0 and 1 so that
//! an edge depends on its own two corners only, plus a wobble that vanishes on the edges so the
//! border between terrains is not a ruler line. Two tiles whose shared corners agree therefore
//! pick the same terrain row by row along their shared edge, and since each terrain tile is
//! seamless its last column continues into its first: the edge matches pixel for pixel.
//!
//! A `blob47` tile is an upper cell whose neighbours of the same terrain its mask names: the
//! tile is cut in a 3×3 grid of zones (the outer ones a quarter of the side); the centre is
//! upper, each edge zone is upper when that neighbour is, each corner zone when that diagonal
//! counts (both its edges and itself upper). Two upper cells side by side both have the bit of
//! the other, and their corner bits agree, so their shared edge matches; an upper cell beside a
//! lower one shows lower along that edge, as the plain lower tile does.

use image::RgbaImage;

use dgx_pixels_protocol::tileset::{NE, NW, SE, SW, blob47_masks};

/// How far the wobble moves the border between terrains, as a share of the blend.
const WOBBLE: f32 = 0.3;

/// The 16 tiles of a corner Wang set, tile `i` with bits `i`, from two seamless terrain tiles
/// of one square size; `seed` shapes the wobble of the border between them.
pub fn wang16(lower: &RgbaImage, upper: &RgbaImage, seed: u64) -> Vec<RgbaImage> {
    (0..16u8).map(|bits| compose(lower, upper, bits, seed)).collect()
}

/// Whether pixel `(x, y)` of an `n`×`n` tile with `bits` shows the upper terrain.
pub fn is_upper(bits: u8, x: u32, y: u32, n: u32, seed: u64) -> bool {
    let corner = |bit: u8| if bits & bit != 0 { 1.0f32 } else { 0.0 };
    let span = n.saturating_sub(1).max(1) as f32;
    let (u, v) = (x as f32 / span, y as f32 / span);
    let top = corner(NW) * (1.0 - u) + corner(NE) * u;
    let bottom = corner(SW) * (1.0 - u) + corner(SE) * u;
    let blend = top * (1.0 - v) + bottom * v;
    let on_edge = x == 0 || y == 0 || x + 1 >= n || y + 1 >= n;
    let wobble = if on_edge {
        0.0
    } else {
        WOBBLE * (std::f32::consts::PI * u).sin() * (std::f32::consts::PI * v).sin() * noise(x, y, seed)
    };
    blend + wobble > 0.5
}

fn compose(lower: &RgbaImage, upper: &RgbaImage, bits: u8, seed: u64) -> RgbaImage {
    paint(lower, upper, |x, y, n| is_upper(bits, x, y, n, seed))
}

/// The tiles of a `blob47` set in `TilesetInfo::blob47` order (the 47 masks, then the plain
/// lower tile), from two seamless terrain tiles of one square size.
pub fn blob47(lower: &RgbaImage, upper: &RgbaImage) -> Vec<RgbaImage> {
    let mut tiles: Vec<RgbaImage> =
        blob47_masks().into_iter().map(|mask| paint(lower, upper, |x, y, n| blob_upper(mask, x, y, n))).collect();
    tiles.push(lower.clone());
    tiles
}

/// Whether pixel `(x, y)` of an `n`×`n` upper cell with neighbour `mask` shows the upper terrain.
pub fn blob_upper(mask: u8, x: u32, y: u32, n: u32) -> bool {
    use dgx_pixels_protocol::tileset::blob::{E, N, NE, NW, S, SE, SW, W};
    let edge = (n / 4).max(1);
    let zone = |v: u32| {
        if v < edge {
            0
        } else if v + edge >= n {
            2
        } else {
            1
        }
    };
    let needs = match (zone(x), zone(y)) {
        (1, 1) => return true,
        (1, 0) => N,
        (1, 2) => S,
        (0, 1) => W,
        (2, 1) => E,
        (0, 0) => NW,
        (2, 0) => NE,
        (0, 2) => SW,
        _ => SE,
    };
    mask & needs != 0
}

/// A tile of `lower`'s size showing `upper` where `upper_at(x, y, side)` holds, else `lower`.
fn paint(lower: &RgbaImage, upper: &RgbaImage, upper_at: impl Fn(u32, u32, u32) -> bool) -> RgbaImage {
    let n = lower.width();
    RgbaImage::from_fn(n, n, |x, y| {
        let source = if upper_at(x, y, n) { upper } else { lower };
        *source.get_pixel(x % source.width(), y % source.height())
    })
}

/// A smooth value in -1..1 of pixel `(x, y)`: two sine waves with seeded frequencies and phases,
/// enough to make a border wander.
fn noise(x: u32, y: u32, seed: u64) -> f32 {
    let unit = |shift: u32| ((seed >> shift) & 0xff) as f32 / 255.0;
    let (fx, fy) = (0.25 + 0.3 * unit(0), 0.25 + 0.3 * unit(8));
    let (px, py) = (unit(16) * std::f32::consts::TAU, unit(24) * std::f32::consts::TAU);
    0.5 * ((x as f32 * fx + py).sin() + (y as f32 * fy + px).cos())
}

#[cfg(test)]
mod tests {
    use dgx_pixels_protocol::tileset::{wang16_fits_east, wang16_fits_south};
    use image::Rgba;

    use super::*;

    /// Terrains whose every pixel says where it came from: lower green, upper blue, x and y in
    /// the other channels.
    fn terrains(n: u32) -> (RgbaImage, RgbaImage) {
        let lower = RgbaImage::from_fn(n, n, |x, y| Rgba([(x * 9) as u8, 200, (y * 9) as u8, 255]));
        let upper = RgbaImage::from_fn(n, n, |x, y| Rgba([(x * 9) as u8, (y * 9) as u8, 220, 255]));
        (lower, upper)
    }

    /// Whether the pixels across the edge between `a` (left or above) and `b` are a pair that
    /// one terrain has across its own wrap-around, for every pixel of the edge.
    fn edge_matches(a: &RgbaImage, b: &RgbaImage, east: bool, lower: &RgbaImage, upper: &RgbaImage) -> bool {
        let n = a.width();
        (0..n).all(|i| {
            let (pa, pb) = if east { ((n - 1, i), (0, i)) } else { ((i, n - 1), (i, 0)) };
            [lower, upper].iter().any(|t| {
                a.get_pixel(pa.0, pa.1) == t.get_pixel(pa.0, pa.1) && b.get_pixel(pb.0, pb.1) == t.get_pixel(pb.0, pb.1)
            })
        })
    }

    #[test]
    fn every_allowed_neighbour_shares_its_edge_pixel_for_pixel() {
        for n in [16, 17, 32] {
            let (lower, upper) = terrains(n);
            let tiles = wang16(&lower, &upper, 0x5eed);
            let (mut allowed, mut refused) = (0, 0);
            for (a, tile_a) in tiles.iter().enumerate() {
                for (b, tile_b) in tiles.iter().enumerate() {
                    for east in [true, false] {
                        let fits =
                            if east { wang16_fits_east(a as u8, b as u8) } else { wang16_fits_south(a as u8, b as u8) };
                        let matches = edge_matches(tile_a, tile_b, east, &lower, &upper);
                        if fits {
                            assert!(matches, "{n}px: tile {b} beside tile {a} (east {east}) does not match");
                            allowed += 1;
                        } else if !matches {
                            refused += 1;
                        }
                    }
                }
            }
            assert_eq!(allowed, 128);
            assert_eq!(refused, 2 * 256 - 128, "every pair the layout forbids shows a mismatch");
        }
    }

    /// Every pair of neighbouring cells any map can hold: all 2^12 terrains of the 4×3 (or 3×4)
    /// cells around the pair, each cell taking its blob tile (or the lower tile), the pair's
    /// shared edge matching pixel for pixel.
    #[test]
    fn every_blob_neighbour_pair_shares_its_edge_pixel_for_pixel() {
        use dgx_pixels_protocol::TilesetInfo;
        use dgx_pixels_protocol::tileset::blob::{E, N, NE, NW, S, SE, SW, W};
        use dgx_pixels_protocol::tileset::blob47_reduce;
        let n = 16;
        let (lower, upper) = terrains(n);
        let tiles = blob47(&lower, &upper);
        let set = TilesetInfo::blob47();
        assert_eq!(tiles.len(), 48);
        for east in [true, false] {
            let (w, h) = if east { (4i32, 3i32) } else { (3, 4) };
            for map in 0u32..1 << 12 {
                let at = |x: i32, y: i32| (0..w).contains(&x) && (0..h).contains(&y) && map & (1 << (y * w + x)) != 0;
                let tile_of = |x: i32, y: i32| {
                    if !at(x, y) {
                        return &tiles[set.lower.unwrap() as usize];
                    }
                    let mut mask = 0;
                    for (dx, dy, bit) in [
                        (0, -1, N),
                        (1, -1, NE),
                        (1, 0, E),
                        (1, 1, SE),
                        (0, 1, S),
                        (-1, 1, SW),
                        (-1, 0, W),
                        (-1, -1, NW),
                    ] {
                        if at(x + dx, y + dy) {
                            mask |= bit;
                        }
                    }
                    &tiles[set.frame_of(blob47_reduce(mask)).unwrap() as usize]
                };
                let (a, b) = if east { (tile_of(1, 1), tile_of(2, 1)) } else { (tile_of(1, 1), tile_of(1, 2)) };
                assert!(edge_matches(a, b, east, &lower, &upper), "map {map:012b}, east {east}");
            }
        }
    }

    #[test]
    fn corners_and_the_wobble() {
        let (lower, upper) = terrains(16);
        let tiles = wang16(&lower, &upper, 1);
        assert!(tiles[0].pixels().zip(lower.pixels()).all(|(a, b)| a == b), "tile 0 is all lower");
        assert!(tiles[15].pixels().zip(upper.pixels()).all(|(a, b)| a == b), "tile 15 is all upper");
        assert_eq!(tiles[NE as usize].get_pixel(15, 0), upper.get_pixel(15, 0));
        assert_eq!(tiles[NE as usize].get_pixel(0, 15), lower.get_pixel(0, 15));
        for seed in [1, 0x5eed, u64::MAX] {
            let border: std::collections::BTreeSet<u32> =
                (1..15).map(|y| (0..16).find(|&x| is_upper(NE | SE, x, y, 16, seed)).unwrap_or(16)).collect();
            assert!(border.len() > 1, "seed {seed}: the border between terrains is a straight line: {border:?}");
        }
    }
}
