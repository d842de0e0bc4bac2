//! Bounded image decoding: the size is checked from the header before any pixel is allocated.
//!
//! Images reach the pipeline from the network and from users' disks. A 100-byte PNG can claim to
//! be 100000×100000 pixels (40 GB as RGBA); [`decode_bounded`] refuses it from the header alone,
//! and also hands the same limits to the decoder as an allocation cap.
//!
//! 8-bit RGB and RGBA PNGs, what generators write, take a faster path (`png_rgba`) straight to
//! RGBA; every other image, and any damaged one, goes through the `image` crate's decoder.
//! That path is ours rather than `zune-png`'s or the `png` crate's because the whole `pixelize`
//! run is 1.5-1.8x faster with it (BENCHMARKS.md, "PNG decoders"); `tests/decode_fuzz.rs` holds
//! it to the `png` crate's answers on mutated files.
//! [`decode_frame`] also puts large images in huge pages (`memory`), for one-shot work such as
//! the `pixelize` command where page faults are a large share of the run.

mod inflate;
mod memory;
mod png_rgba;
#[cfg(target_arch = "x86_64")]
mod rows_avx2;
mod spread;
mod unfilter;

pub use memory::{DecodedImage, PixelMemory, heap_image};

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageReader, RgbaImage};

/// How large an image [`decode_bounded`] accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeLimits {
    /// Longest accepted side, in pixels. Default 8192: above any generation canvas.
    pub max_side: u32,
    /// Most pixels accepted (width × height). Default 64 Mpx, i.e. 256 MB once decoded as RGBA.
    pub max_pixels: u64,
}

impl DecodeLimits {
    /// The default longest side.
    pub const DEFAULT_MAX_SIDE: u32 = 8192;
    /// The default pixel count.
    pub const DEFAULT_MAX_PIXELS: u64 = 64 * 1024 * 1024;
}

impl Default for DecodeLimits {
    fn default() -> Self {
        Self { max_side: Self::DEFAULT_MAX_SIDE, max_pixels: Self::DEFAULT_MAX_PIXELS }
    }
}

/// Why [`decode_bounded`] refused or failed to decode an image.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The bytes are not in a format this build decodes (PNG).
    #[error("not a supported image (PNG expected)")]
    UnknownFormat,
    /// The header declares an image with no pixels.
    #[error("the image is empty ({width}x{height})")]
    Empty {
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
    },
    /// The header declares an image beyond the limits.
    #[error("the image is {width}x{height}, over the limit of {max_side} px a side and {max_pixels} pixels")]
    TooLarge {
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
        /// The side limit in force.
        max_side: u32,
        /// The pixel-count limit in force.
        max_pixels: u64,
    },
    /// The data is damaged or truncated.
    #[error("the image data is damaged or truncated")]
    Malformed(#[source] image::ImageError),
}

/// Decodes `bytes` into RGBA8, refusing images over `limits` before allocating their pixels.
///
/// Use this, not `image::load_from_memory`, for any bytes that come from outside the process.
pub fn decode_bounded(bytes: &[u8], limits: &DecodeLimits) -> Result<RgbaImage, DecodeError> {
    let image = decode_into(bytes, limits, false)?;
    let (width, height) = image.dimensions();
    Ok(RgbaImage::from_raw(width, height, image.into_raw().into_vec())
        .expect("a decoded image's buffer holds its width x height pixels"))
}

/// [`decode_bounded`] for images that the pipeline reads once and drops: a large one is decoded
/// into huge pages where the system offers them ([`PixelMemory`]), saving most of the page
/// faults of a fresh buffer.
pub fn decode_frame(bytes: &[u8], limits: &DecodeLimits) -> Result<DecodedImage, DecodeError> {
    decode_into(bytes, limits, true)
}

/// Decodes with the fast path when it applies, else the general decoder; `huge` as in
/// [`PixelMemory::zeroed`].
fn decode_into(bytes: &[u8], limits: &DecodeLimits, huge: bool) -> Result<DecodedImage, DecodeError> {
    if let Some(decoded) = png_rgba::decode(bytes, limits, huge) {
        return decoded;
    }
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|err| DecodeError::Malformed(image::ImageError::IoError(err)))?;
    if reader.format().is_none() {
        return Err(DecodeError::UnknownFormat);
    }
    let mut decoder = reader.into_decoder().map_err(header_error)?;
    let (width, height) = decoder.dimensions();
    check_dimensions(width, height, limits)?;
    let mut caps = image::Limits::default();
    caps.max_image_width = Some(limits.max_side);
    caps.max_image_height = Some(limits.max_side);
    caps.max_alloc = Some(limits.max_pixels.saturating_mul(8));
    decoder.set_limits(caps).map_err(DecodeError::Malformed)?;
    let image = DynamicImage::from_decoder(decoder).map_err(DecodeError::Malformed)?;
    Ok(heap_image(image.into_rgba8()))
}

/// Checks a declared size against `limits`; public so that callers holding only a header (or a
/// size from elsewhere) apply the same rule.
pub fn check_dimensions(width: u32, height: u32, limits: &DecodeLimits) -> Result<(), DecodeError> {
    if width == 0 || height == 0 {
        return Err(DecodeError::Empty { width, height });
    }
    let pixels = u64::from(width) * u64::from(height);
    if width > limits.max_side || height > limits.max_side || pixels > limits.max_pixels {
        return Err(DecodeError::TooLarge { width, height, max_side: limits.max_side, max_pixels: limits.max_pixels });
    }
    Ok(())
}

/// An unsupported format reported by the decoder is still "not an image" to the caller.
fn header_error(err: image::ImageError) -> DecodeError {
    match err {
        image::ImageError::Unsupported(_) => DecodeError::UnknownFormat,
        other => DecodeError::Malformed(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png_bytes(width: u32, height: u32) -> Vec<u8> {
        let mut out = Vec::new();
        RgbaImage::new(width, height)
            .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
            .expect("encoding a small PNG in memory");
        out
    }

    /// A PNG whose IHDR claims `width`×`height` (with a valid CRC) over a 1×1 image's data.
    fn header_only_png(width: u32, height: u32) -> Vec<u8> {
        let mut bytes = png_bytes(1, 1);
        bytes[16..20].copy_from_slice(&width.to_be_bytes());
        bytes[20..24].copy_from_slice(&height.to_be_bytes());
        let crc = crc32fast::hash(&bytes[12..29]);
        bytes[29..33].copy_from_slice(&crc.to_be_bytes());
        bytes
    }

    #[test]
    fn decodes_a_small_png() {
        let image = decode_bounded(&png_bytes(3, 2), &DecodeLimits::default()).unwrap();
        assert_eq!(image.dimensions(), (3, 2));
    }

    #[test]
    fn refuses_a_huge_header_before_allocating() {
        let err = decode_bounded(&header_only_png(100_000, 100_000), &DecodeLimits::default()).unwrap_err();
        assert!(matches!(err, DecodeError::TooLarge { width: 100_000, height: 100_000, .. }), "{err:?}");
    }

    #[test]
    fn refuses_non_images_and_truncated_data() {
        assert!(matches!(
            decode_bounded(b"hello, not an image", &DecodeLimits::default()),
            Err(DecodeError::UnknownFormat)
        ));
        let bytes = png_bytes(64, 64);
        assert!(decode_bounded(&bytes[..bytes.len() / 2], &DecodeLimits::default()).is_err());
    }

    #[test]
    fn refuses_empty_images() {
        assert!(matches!(check_dimensions(0, 0, &DecodeLimits::default()), Err(DecodeError::Empty { .. })));
        assert!(decode_bounded(&header_only_png(0, 0), &DecodeLimits::default()).is_err());
    }
}
