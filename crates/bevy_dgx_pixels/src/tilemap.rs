//! Generated tilesets in Bevy's own tilemap: a `wang16` or `blob47` set as a `TilemapChunk`'s
//! tileset, and a map's terrain turned into its `TilemapChunkTileData`.
//!
//! The server writes a tileset's tiles stacked in one column, so Bevy's image loader makes the
//! 2D array texture a `TilemapChunk` samples with no copy of ours: load the PNG with
//! [`tileset_array`]. Which tile goes where comes from the set's `.sprite.ron`
//! ([`SpriteMeta::tileset`](dgx_pixels_protocol::SpriteMeta)), by each tile's corner bits, so a
//! set with its tiles in another order draws the same map.

use bevy_image::{ImageArrayLayout, ImageLoaderSettings};
use bevy_math::UVec2;
use bevy_sprite_render::{TileData, TilemapChunkTileData};
pub use dgx_pixels_protocol::TilesetInfo;
use dgx_pixels_protocol::tileset::{NE, NW, SE, SW, blob47_reduce};

/// Loader settings that read a tileset sheet of `tiles` stacked tiles as an array texture, for
/// `asset_server.load_builder().with_settings(tileset_array(16)).load("lake.png")`.
pub fn tileset_array(tiles: u32) -> impl Fn(&mut ImageLoaderSettings) + Send + Sync + 'static {
    move |settings: &mut ImageLoaderSettings| {
        settings.array_layout = Some(ImageArrayLayout::RowCount { rows: tiles });
    }
}

/// The tiles of a `size` chunk painted with a `wang16` set: `upper_corners` says, for each
/// corner of the map's grid, whether the upper terrain is there, `(size.x + 1) × (size.y + 1)`
/// corners row by row from the top. Each tile takes the set's tile with its four corners' bits;
/// a tile the set lacks (or a short corner list) is left empty. The result is in the order a
/// `TilemapChunk` reads it, its first row at the bottom.
pub fn wang16_tile_data(upper_corners: &[bool], size: UVec2, set: &TilesetInfo) -> TilemapChunkTileData {
    let mut tiles = vec![None; (size.x * size.y) as usize];
    for top_row in 0..size.y {
        for x in 0..size.x {
            let bits = wang16_bits(upper_corners, size, x, top_row);
            let bottom_row = size.y - 1 - top_row;
            tiles[(bottom_row * size.x + x) as usize] =
                set.frame_of(bits).and_then(|frame| u16::try_from(frame).ok()).map(TileData::from_tileset_index);
        }
    }
    TilemapChunkTileData(tiles)
}

/// The tiles of a `size` chunk painted with a `blob47` set: `upper_cells` says, for each cell
/// row by row from the top, whether it is of the upper terrain. An upper cell takes the tile of
/// its neighbours' mask, a lower cell the set's plain lower tile. In `TilemapChunk` order, as
/// [`wang16_tile_data`].
pub fn blob47_tile_data(upper_cells: &[bool], size: UVec2, set: &TilesetInfo) -> TilemapChunkTileData {
    use dgx_pixels_protocol::tileset::blob::{E, N, NE, NW, S, SE, SW, W};
    let at = |x: i64, y: i64| {
        (0..i64::from(size.x)).contains(&x)
            && (0..i64::from(size.y)).contains(&y)
            && upper_cells.get((y * i64::from(size.x) + x) as usize).copied().unwrap_or(false)
    };
    let mut tiles = vec![None; (size.x * size.y) as usize];
    for top_row in 0..size.y {
        for x in 0..size.x {
            let (cx, cy) = (i64::from(x), i64::from(top_row));
            let frame = if at(cx, cy) {
                let neighbours =
                    [(0, -1, N), (1, -1, NE), (1, 0, E), (1, 1, SE), (0, 1, S), (-1, 1, SW), (-1, 0, W), (-1, -1, NW)];
                let mask =
                    neighbours.iter().filter(|(dx, dy, _)| at(cx + dx, cy + dy)).fold(0, |m, (_, _, bit)| m | bit);
                set.frame_of(blob47_reduce(mask))
            } else {
                set.lower
            };
            let bottom_row = size.y - 1 - top_row;
            tiles[(bottom_row * size.x + x) as usize] =
                frame.and_then(|frame| u16::try_from(frame).ok()).map(TileData::from_tileset_index);
        }
    }
    TilemapChunkTileData(tiles)
}

/// The `wang16` bits of the tile at column `x`, row `top_row` (from the top) of a `size` map
/// whose corners are `upper_corners` (see [`wang16_tile_data`]).
pub fn wang16_bits(upper_corners: &[bool], size: UVec2, x: u32, top_row: u32) -> u8 {
    let corner = |x: u32, y: u32| upper_corners.get((y * (size.x + 1) + x) as usize).copied().unwrap_or(false);
    let bit = |on: bool, bit: u8| if on { bit } else { 0 };
    bit(corner(x, top_row), NW)
        | bit(corner(x + 1, top_row), NE)
        | bit(corner(x, top_row + 1), SW)
        | bit(corner(x + 1, top_row + 1), SE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corners_pick_tiles_and_rows_run_from_the_bottom() {
        // A 2×1 map whose only upper corner is the top middle one.
        let corners = [false, true, false, false, false, false];
        let data = wang16_tile_data(&corners, UVec2::new(2, 1), &TilesetInfo::wang16());
        let indices: Vec<Option<u16>> = data.0.iter().map(|t| t.as_ref().map(|t| t.tileset_index)).collect();
        assert_eq!(indices, [Some(u16::from(NE)), Some(u16::from(NW))]);
        // Two rows: the top row (upper corners along the top edge) lands second.
        let corners = [true, true, false, false, false, false];
        let data = wang16_tile_data(&corners, UVec2::new(1, 2), &TilesetInfo::wang16());
        let indices: Vec<Option<u16>> = data.0.iter().map(|t| t.as_ref().map(|t| t.tileset_index)).collect();
        assert_eq!(indices, [Some(0), Some(u16::from(NW | NE))]);
        let reordered = TilesetInfo { tiles: (0..16).rev().collect(), ..TilesetInfo::wang16() };
        let data = wang16_tile_data(&corners, UVec2::new(1, 2), &reordered);
        assert_eq!(data.0[1].as_ref().map(|t| t.tileset_index), Some(15 - u16::from(NW | NE)));
    }

    #[test]
    fn blob_cells_take_their_neighbours_mask_and_lower_cells_the_lower_tile() {
        use dgx_pixels_protocol::tileset::blob::{E, W};
        let set = TilesetInfo::blob47();
        // One row: upper, upper, lower.
        let data = blob47_tile_data(&[true, true, false], UVec2::new(3, 1), &set);
        let indices: Vec<Option<u16>> = data.0.iter().map(|t| t.as_ref().map(|t| t.tileset_index)).collect();
        let frame = |mask| set.frame_of(mask).map(|f| f as u16);
        assert_eq!(indices, [frame(E), frame(W), set.lower.map(|f| f as u16)]);
    }
}
