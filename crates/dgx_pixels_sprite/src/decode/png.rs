//! A fast path for the PNGs that image generators write: 8-bit grey, grey + alpha, RGB, RGBA
//! or palette, not interlaced.
//!
//! Decoding such a PNG is almost all inflating and unfiltering. A streaming decoder inflates in
//! small pieces and copies rows around; here the whole IDAT stream is inflated in one call
//! (libdeflate, several times faster than streaming inflaters on whole buffers) into a buffer
//! of exactly the size the header implies, each row is unfiltered in place, and expanded
//! straight into RGBA while it is still in cache.
//!
//! Anything else (16-bit or sub-byte samples, interlacing, colour-key transparency, unknown
//! critical chunks) and any damage (bad lengths or CRCs, truncation, a stream of the wrong
//! size, an undefined filter) is declined: the general decoder then decides, so this path
//! never accepts less than it and its errors are the ones callers see.

use image::RgbaImage;

use super::unfilter::unfilter_row;
use super::{DecodeError, DecodeLimits, check_dimensions};

/// The eight bytes every PNG starts with.
const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];

/// Longest chunk the specification allows.
const MAX_CHUNK_LEN: usize = (1 << 31) - 1;

/// PNG colour types this path decodes, all with 8-bit samples.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ColorType {
    Gray,
    Rgb,
    Palette,
    GrayAlpha,
    Rgba,
}

impl ColorType {
    fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            0 => Self::Gray,
            2 => Self::Rgb,
            3 => Self::Palette,
            4 => Self::GrayAlpha,
            6 => Self::Rgba,
            _ => return None,
        })
    }

    fn channels(self) -> usize {
        match self {
            Self::Gray | Self::Palette => 1,
            Self::GrayAlpha => 2,
            Self::Rgb => 3,
            Self::Rgba => 4,
        }
    }
}

/// One chunk: its type and data, CRC already checked.
struct Chunk<'a> {
    kind: [u8; 4],
    data: &'a [u8],
}

/// Splits `bytes` (after the signature) into chunks, declining at the first one whose length
/// runs past the end or whose CRC does not match.
fn next_chunk<'a>(bytes: &mut &'a [u8]) -> Option<Chunk<'a>> {
    let len = usize::try_from(u32::from_be_bytes(bytes.get(..4)?.try_into().ok()?)).ok()?;
    if len > MAX_CHUNK_LEN {
        return None;
    }
    let body = bytes.get(4..8 + len)?;
    let crc = u32::from_be_bytes(bytes.get(8 + len..12 + len)?.try_into().ok()?);
    if libdeflater::crc32(body) != crc {
        return None;
    }
    *bytes = &bytes[12 + len..];
    Some(Chunk { kind: body[..4].try_into().ok()?, data: &body[4..] })
}

/// Decodes `bytes` if it is a PNG this path handles: `None` to leave it to the general decoder,
/// `Some(Err)` when the header alone shows that `limits` refuse it.
pub(super) fn decode(bytes: &[u8], limits: &DecodeLimits) -> Option<Result<RgbaImage, DecodeError>> {
    let mut rest = bytes.strip_prefix(&SIGNATURE)?;
    let header = next_chunk(&mut rest).filter(|c| &c.kind == b"IHDR" && c.data.len() == 13)?;
    let field = |at: usize| {
        u32::from_be_bytes([header.data[at], header.data[at + 1], header.data[at + 2], header.data[at + 3]])
    };
    let (width, height) = (field(0), field(4));
    if let Err(err) = check_dimensions(width, height, limits) {
        return Some(Err(err));
    }
    let [depth, color, compression, filter, interlace] = header.data[8..13].try_into().ok()?;
    let color =
        ColorType::from_code(color).filter(|_| depth == 8 && compression == 0 && filter == 0 && interlace == 0)?;

    let (mut palette, mut alpha): (Option<&[u8]>, Option<&[u8]>) = (None, None);
    let mut idat: Vec<&[u8]> = Vec::new();
    let mut idat_ended = false;
    loop {
        let chunk = next_chunk(&mut rest)?;
        idat_ended |= !idat.is_empty() && &chunk.kind != b"IDAT";
        match &chunk.kind {
            // IDAT chunks must be consecutive.
            b"IDAT" if idat_ended => return None,
            b"IDAT" => idat.push(chunk.data),
            b"IEND" => break,
            b"PLTE" => palette = Some(chunk.data),
            b"tRNS" if color == ColorType::Palette => alpha = Some(chunk.data),
            // A colour key makes an RGB or grey image partly transparent: left to the general decoder.
            b"tRNS" => return None,
            // An unknown critical chunk (upper-case first letter) must not be ignored.
            kind if kind[0].is_ascii_uppercase() => return None,
            _ => {}
        }
    }
    let table = match color {
        ColorType::Palette => rgba_palette(palette?, alpha.unwrap_or_default())?,
        _ => [[0, 0, 0, 255]; 256],
    };

    let (w, h) = (width as usize, height as usize);
    let bpp = color.channels();
    let stride = w * bpp;
    let mut raw = vec![0u8; h * (stride + 1)];
    let stream: std::borrow::Cow<'_, [u8]> = match idat.as_slice() {
        [one] => (*one).into(),
        parts => parts.concat().into(),
    };
    let inflated = libdeflater::Decompressor::new().zlib_decompress(&stream, &mut raw).ok()?;
    if inflated != raw.len() {
        return None;
    }

    let mut out = vec![0u8; w * h * 4];
    let zero_row = vec![0u8; stride];
    let mut prev_start = None;
    for (y, rgba) in out.chunks_exact_mut(w * 4).enumerate() {
        let start = y * (stride + 1);
        let (before, line) = raw.split_at_mut(start + 1);
        let row = &mut line[..stride];
        let prev = prev_start.map_or(zero_row.as_slice(), |p: usize| &before[p..p + stride]);
        if !unfilter_row(before[start], bpp, row, prev) {
            return None;
        }
        expand_row(color, &table, row, rgba);
        prev_start = Some(start + 1);
    }
    RgbaImage::from_raw(width, height, out).map(Ok)
}

/// The 256-entry RGBA table of a palette image, as the `png` crate builds it: entries past the
/// palette are opaque black, and a `tRNS` longer than the palette is ignored.
fn rgba_palette(palette: &[u8], alpha: &[u8]) -> Option<[[u8; 4]; 256]> {
    if palette.is_empty() || !palette.len().is_multiple_of(3) || palette.len() > 3 * 256 {
        return None;
    }
    let alpha = if alpha.len() <= palette.len() / 3 { alpha } else { &[] };
    let mut table = [[0, 0, 0, 255]; 256];
    for (i, (entry, rgb)) in table.iter_mut().zip(palette.chunks_exact(3)).enumerate() {
        *entry = [rgb[0], rgb[1], rgb[2], alpha.get(i).copied().unwrap_or(255)];
    }
    Some(table)
}

/// Writes one unfiltered row of `color` samples into RGBA; `table` is the palette of a
/// palette image (unused for the others).
fn expand_row(color: ColorType, table: &[[u8; 4]; 256], row: &[u8], rgba: &mut [u8]) {
    let pixels = rgba.chunks_exact_mut(4);
    match color {
        ColorType::Rgba => rgba.copy_from_slice(row),
        ColorType::Rgb => {
            pixels.zip(row.chunks_exact(3)).for_each(|(o, p)| o.copy_from_slice(&[p[0], p[1], p[2], 255]))
        }
        ColorType::GrayAlpha => {
            pixels.zip(row.chunks_exact(2)).for_each(|(o, p)| o.copy_from_slice(&[p[0], p[0], p[0], p[1]]));
        }
        ColorType::Gray => pixels.zip(row).for_each(|(o, &g)| o.copy_from_slice(&[g, g, g, 255])),
        ColorType::Palette => pixels.zip(row).for_each(|(o, &i)| o.copy_from_slice(&table[usize::from(i)])),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use image::ImageEncoder;
    use image::codecs::png::{CompressionType, FilterType, PngEncoder};

    use super::*;

    fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let body = [kind.as_slice(), data].concat();
        let len = u32::try_from(data.len()).expect("a small test chunk");
        [&len.to_be_bytes(), body.as_slice(), &libdeflater::crc32(&body).to_be_bytes()].concat()
    }

    /// A PNG of 8-bit `color` samples from already filtered `rows` (each led by its filter byte),
    /// with `extra` chunks between the header and the data.
    fn png_from_parts(width: u32, height: u32, color: u8, extra: &[Vec<u8>], rows: &[u8]) -> Vec<u8> {
        let mut compressor = libdeflater::Compressor::new(libdeflater::CompressionLvl::default());
        let mut stream = vec![0; compressor.zlib_compress_bound(rows.len())];
        let len = compressor.zlib_compress(rows, &mut stream).expect("compressing test rows");
        stream.truncate(len);
        let header = [width.to_be_bytes().as_slice(), &height.to_be_bytes(), &[8, color, 0, 0, 0]].concat();
        let mut bytes = SIGNATURE.to_vec();
        bytes.extend(chunk(b"IHDR", &header));
        extra.iter().for_each(|c| bytes.extend(c));
        bytes.extend(chunk(b"IDAT", &stream));
        bytes.extend(chunk(b"IEND", &[]));
        bytes
    }

    /// Deterministic bytes with both smooth runs and jumps, so every filter gets real work.
    fn samples(len: usize) -> Vec<u8> {
        (0..len).map(|i| ((i * 7 + i / 13 * 31 + (i * i) % 17) % 256) as u8).collect()
    }

    fn general(bytes: &[u8]) -> RgbaImage {
        image::load_from_memory_with_format(bytes, image::ImageFormat::Png).expect("general decoder").into_rgba8()
    }

    fn fast(bytes: &[u8]) -> Option<RgbaImage> {
        decode(bytes, &DecodeLimits::default()).map(|r| r.expect("within limits"))
    }

    #[test]
    fn matches_the_general_decoder_for_every_layout_and_filter() {
        let (width, height) = (37, 23);
        let layouts = [
            image::ExtendedColorType::L8,
            image::ExtendedColorType::La8,
            image::ExtendedColorType::Rgb8,
            image::ExtendedColorType::Rgba8,
        ];
        let filters = [
            FilterType::NoFilter,
            FilterType::Sub,
            FilterType::Up,
            FilterType::Avg,
            FilterType::Paeth,
            FilterType::Adaptive,
        ];
        for layout in layouts {
            let data = samples((width * height) as usize * usize::from(layout.channel_count()));
            for filter in filters {
                let mut bytes = Vec::new();
                PngEncoder::new_with_quality(Cursor::new(&mut bytes), CompressionType::Fast, filter)
                    .write_image(&data, width, height, layout)
                    .expect("encoding a test PNG");
                assert_eq!(fast(&bytes), Some(general(&bytes)), "{layout:?} {filter:?}");
            }
        }
    }

    #[test]
    fn matches_the_general_decoder_for_palettes() {
        // Three colours, two with alpha, and indices past the palette (opaque black).
        let plte = chunk(b"PLTE", &[255, 0, 0, 0, 255, 0, 0, 0, 255]);
        let trns = chunk(b"tRNS", &[0, 128]);
        let rows: Vec<u8> = (0..5u8).flat_map(|y| [0, y, 1, 2, 3, 250 - y]).collect();
        let bytes = png_from_parts(5, 5, 3, &[plte, trns], &rows);
        let image = fast(&bytes).expect("a palette PNG takes the fast path");
        assert_eq!(image, general(&bytes));
        assert_eq!(image.get_pixel(0, 0).0, [255, 0, 0, 0]);
        assert_eq!(image.get_pixel(4, 0).0, [0, 0, 0, 255]);
    }

    #[test]
    fn declines_what_it_does_not_handle() {
        let rows = [0u8, 1, 2, 3].repeat(2);
        let colour_key = png_from_parts(1, 2, 2, &[chunk(b"tRNS", &[0, 1, 0, 2, 0, 3])], &rows);
        assert!(fast(&colour_key).is_none());
        let mut sixteen_bit = png_from_parts(1, 2, 2, &[], &rows);
        sixteen_bit[24] = 16;
        let crc = libdeflater::crc32(&sixteen_bit[12..29]);
        sixteen_bit[29..33].copy_from_slice(&crc.to_be_bytes());
        assert!(fast(&sixteen_bit).is_none());
        assert!(fast(&png_from_parts(1, 2, 3, &[], &rows[..4])).is_none(), "palette image without PLTE");
    }

    /// Damage of every kind is declined here and reported as an error by `decode_bounded`.
    #[test]
    fn declines_damaged_data_and_the_caller_gets_an_error() {
        let (width, height) = (16u32, 12u32);
        let pixels = samples((width * height * 3) as usize);
        let rows: Vec<u8> = pixels.chunks(48).flat_map(|row| [&[4u8][..], row].concat()).collect();
        let good = png_from_parts(width, height, 2, &[], &rows);
        assert!(fast(&good).is_some());

        let idat_end = good.len() - 12;
        let truncated = good[..idat_end - 20].to_vec();
        let mut bad_filter_rows = rows.clone();
        bad_filter_rows[49 * 3] = 5;
        let bad_filter = png_from_parts(width, height, 2, &[], &bad_filter_rows);
        let mut long_chunk = good.clone();
        long_chunk[33..37].copy_from_slice(&u32::MAX.to_be_bytes());
        let short_stream = png_from_parts(width, height + 1, 2, &[], &rows);
        let mut bad_crc = good.clone();
        bad_crc[idat_end - 30] ^= 0x55;
        let cases = [
            ("truncated IDAT", truncated),
            ("undefined filter", bad_filter),
            ("chunk length past the end", long_chunk),
            ("fewer rows than the header", short_stream),
            ("bad CRC", bad_crc),
        ];
        for (name, bytes) in cases {
            assert!(fast(&bytes).is_none(), "{name}");
            assert!(crate::decode_bounded(&bytes, &DecodeLimits::default()).is_err(), "{name}");
        }
        // Rows beyond the header's count are declined here too; the general decoder ignores them.
        let long_stream = png_from_parts(width, height - 1, 2, &[], &rows);
        assert!(fast(&long_stream).is_none());
        assert_eq!(crate::decode_bounded(&long_stream, &DecodeLimits::default()).unwrap().height(), height - 1);
    }

    #[test]
    fn refuses_a_huge_header_before_allocating() {
        let bytes = png_from_parts(100_000, 100_000, 2, &[], &[0]);
        assert!(matches!(decode(&bytes, &DecodeLimits::default()), Some(Err(DecodeError::TooLarge { .. }))));
    }
}
