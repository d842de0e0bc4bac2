//! Inflating a PNG's image data with the faster of two inflaters for it.
//!
//! libdeflate is the fastest general inflater we measured on what image generators write (PIL's
//! zlib streams: 2.9 ms for a 1024x1024 RGB image against fdeflate's 3.5 ms). But PNGs written by
//! Rust's `png` and `image` crates at their default and fast levels, this project's own outputs
//! and kept raw frames among them, are compressed by fdeflate, whose inflater has a fast path for
//! its own streams (2.85 against libdeflate's 5.0 ms on such an image). Those streams all begin
//! with the same fixed Huffman header, so the choice is made from the first bytes.
//!
//! The zlib stream's own checksum (Adler-32 of the inflated bytes) is checked on libdeflate's
//! path only. libdeflate reads some damaged streams that zlib, fdeflate and the `png` crate
//! refuse (a bit pattern that an incomplete distance code leaves unassigned decodes as a
//! distance instead of an error), so only the checksum tells its output from the encoder's:
//! `tests/decode_fuzz.rs` found such a file, which decoded to pixels the `png` crate refuses.
//! fdeflate is the `png` crate's own inflater and refuses what it refuses; there, as in the
//! `png` crate by default, the checksum is left unchecked (every chunk's CRC already covers the
//! compressed bytes, and checking both cost 0.1 ms of a 1024x1024 image's 3).

use std::sync::LazyLock;

/// Length of the block header that every fdeflate stream starts with (after the zlib header).
const FDEFLATE_HEADER_LEN: usize = 53;

/// The first bytes of every fdeflate stream, taken from fdeflate itself (so they follow it if a
/// new version changes them).
static FDEFLATE_HEADER: LazyLock<Vec<u8>> = LazyLock::new(|| {
    let mut empty = fdeflate::compress_to_vec(&[]);
    empty.truncate(FDEFLATE_HEADER_LEN);
    empty
});

/// Inflates the zlib `stream` into `out`, which it must fill exactly (its Adler-32 checked as
/// the module docs say); `None` if the stream is damaged, shorter or longer.
pub(super) fn inflate_exact(stream: &[u8], out: &mut [u8]) -> Option<()> {
    if stream.starts_with(&FDEFLATE_HEADER) {
        let mut inflater = fdeflate::Decompressor::new();
        inflater.ignore_adler32();
        let (_, produced) = inflater.read(stream, out, 0, true).ok()?;
        return (produced == out.len() && inflater.is_done()).then_some(());
    }
    // libdeflate checks the zlib header as RFC 1950 has it (deflate, a window of at most 32 KB,
    // a header check that holds, no preset dictionary) and the Adler-32.
    let produced = libdeflater::Decompressor::new().zlib_decompress(stream, out).ok()?;
    (produced == out.len()).then_some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both inflaters: fdeflate's own streams and a zlib stream from another compressor, each
    /// whole, short of data and with extra data.
    #[test]
    fn both_paths_fill_exactly_or_decline() {
        let data: Vec<u8> = (0..50_000u32).map(|i| ((i * 7) ^ (i >> 5)) as u8).collect();
        let fdeflate_stream = fdeflate::compress_to_vec(&data);
        assert!(fdeflate_stream.starts_with(&FDEFLATE_HEADER));
        let mut compressor = libdeflater::Compressor::new(libdeflater::CompressionLvl::default());
        let mut other = vec![0; compressor.zlib_compress_bound(data.len())];
        let len = compressor.zlib_compress(&data, &mut other).expect("compressing test data");
        other.truncate(len);
        assert!(!other.starts_with(&FDEFLATE_HEADER));
        for (stream, checksum_checked) in [(&fdeflate_stream, false), (&other, true)] {
            let mut out = vec![0; data.len()];
            assert_eq!(inflate_exact(stream, &mut out), Some(()));
            assert_eq!(out, data);
            assert_eq!(inflate_exact(stream, &mut vec![0; data.len() + 1]), None, "more room than data");
            assert_eq!(inflate_exact(stream, &mut vec![0; data.len() - 1]), None, "more data than room");
            assert_eq!(inflate_exact(&stream[..stream.len() - 9], &mut out), None, "truncated");
            let mut wrong_checksum = stream.clone();
            *wrong_checksum.last_mut().expect("a whole stream") ^= 1;
            let expected = if checksum_checked { None } else { Some(()) };
            assert_eq!(inflate_exact(&wrong_checksum, &mut out), expected, "checksum checked: {checksum_checked}");
        }
    }

    #[test]
    fn refuses_headers_that_are_not_plain_zlib() {
        let data = [7u8; 300];
        let mut compressor = libdeflater::Compressor::new(libdeflater::CompressionLvl::default());
        let mut stream = vec![0; compressor.zlib_compress_bound(data.len())];
        let len = compressor.zlib_compress(&data, &mut stream).expect("compressing test data");
        stream.truncate(len);
        let mut out = [0u8; 300];
        assert_eq!(inflate_exact(&stream, &mut out), Some(()));
        let with_header = |method: u8, flags: u8| {
            let mut s = stream.clone();
            s[..2].copy_from_slice(&[method, flags]);
            s
        };
        // A method other than deflate, a window over 32 KB, a failing check, a preset dictionary.
        for (method, flags) in [(0x79, 0x18), (0x88, 0x1c), (0x78, 0x9d), (0x78, 0xbb)] {
            assert_eq!(inflate_exact(&with_header(method, flags), &mut out), None, "{method:#x} {flags:#x}");
        }
        assert_eq!(inflate_exact(&stream[..5], &mut out), None, "shorter than a header and checksum");
    }
}
