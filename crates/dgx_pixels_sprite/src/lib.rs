//! The pixel-art pipeline of dgx-pixels, and the sprite sheets it writes. No Bevy, no tokio.
//!
//! An image model asked for pixel art paints *fake* pixel art: a large image whose "pixels" are
//! soft, uneven blocks on a backdrop. This crate turns that into a true sprite, one stage per
//! module, each usable on its own, and packs frames into sheets that Bevy loads directly.
//!
//! # Layout
//! - [`pipeline`]: [`PipelineBuilder`] and [`Pipeline`], which run the stages below in order.
//! - [`decode`]: bounded decoding; sizes are checked from the header before allocating.
//! - [`grid`]: pixel-grid recovery, the (non-integer) cell size and phase per axis.
//! - [`downsample`]: one pixel per cell, the median of the cell's centre.
//! - [`unblur`]: the colour the blur carried into small cells' centres from their neighbours, taken out.
//! - [`background`]: backdrop removal by a flood fill from the border in Oklab.
//! - [`flatness`]: tells a painted backdrop from a flat-looking part of a tile.
//! - [`backdrop_field`]: tells the backdrop's cells from sprite cells of a near colour.
//! - [`quantize`]: palettes: k-means in Oklab, from an image, mapping to one.
//! - [`noisy_palette`]: a fitted palette refined for the per-channel noise of generated pixels.
//! - [`dither`]: ordered (Bayer) dithering onto a palette.
//! - [`palette_source`]: a palette taken from existing art: PNGs and folders of them.
//! - [`outline`], [`trim`], [`upscale`]: finishing: outline, crop and pivot, previews.
//! - [`align`]: every cell of a character sheet on one baseline and one centre line.
//! - [`tile`]: seamless tiles: the grid's phase, rolling a periodic image, measuring a seam.
//! - [`autotile`]: autotile sets (`wang16`) composed from two seamless terrain tiles.
//! - [`color`]: the Oklab colour space all colour decisions use.
//! - [`view`](mod@view): the borrowed form in which stages read frames, whatever memory holds them.
//!
//! # Example
//! ```
//! use dgx_pixels_sprite::{PipelineBuilder, TargetSize};
//! use dgx_pixels_protocol::SpriteSize;
//!
//! // An 8x8 checkerboard drawn with 10-pixel "pixels".
//! let fake = image::RgbaImage::from_fn(80, 80, |x, y| {
//!     if (x / 10 + y / 10) % 2 == 0 { image::Rgba([20, 20, 20, 255]) } else { image::Rgba([230, 40, 40, 255]) }
//! });
//! let pipeline = PipelineBuilder::new().size(TargetSize::Exact(SpriteSize::new(8, 8))).colors(2).build()?;
//! let sprite = &pipeline.process(&[fake])?.frames[0];
//! assert_eq!(sprite.dimensions(), (8, 8));
//! # Ok::<(), dgx_pixels_sprite::PipelineError>(())
//! ```

pub mod align;
pub mod aseprite;
pub mod atlas;
pub mod autotile;
pub mod write;

pub mod backdrop_field;
pub mod background;
pub mod color;
pub mod decode;
pub mod dither;
pub mod downsample;
#[cfg(test)]
mod fake_art;
pub mod flatness;
pub mod grid;
pub mod matched_size;
pub mod noisy_palette;
pub mod outline;
pub mod palette_source;
pub mod pipeline;
pub mod quantize;
#[cfg(target_arch = "x86_64")]
mod sse2;
pub mod tile;
pub mod trim;
pub mod unblur;
pub mod upscale;
pub mod view;

pub use decode::{DecodeError, DecodeLimits, DecodedImage, decode_bounded, decode_frame};
pub use pipeline::{Pipeline, PipelineBuilder, PipelineError, PixelFrames, TargetSize};
pub use view::{RgbaView, view};
