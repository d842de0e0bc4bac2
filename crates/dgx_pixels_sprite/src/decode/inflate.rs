//! Inflating a PNG's image data with the faster of two inflaters for it.
//!
//! libdeflate is the fastest general inflater we measured on what image generators write (PIL's
//! zlib streams: 2.9 ms for a 1024x1024 RGB image against fdeflate's 3.5 ms). But PNGs written by
//! Rust's `png` and `image` crates at their default and fast levels, this project's own outputs
//! and kept raw frames among them, are compressed by fdeflate, whose inflater has a fast path for
//! its own streams (2.85 against libdeflate's 5.0 ms on such an image). Those streams all begin
//! with the same fixed Huffman header, so the choice is made from the first bytes.

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

/// Inflates the zlib `stream` into `out`, which it must fill exactly (checksum verified);
/// `None` if the stream is damaged, shorter or longer.
pub(super) fn inflate_exact(stream: &[u8], out: &mut [u8]) -> Option<()> {
    if stream.starts_with(&FDEFLATE_HEADER) {
        let mut inflater = fdeflate::Decompressor::new();
        let (_, produced) = inflater.read(stream, out, 0, true).ok()?;
        return (produced == out.len() && inflater.is_done()).then_some(());
    }
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
        for stream in [&fdeflate_stream, &other] {
            let mut out = vec![0; data.len()];
            assert_eq!(inflate_exact(stream, &mut out), Some(()));
            assert_eq!(out, data);
            assert_eq!(inflate_exact(stream, &mut vec![0; data.len() + 1]), None, "more room than data");
            assert_eq!(inflate_exact(stream, &mut vec![0; data.len() - 1]), None, "more data than room");
            assert_eq!(inflate_exact(&stream[..stream.len() - 9], &mut out), None, "truncated");
        }
    }
}
