//! The pixel-art pipeline of dgx-pixels, and the sprite sheets it writes. No Bevy, no tokio.
//!
//! An image model asked for pixel art paints *fake* pixel art: a large image whose "pixels" are
//! soft, uneven blocks on a backdrop. This crate turns that into a true sprite, one stage per
//! module, each usable on its own, and packs frames into sheets that Bevy loads directly.

pub mod aseprite;
pub mod atlas;
pub mod write;
