//! The 12 colours of a game's existing sprites, as the palette-matching tests draw them (a
//! sprite made to match must use only these).

/// The game's colours.
pub const GAME_COLOURS: [[u8; 3]; 12] = [
    [20, 12, 28],
    [68, 36, 52],
    [48, 52, 109],
    [78, 74, 78],
    [133, 76, 48],
    [52, 101, 36],
    [208, 70, 72],
    [117, 113, 97],
    [89, 125, 206],
    [210, 125, 44],
    [133, 149, 161],
    [222, 238, 214],
];
