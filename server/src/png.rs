//! [`encode_fast`]: PNG with fast compression, for images written once and read by a machine:
//! a backend's raw frames kept beside a job's files, a source image uploaded to ComfyUI. A raw
//! 1024² frame is big and a GPU may be waiting; size matters less than time.

use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ImageEncoder, ImageError, RgbaImage};

/// `image` as PNG, compressed fast rather than small.
pub(crate) fn encode_fast(image: &RgbaImage) -> Result<Vec<u8>, ImageError> {
    let mut bytes = Vec::new();
    PngEncoder::new_with_quality(&mut bytes, CompressionType::Fast, FilterType::Adaptive).write_image(
        image.as_raw(),
        image.width(),
        image.height(),
        image::ExtendedColorType::Rgba8,
    )?;
    Ok(bytes)
}
