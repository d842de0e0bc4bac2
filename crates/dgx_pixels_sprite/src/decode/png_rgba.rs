//! 8-bit RGB and RGBA PNGs, what generators write, decoded straight into one RGBA buffer.
//!
//! Decoding such a PNG is almost all inflating and unfiltering, and both dominate the whole
//! `pixelize` run. So this path does each in its fastest form and touches as little fresh
//! memory as it can (every new page costs a fault):
//! - the IDAT stream is inflated in one call ([`super::inflate`]) straight into the *tail* of the RGBA
//!   buffer, so no second buffer of filtered rows exists (split IDAT chunks are joined in its
//!   head);
//! - rows are unfiltered several at a time ([`super::unfilter::restore_rows`]);
//! - each restored row is then spread to RGBA in place, ahead of rows not yet read.
//!
//! Anything else (grey, palette, 16-bit, interlacing, colour keys, unknown critical chunks) and
//! any damage (bad lengths or CRCs, truncation, a stream of the wrong size, an undefined filter)
//! is declined: the general decoder then decides, so this path never accepts less than it and
//! its errors are the ones callers see.

use super::inflate::inflate_exact;
use super::memory::{DecodedImage, PixelMemory};
use super::spread::spread;
use super::unfilter::restore_rows;
use super::{DecodeError, DecodeLimits, check_dimensions};

/// The eight bytes every PNG starts with.
const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];

/// Pixels spread from RGB to RGBA at a time: small enough for the stack and the L1 cache.
const SPREAD_BLOCK: usize = 256;

/// One chunk: its type and data, CRC already checked.
struct Chunk<'a> {
    kind: [u8; 4],
    data: &'a [u8],
}

/// Takes the next chunk off `bytes`, or `None` if its length runs past the end or its CRC is wrong.
fn next_chunk<'a>(bytes: &mut &'a [u8]) -> Option<Chunk<'a>> {
    let len = usize::try_from(u32::from_be_bytes(*bytes.first_chunk()?)).ok()?;
    let body = bytes.get(4..8 + len)?;
    let crc = u32::from_be_bytes(*bytes.get(8 + len..)?.first_chunk()?);
    if libdeflater::crc32(body) != crc {
        return None;
    }
    *bytes = &bytes[12 + len..];
    Some(Chunk { kind: *body.first_chunk()?, data: &body[4..] })
}

/// Decodes `bytes` if it is a PNG this path handles: `None` to leave it to the general decoder,
/// `Some(Err)` when the header alone shows that `limits` refuse it.
/// `huge` as in [`PixelMemory::zeroed`].
pub(super) fn decode(bytes: &[u8], limits: &DecodeLimits, huge: bool) -> Option<Result<DecodedImage, DecodeError>> {
    let mut rest = bytes.strip_prefix(&SIGNATURE)?;
    let header = next_chunk(&mut rest).filter(|c| &c.kind == b"IHDR" && c.data.len() == 13)?;
    let width = u32::from_be_bytes(*header.data.first_chunk()?);
    let height = u32::from_be_bytes(*header.data[4..].first_chunk()?);
    if let Err(err) = check_dimensions(width, height, limits) {
        return Some(Err(err));
    }
    let [depth, color, compression, filter, interlace] = *header.data[8..].first_chunk()?;
    let channels = match color {
        2 => 3,
        6 => 4,
        _ => return None,
    };
    if depth != 8 || compression != 0 || filter != 0 || interlace != 0 {
        return None;
    }
    let parts = image_data(rest)?;

    let (w, h) = (width as usize, height as usize);
    let line = w * channels + 1;
    // Split IDAT chunks are joined at the start of the buffer, which RGBA rows reach only after
    // inflating; the buffer is made long enough for them, so no second large buffer is needed.
    let joined_len = if parts.len() > 1 { parts.iter().map(|p| p.len()).sum() } else { 0 };
    // RGB rows with their filter bytes (3w + 1 each) fit in the RGBA rows (4w); RGBA rows need
    // one byte more per row, dropped once they are in place.
    let mut buffer = PixelMemory::zeroed((4 * w * h).max(line * h + joined_len), huge);
    let raw_start = buffer.len() - line * h;
    let (head, raw) = buffer.split_at_mut(raw_start);
    let stream: &[u8] = match parts.as_slice() {
        [one] => one,
        _ => {
            let mut at = 0;
            for part in &parts {
                head[at..at + part.len()].copy_from_slice(part);
                at += part.len();
            }
            &head[..at]
        }
    };
    inflate_exact(stream, raw)?;
    let restored = match channels {
        3 => restore::<3>(&mut buffer, raw_start, w, h),
        _ => restore::<4>(&mut buffer, raw_start, w, h),
    };
    if !restored {
        return None;
    }
    buffer.truncate(4 * w * h);
    DecodedImage::from_raw(width, height, buffer).map(Ok)
}

/// The IDAT chunks' data, in order, after checking the chunks between the header and `IEND`.
fn image_data(mut rest: &[u8]) -> Option<Vec<&[u8]>> {
    let mut parts: Vec<&[u8]> = Vec::new();
    let mut ended = false;
    loop {
        let chunk = next_chunk(&mut rest)?;
        ended |= !parts.is_empty() && &chunk.kind != b"IDAT";
        match &chunk.kind {
            // IDAT chunks must be consecutive.
            b"IDAT" if ended => return None,
            b"IDAT" => parts.push(chunk.data),
            b"IEND" => break,
            // A colour key makes an RGB image partly transparent: left to the general decoder.
            b"tRNS" => return None,
            // PLTE in a colour image is only a suggestion; any other critical chunk must not be ignored.
            b"PLTE" => {}
            kind if kind[0].is_ascii_uppercase() => return None,
            _ => {}
        }
    }
    Some(parts)
}

/// Restores the filtered rows that start at `raw_start` (a filter byte, then `width * BPP`
/// bytes, per row) and moves each one to its RGBA place at the start of `buffer`; `false` if a
/// row has an undefined filter. Rows are restored in groups ([`restore_rows`]).
///
/// Moving row `y` to RGBA writes `buffer[4 w y .. 4 w (y + 1)]`, which ends at or before row
/// `y + 1`'s filter byte, so no row is overwritten before it is read; the row above the next
/// one is kept in `prev`.
fn restore<const BPP: usize>(buffer: &mut [u8], raw_start: usize, width: usize, height: usize) -> bool {
    let stride = width * BPP;
    let line = stride + 1;
    let mut prev = vec![0u8; stride];
    let mut y = 0;
    while y < height {
        let Some(rows) = restore_rows::<BPP>(&prev, &mut buffer[raw_start + y * line..]) else {
            return false;
        };
        let last = raw_start + (y + rows - 1) * line + 1;
        prev.copy_from_slice(&buffer[last..last + stride]);
        for row in y..y + rows {
            place::<BPP>(buffer, raw_start + row * line + 1, 4 * width * row, width);
        }
        y += rows;
    }
    true
}

/// Moves one restored row of `width` pixels from `from` to RGBA at `to` (never after `from`).
/// Most rows end before their source begins and are spread directly; the last few overlap it
/// and go a block at a time: each block is copied out before its RGBA is written, and that RGBA
/// ends before the next block begins.
fn place<const BPP: usize>(buffer: &mut [u8], from: usize, to: usize, width: usize) {
    if BPP == 4 {
        buffer.copy_within(from..from + 4 * width, to);
        return;
    }
    if to + 4 * width <= from {
        let (before, source) = buffer.split_at_mut(from);
        spread(&source[..3 * width], &mut before[to..to + 4 * width]);
        return;
    }
    let mut block = [0u8; 3 * SPREAD_BLOCK];
    for start in (0..width).step_by(SPREAD_BLOCK) {
        let n = SPREAD_BLOCK.min(width - start);
        let rgb = &mut block[..3 * n];
        rgb.copy_from_slice(&buffer[from + 3 * start..from + 3 * (start + n)]);
        spread(rgb, &mut buffer[to + 4 * start..to + 4 * (start + n)]);
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use image::RgbaImage;

    use super::*;
    use crate::decode::unfilter::tests::filter_image;

    /// A PNG of `color` samples at `depth` bits with `filter` on every row, and an optional
    /// palette and `tRNS` chunk.
    fn encode(
        (width, height): (u32, u32),
        (color, depth): (png::ColorType, png::BitDepth),
        filter: png::Filter,
        (palette, trns): (Option<&[u8]>, Option<&[u8]>),
        data: &[u8],
    ) -> Vec<u8> {
        let mut bytes = Vec::new();
        let mut encoder = png::Encoder::new(Cursor::new(&mut bytes), width, height);
        encoder.set_color(color);
        encoder.set_depth(depth);
        encoder.set_filter(filter);
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

    /// The direct path's image, in huge-page memory when it is large enough.
    fn direct(bytes: &[u8]) -> Option<RgbaImage> {
        let image = decode(bytes, &DecodeLimits::default(), true)?.expect("within limits");
        RgbaImage::from_raw(image.width(), image.height(), image.into_raw().into_vec())
    }

    #[test]
    fn matches_the_general_decoder() {
        use png::{BitDepth::*, ColorType::*};
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
        let filters = [png::Filter::NoFilter, png::Filter::Sub, png::Filter::Up, png::Filter::Avg, png::Filter::Paeth];
        // Odd and even heights, so that Paeth rows are left over after the groups of 2 and 4.
        for size in [(37u32, 23u32), (5, 8), (1, 1), (300, 3)] {
            for (layout @ (color, depth), palette, trns, takes) in cases {
                for filter in filters.into_iter().chain([png::Filter::Adaptive]) {
                    let row_bytes = (size.0 as usize * color.samples() * depth as usize).div_ceil(8);
                    let data = samples(row_bytes * size.1 as usize);
                    let bytes = encode(size, layout, filter, (palette, trns), &data);
                    assert_eq!(direct(&bytes).is_some(), takes, "{layout:?}");
                    let decoded = crate::decode_bounded(&bytes, &DecodeLimits::default()).expect("a valid PNG");
                    assert_eq!(decoded, general(&bytes), "{layout:?} {filter:?} {size:?}");
                }
            }
        }
    }

    /// Rows of different filters, with Paeth runs of every length among them.
    #[test]
    fn mixed_filters_match_the_general_decoder() {
        let (w, h) = (19u32, 14u32);
        let filters = [4u8, 4, 1, 4, 4, 4, 2, 4, 3, 4, 4, 4, 4, 0, 4, 4, 4, 4, 4];
        for (layout, channels) in [(RGB8, 3), ((png::ColorType::Rgba, png::BitDepth::Eight), 4)] {
            let data = samples((w * h) as usize * channels);
            let mut bytes = encode((w, h), layout, png::Filter::NoFilter, (None, None), &data);
            replace_idat(&mut bytes, &filter_image(&data, w as usize * channels, channels, &filters));
            let decoded = direct(&bytes).expect("the direct path takes mixed filters");
            assert_eq!(decoded, general(&bytes), "{layout:?}");
        }
    }

    /// Split IDAT chunks, of compressible data and of noise (whose stream is longer than the
    /// space RGB rows leave free at the head of the buffer).
    #[test]
    fn split_image_data_matches_the_general_decoder() {
        let (w, h) = (64u32, 40u32);
        let noise: Vec<u8> = (0..w * h * 4).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        let smooth: Vec<u8> = (0..w * h * 4).map(|i| (i / 97) as u8).collect();
        for (layout, channels) in [(RGB8, 3), ((png::ColorType::Rgba, png::BitDepth::Eight), 4)] {
            for data in [&noise, &smooth] {
                let data = &data[..(w * h) as usize * channels];
                let bytes = split_idat(&encode((w, h), layout, png::Filter::Paeth, (None, None), data), 7);
                let decoded = direct(&bytes).expect("the direct path takes split IDAT chunks");
                assert_eq!(decoded, general(&bytes), "{layout:?}");
            }
        }
    }

    /// `bytes` with its one IDAT chunk cut into `pieces` consecutive IDAT chunks.
    fn split_idat(bytes: &[u8], pieces: usize) -> Vec<u8> {
        let len = u32::from_be_bytes(bytes[33..37].try_into().expect("4 bytes")) as usize;
        assert_eq!(&bytes[37..41], b"IDAT");
        let data = &bytes[41..41 + len];
        let mut out = bytes[..33].to_vec();
        for part in data.chunks(len.div_ceil(pieces)) {
            let body = [b"IDAT".as_slice(), part].concat();
            out.extend((part.len() as u32).to_be_bytes());
            out.extend(&body);
            out.extend(crc32fast::hash(&body).to_be_bytes());
        }
        out.extend(&bytes[45 + len..]);
        out
    }

    /// Damage is declined here and reported as an error by `decode_bounded`, never a panic.
    #[test]
    fn declines_damaged_data_and_the_caller_gets_an_error() {
        let (w, h) = (16u32, 12u32);
        let good = encode((w, h), RGB8, png::Filter::Paeth, (None, None), &samples((w * h * 3) as usize));
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
        let mut bad_filter = good.clone();
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
        let mut bytes = encode((1, 1), RGB8, png::Filter::NoFilter, (None, None), &[1, 2, 3]);
        bytes[16..24].copy_from_slice(&[0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0]);
        let crc = crc32fast::hash(&bytes[12..29]);
        bytes[29..33].copy_from_slice(&crc.to_be_bytes());
        assert!(matches!(decode(&bytes, &DecodeLimits::default(), true), Some(Err(DecodeError::TooLarge { .. }))));
    }
}
