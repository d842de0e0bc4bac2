//! Autotile tilesets: the layouts a tileset request can ask for, and what `.sprite.ron` records
//! of each tile so that a reader finds a tile by its terrain bits, never by its position.
//!
//! `wang16` is the 16-tile corner Wang set: each tile's four corners are either the lower or
//! the upper terrain, and its index is the sum of the bits of its upper corners:
//! NE = 1, SE = 2, SW = 4, NW = 8. Two tiles may sit side by side when the corners they share
//! agree, which is exactly when their shared edge matches.
//!
//! `blob47` is the 47-tile blob set, painted per cell: a cell of the upper terrain takes the
//! tile of its 8-neighbour mask (N = 1, NE = 2, E = 4, SE = 8, S = 16, SW = 32, W = 64, NW = 128,
//! a bit set where that neighbour is upper too), a corner counting only when both its edges do
//! ([`blob47_reduce`]); 47 masks remain ([`blob47_masks`]). A cell of the lower terrain takes the
//! plain lower tile, which the set holds after the 47 ([`TilesetInfo::lower`]).

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
/// (for `wang16` the upper terrain's corners, for `blob47` an upper cell's neighbour mask).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TilesetInfo {
    /// The layout the bits follow.
    pub layout: TileLayout,
    /// One entry per frame: the tile's bits.
    pub tiles: Vec<u8>,
    /// For `blob47`: the frame of the plain lower-terrain tile, for cells of the lower terrain
    /// (which no mask describes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lower: Option<u32>,
}

impl TilesetInfo {
    /// The 16 tiles of a `wang16` set, tile `i` with bits `i`.
    pub fn wang16() -> Self {
        Self { layout: TileLayout::Wang16, tiles: (0..16).collect(), lower: None }
    }

    /// The 47 tiles of a `blob47` set in [`blob47_masks`] order, then the plain lower tile.
    pub fn blob47() -> Self {
        let tiles = blob47_masks();
        let lower = u32::try_from(tiles.len()).ok();
        Self { layout: TileLayout::Blob47, tiles, lower }
    }

    /// Frames in the set: its tiles and, for `blob47`, the plain lower tile.
    pub fn frames(&self) -> u32 {
        u32::try_from(self.tiles.len()).unwrap_or(u32::MAX) + u32::from(self.lower.is_some())
    }

    /// The set of `layout`.
    pub fn of(layout: TileLayout) -> Self {
        match layout {
            TileLayout::Wang16 => Self::wang16(),
            TileLayout::Blob47 => Self::blob47(),
        }
    }

    /// The frame of the tile with `bits`, if the set has it.
    pub fn frame_of(&self, bits: u8) -> Option<u32> {
        self.tiles.iter().position(|b| *b == bits).and_then(|i| u32::try_from(i).ok())
    }
}

/// Neighbour bits of a `blob47` mask, clockwise from north.
pub mod blob {
    /// North.
    pub const N: u8 = 1;
    /// North-east.
    pub const NE: u8 = 2;
    /// East.
    pub const E: u8 = 4;
    /// South-east.
    pub const SE: u8 = 8;
    /// South.
    pub const S: u8 = 16;
    /// South-west.
    pub const SW: u8 = 32;
    /// West.
    pub const W: u8 = 64;
    /// North-west.
    pub const NW: u8 = 128;
}

/// `mask` with every corner bit cleared whose two edge bits are not both set: a diagonal
/// neighbour changes how a cell looks only where both cells beside it are of its terrain.
pub fn blob47_reduce(mask: u8) -> u8 {
    use blob::{E, N, NE, NW, S, SE, SW, W};
    let mut reduced = mask & (N | E | S | W);
    for (corner, a, b) in [(NE, N, E), (SE, S, E), (SW, S, W), (NW, N, W)] {
        if mask & corner != 0 && mask & a != 0 && mask & b != 0 {
            reduced |= corner;
        }
    }
    reduced
}

/// The 47 distinct reduced masks, in increasing order.
pub fn blob47_masks() -> Vec<u8> {
    let mut masks: Vec<u8> = (0..=255u8).map(blob47_reduce).collect();
    masks.sort_unstable();
    masks.dedup();
    masks
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

    #[test]
    fn blob_masks_are_47_and_corners_need_both_edges() {
        use blob::{E, N, NE, S, SW, W};
        assert_eq!(blob47_masks().len(), 47);
        assert_eq!(blob47_reduce(NE), 0);
        assert_eq!(blob47_reduce(N | NE), N);
        assert_eq!(blob47_reduce(N | NE | E), N | NE | E);
        assert_eq!(blob47_reduce(S | SW | W | NE), S | SW | W);
        let set = TilesetInfo::blob47();
        assert_eq!((set.tiles.len(), set.lower, set.frames()), (47, Some(47), 48));
        assert_eq!(set.frame_of(255), Some(46));
    }
}
