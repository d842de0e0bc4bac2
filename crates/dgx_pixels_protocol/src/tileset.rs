//! Autotile tilesets: the layouts a tileset request can ask for, and what `.sprite.ron` records
//! of each tile so that a reader finds a tile by its terrain bits, never by its position.
//!
//! `wang16` is the 16-tile corner Wang set: each tile's four corners are either the lower or
//! the upper terrain, and its index is the sum of the bits of its upper corners:
//! NE = 1, SE = 2, SW = 4, NW = 8. Two tiles may sit side by side when the corners they share
//! agree, which is exactly when their shared edge matches.

use serde::{Deserialize, Serialize};

/// How the tiles of a tileset are chosen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub enum TileLayout {
    /// 16 tiles by corners (NE = 1, SE = 2, SW = 4, NW = 8).
    #[default]
    Wang16,
    /// 47 tiles by neighbours (N = 1 … NW = 128, a corner counting only with both its edges).
    Blob47,
}

impl TileLayout {
    /// The name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            TileLayout::Wang16 => "wang16",
            TileLayout::Blob47 => "blob47",
        }
    }
}

/// Corner bit of the north-east corner in a `wang16` tile.
pub const NE: u8 = 1;
/// Corner bit of the south-east corner.
pub const SE: u8 = 2;
/// Corner bit of the south-west corner.
pub const SW: u8 = 4;
/// Corner bit of the north-west corner.
pub const NW: u8 = 8;

/// What `.sprite.ron` records of a tileset: its layout and, per tile in frame order, its bits
/// (for `wang16` the upper terrain's corners).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TilesetInfo {
    /// The layout the bits follow.
    pub layout: TileLayout,
    /// One entry per frame: the tile's bits.
    pub tiles: Vec<u8>,
}

impl TilesetInfo {
    /// The 16 tiles of a `wang16` set, tile `i` with bits `i`.
    pub fn wang16() -> Self {
        Self { layout: TileLayout::Wang16, tiles: (0..16).collect() }
    }

    /// The frame of the tile with `bits`, if the set has it.
    pub fn frame_of(&self, bits: u8) -> Option<u32> {
        self.tiles.iter().position(|b| *b == bits).and_then(|i| u32::try_from(i).ok())
    }
}

/// Whether `right` may sit to the east of `left` in a `wang16` map: their shared corners agree.
pub fn wang16_fits_east(left: u8, right: u8) -> bool {
    (left & NE != 0) == (right & NW != 0) && (left & SE != 0) == (right & SW != 0)
}

/// Whether `below` may sit to the south of `above` in a `wang16` map.
pub fn wang16_fits_south(above: u8, below: u8) -> bool {
    (above & SW != 0) == (below & NW != 0) && (above & SE != 0) == (below & NE != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corners_name_the_tiles() {
        let set = TilesetInfo::wang16();
        assert_eq!(set.frame_of(NE | SW), Some(5));
        assert_eq!(set.frame_of(NE | SE | SW | NW), Some(15));
        assert!(wang16_fits_east(NE | SE, NW | SW) && !wang16_fits_east(NE, 0));
        assert!(wang16_fits_south(SW, NW) && !wang16_fits_south(SW | SE, NW));
        let pairs = (0..16u8).flat_map(|a| (0..16u8).map(move |b| (a, b))).filter(|(a, b)| wang16_fits_east(*a, *b));
        assert_eq!(pairs.count(), 64, "each tile has 4 east neighbours");
    }
}
