//! Reading input images for the CLI verbs.

use std::path::Path;

use anyhow::Context;
use dgx_pixels_sprite::{DecodeLimits, decode_bounded};
use image::RgbaImage;

/// The image at `path` as RGBA8, through [`decode_bounded`]: a header claiming more pixels than
/// the default [`DecodeLimits`] is refused before any pixel memory is allocated.
pub fn read_image(path: &Path) -> anyhow::Result<RgbaImage> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    decode_bounded(&bytes, &DecodeLimits::default()).with_context(|| format!("{}", path.display()))
}
