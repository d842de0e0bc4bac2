//! Reading input images for the CLI verbs, with the decoder's size limits.

use std::path::Path;

use anyhow::Context;
use image::RgbaImage;

/// Largest input side accepted, in pixels.
const MAX_SIDE: u32 = 16384;
/// Largest decoder allocation, in bytes.
const MAX_ALLOC: u64 = 1 << 30;

/// The image at `path` as RGBA8, refusing files whose header claims more than [`MAX_SIDE`]
/// pixels a side before any pixel memory is allocated (decompression bombs).
pub fn read_image(path: &Path) -> anyhow::Result<RgbaImage> {
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    let mut reader = image::ImageReader::open(path)
        .with_context(|| format!("cannot open {}", path.display()))?
        .with_guessed_format()
        .with_context(|| format!("cannot read {}", path.display()))?;
    reader.limits(limits);
    let image = reader.decode().with_context(|| format!("{} is not a readable image", path.display()))?;
    if image.width() == 0 || image.height() == 0 {
        anyhow::bail!("{} has no pixels ({}x{})", path.display(), image.width(), image.height());
    }
    Ok(image.to_rgba8())
}
