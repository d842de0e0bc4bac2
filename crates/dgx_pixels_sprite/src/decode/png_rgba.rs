//! 8-bit RGB and RGBA PNGs, what generators write, decoded straight into one RGBA buffer.
//!
//! The `image` crate decodes an RGB PNG into an RGB buffer and `into_rgba8` then copies it into
//! a second, RGBA one: for a 1024×1024 image 3 MB more memory to fault in (about a third of the
//! page faults of the whole run) and one more pass. Here the `png` decoder writes its RGB rows
//! into the tail of the RGBA buffer, which are then spread to RGBA in place.
//!
//! The decoding itself (inflate and unfiltering) is the `png` crate's either way: one-shot
//! inflate with libdeflate and a hand-written unfilter were measured no faster than it on
//! these images. Other layouts (grey, palette, 16-bit, colour keys) and anything the `png`
//! decoder refuses go to the general decoder, so that its conversions and its errors are the
//! ones callers see.

use std::io::Cursor;

use image::RgbaImage;

use super::{DecodeError, DecodeLimits, check_dimensions};

/// Pixels spread from RGB to RGBA at a time: small enough for the stack and the L1 cache.
const SPREAD_BLOCK: usize = 256;

/// Decodes `bytes` if it is a PNG this path handles: `None` to leave it to the general decoder,
/// `Some(Err)` when the header alone shows that `limits` refuse it.
pub(super) fn decode(bytes: &[u8], limits: &DecodeLimits) -> Option<Result<RgbaImage, DecodeError>> {
    let cap = usize::try_from(limits.max_pixels.saturating_mul(8)).unwrap_or(usize::MAX);
    let mut reader = png::Decoder::new_with_limits(Cursor::new(bytes), png::Limits { bytes: cap }).read_info().ok()?;
    let (width, height) = reader.info().size();
    if let Err(err) = check_dimensions(width, height, limits) {
        return Some(Err(err));
    }
    let pixels = width as usize * height as usize;
    let mut rgba = vec![0; pixels * 4];
    match reader.output_color_type() {
        (png::ColorType::Rgba, png::BitDepth::Eight) => {
            reader.next_frame(&mut rgba).ok()?;
        }
        (png::ColorType::Rgb, png::BitDepth::Eight) if reader.info().trns.is_none() => {
            // RGB into the last three quarters, then spread forward a block at a time: a block
            // is copied out before its RGBA is written, and that RGBA ends before the next
            // block's RGB begins (4 (i + n) <= pixels + 3 (i + n) while i + n <= pixels).
            reader.next_frame(&mut rgba[pixels..]).ok()?;
            let mut block = [0u8; 3 * SPREAD_BLOCK];
            for start in (0..pixels).step_by(SPREAD_BLOCK) {
                let n = SPREAD_BLOCK.min(pixels - start);
                let rgb = &mut block[..3 * n];
                rgb.copy_from_slice(&rgba[pixels + 3 * start..pixels + 3 * (start + n)]);
                let out = rgba[4 * start..4 * (start + n)].as_chunks_mut::<4>().0;
                for (pixel, &[r, g, b]) in out.iter_mut().zip(rgb.as_chunks::<3>().0) {
                    *pixel = [r, g, b, 255];
                }
            }
        }
        _ => return None,
    }
    RgbaImage::from_raw(width, height, rgba).map(Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PNG of `color` samples at `depth` bits, with an optional palette and `tRNS` chunk.
    fn encode(
        (width, height): (u32, u32),
        (color, depth): (png::ColorType, png::BitDepth),
        palette: Option<&[u8]>,
        trns: Option<&[u8]>,
        data: &[u8],
    ) -> Vec<u8> {
        let mut bytes = Vec::new();
        let mut encoder = png::Encoder::new(Cursor::new(&mut bytes), width, height);
        encoder.set_color(color);
        encoder.set_depth(depth);
        palette.inspect(|p| encoder.set_palette(p.to_vec()));
        trns.inspect(|t| encoder.set_trns(t.to_vec()));
        let mut writer = encoder.write_header().expect("a valid test header");
        writer.write_image_data(data).expect("valid test data");
        writer.finish().expect("finishing a test PNG");
        bytes
    }

    const RGB8: (png::ColorType, png::BitDepth) = (png::ColorType::Rgb, png::BitDepth::Eight);

    /// Deterministic bytes with both smooth runs and jumps.
    fn samples(len: usize) -> Vec<u8> {
        (0..len).map(|i| ((i * 7 + i / 13 * 31 + (i * i) % 17) % 256) as u8).collect()
    }

    fn general(bytes: &[u8]) -> RgbaImage {
        image::load_from_memory_with_format(bytes, image::ImageFormat::Png).expect("general decoder").into_rgba8()
    }

    fn direct(bytes: &[u8]) -> Option<RgbaImage> {
        decode(bytes, &DecodeLimits::default()).map(|r| r.expect("within limits"))
    }

    #[test]
    fn matches_the_general_decoder() {
        use png::{BitDepth::*, ColorType::*};
        let size = (37u32, 23u32);
        let palette: Vec<u8> = (0..3 * 200).map(|i| (i * 11 % 256) as u8).collect();
        /// A layout, its palette and `tRNS`, and whether the direct path takes it.
        type Case<'a> = ((png::ColorType, png::BitDepth), Option<&'a [u8]>, Option<&'a [u8]>, bool);
        let cases: [Case; 7] = [
            ((Rgb, Eight), None, None, true),
            ((Rgba, Eight), None, None, true),
            ((Rgb, Eight), None, Some(&[0, 7, 0, 14, 0, 21]), false),
            ((Indexed, Eight), Some(&palette), Some(&[0, 64, 128]), false),
            ((Grayscale, Eight), None, None, false),
            ((GrayscaleAlpha, Eight), None, None, false),
            ((Rgb, Sixteen), None, None, false),
        ];
        for (layout @ (color, depth), palette, trns, takes) in cases {
            let row_bytes = (size.0 as usize * color.samples() * depth as usize).div_ceil(8);
            let bytes = encode(size, layout, palette, trns, &samples(row_bytes * size.1 as usize));
            assert_eq!(direct(&bytes).is_some(), takes, "{layout:?}");
            let decoded = crate::decode_bounded(&bytes, &DecodeLimits::default()).expect("a valid PNG");
            assert_eq!(decoded, general(&bytes), "{layout:?}");
        }
    }

    /// Damage is declined here and reported as an error by `decode_bounded`, never a panic.
    #[test]
    fn declines_damaged_data_and_the_caller_gets_an_error() {
        let (w, h) = (16u32, 12u32);
        let good = encode((w, h), RGB8, None, None, &samples((w * h * 3) as usize));
        assert!(direct(&good).is_some());
        let idat = 33;
        let truncated = good[..good.len() - 40].to_vec();
        let mut long_chunk = good.clone();
        long_chunk[idat..idat + 4].copy_from_slice(&u32::MAX.to_be_bytes());
        let mut bad_crc = good.clone();
        bad_crc[idat + 20] ^= 0x55;
        let mut short_stream = good.clone();
        short_stream[20..24].copy_from_slice(&(h + 5).to_be_bytes());
        let crc = crc32fast::hash(&short_stream[12..29]);
        short_stream[29..33].copy_from_slice(&crc.to_be_bytes());
        // An undefined filter type (5) on the first row: rebuild the stream with it.
        let mut rows: Vec<u8> =
            samples((w * h * 3) as usize).chunks(48).flat_map(|r| [&[0u8][..], r].concat()).collect();
        rows[0] = 5;
        let mut bad_filter = encode((w, h), RGB8, None, None, &samples((w * h * 3) as usize));
        replace_idat(&mut bad_filter, &rows);
        let cases = [
            ("truncated IDAT", truncated),
            ("chunk length past the end", long_chunk),
            ("bad CRC", bad_crc),
            ("fewer rows than the header", short_stream),
            ("undefined filter", bad_filter),
        ];
        for (name, bytes) in cases {
            assert!(direct(&bytes).is_none(), "{name}");
            assert!(crate::decode_bounded(&bytes, &DecodeLimits::default()).is_err(), "{name}");
        }
    }

    /// Replaces the single IDAT chunk of `bytes` by one holding `rows`, stored uncompressed.
    fn replace_idat(bytes: &mut Vec<u8>, rows: &[u8]) {
        let len = u32::from_be_bytes(bytes[33..37].try_into().expect("4 bytes")) as usize;
        // zlib header, one final stored block, Adler-32.
        let n = rows.len() as u16;
        let (mut a, mut b) = (1u32, 0u32);
        for &byte in rows {
            a = (a + u32::from(byte)) % 65_521;
            b = (b + a) % 65_521;
        }
        let stream =
            [&[0x78, 0x01, 0x01][..], &n.to_le_bytes(), &(!n).to_le_bytes(), rows, &((b << 16) | a).to_be_bytes()]
                .concat();
        let body = [b"IDAT".as_slice(), &stream].concat();
        let mut chunk = (stream.len() as u32).to_be_bytes().to_vec();
        chunk.extend(&body);
        chunk.extend(crc32fast::hash(&body).to_be_bytes());
        bytes.splice(33..45 + len, chunk);
    }

    #[test]
    fn refuses_a_huge_header_before_allocating() {
        let mut bytes = encode((1, 1), RGB8, None, None, &[1, 2, 3]);
        bytes[16..24].copy_from_slice(&[0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0]);
        let crc = crc32fast::hash(&bytes[12..29]);
        bytes[29..33].copy_from_slice(&crc.to_be_bytes());
        assert!(matches!(decode(&bytes, &DecodeLimits::default()), Some(Err(DecodeError::TooLarge { .. }))));
    }
}
