//! RGB pixels written out as opaque RGBA, the last step of decoding an RGB PNG.
//!
//! A 1024x1024 image is a million pixels; the plain loop (three bytes in, four out) takes
//! 0.37 ms, and the whole `pixelize` run about 9. With SSSE3 (every x86_64 processor since 2006
//! but a few early AMD ones, so it is checked at run time) one byte shuffle moves four pixels
//! at a time: 0.07 ms. Elsewhere the plain loop is left to the compiler, which vectorises it
//! where the instruction set has a fitting shuffle (NEON's interleaved loads and stores).

/// Writes the pixels of `rgb` as opaque RGBA into `rgba` (as many as both hold).
pub(super) fn spread(rgb: &[u8], rgba: &mut [u8]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("ssse3") {
        #[expect(unsafe_code, reason = "calling an SSSE3 function after checking that the processor has SSSE3")]
        // SAFETY: the check above.
        unsafe {
            ssse3::spread(rgb, rgba)
        };
        return;
    }
    spread_plain(rgb, rgba);
}

/// The portable loop.
fn spread_plain(rgb: &[u8], rgba: &mut [u8]) {
    for (pixel, &[r, g, b]) in rgba.as_chunks_mut::<4>().0.iter_mut().zip(rgb.as_chunks::<3>().0) {
        *pixel = [r, g, b, 255];
    }
}

#[cfg(target_arch = "x86_64")]
mod ssse3 {
    use std::arch::x86_64::{_mm_or_si128, _mm_set1_epi32, _mm_setr_epi8, _mm_shuffle_epi8};

    use crate::sse2::{load, store};

    /// Four pixels per shuffle: 16 bytes read (12 used), 16 written. The last pixels, whose
    /// 16-byte read would run past `rgb`, go through the plain loop.
    #[target_feature(enable = "ssse3")]
    pub(super) fn spread(rgb: &[u8], rgba: &mut [u8]) {
        let order = _mm_setr_epi8(0, 1, 2, -1, 3, 4, 5, -1, 6, 7, 8, -1, 9, 10, 11, -1);
        let opaque = _mm_set1_epi32(0xff00_0000_u32 as i32);
        let (quads, _) = rgba.as_chunks_mut::<16>();
        let fours = quads.len().min(rgb.len().saturating_sub(4) / 12);
        for (i, quad) in quads[..fours].iter_mut().enumerate() {
            *quad = store(_mm_or_si128(_mm_shuffle_epi8(load(&rgb[12 * i..]), order), opaque));
        }
        super::spread_plain(&rgb[12 * fours..], &mut rgba[16 * fours..]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every length, so that every count of pixels left to the plain loop is covered.
    #[test]
    fn spreads_like_the_plain_loop() {
        for pixels in 0..40 {
            let rgb: Vec<u8> = (0..3 * pixels).map(|i| (i * 37 % 251) as u8).collect();
            let (mut fast, mut plain) = (vec![0u8; 4 * pixels], vec![0u8; 4 * pixels]);
            spread(&rgb, &mut fast);
            spread_plain(&rgb, &mut plain);
            assert_eq!(fast, plain, "{pixels} pixels");
            assert!(plain.chunks(4).zip(rgb.chunks(3)).all(|(p, q)| p[..3] == *q && p[3] == 255));
        }
    }
}
