//! The sums behind the edge profiles of [`super::profile`]: colour change between neighbouring
//! pixels of a row, and between two rows, summed over the four channels of RGBA pixels.
//!
//! They read about a million pixel pairs of a 1024x1024 image. Written pixel by pixel the
//! compiler keeps them at one pair per step; on x86_64 they go sixteen bytes at a time with
//! SSE2's sum of absolute differences (in `pixelize` on 1024x1024, `perf` puts them at about
//! 0.25 ms instead of 0.4). Both forms give the same integers.

/// Adds the colour change between pixels `x` and `x + 1` of `row` (RGBA bytes) to
/// `columns[x]`, for every `x` that both have.
pub(super) fn add_column_edges(row: &[u8], columns: &mut [u32]) {
    #[cfg(target_arch = "x86_64")]
    #[expect(unsafe_code, reason = "calling an SSE2 function on x86_64, where SSE2 is always present")]
    // SAFETY: SSE2 is part of the x86_64 baseline.
    let done = unsafe { sse2::add_column_edges(row, columns) };
    #[cfg(not(target_arch = "x86_64"))]
    let done = 0;
    add_column_edges_plain(&row[4 * done..], &mut columns[done..]);
}

/// The colour change between rows `above` and `below` (RGBA bytes), summed over the pixels
/// whose four bytes `read` masks with `0xff` (the other mask bytes are 0).
pub(super) fn row_edge(above: &[u8], below: &[u8], read: &[u8]) -> u32 {
    #[cfg(target_arch = "x86_64")]
    #[expect(unsafe_code, reason = "calling an SSE2 function on x86_64, where SSE2 is always present")]
    // SAFETY: SSE2 is part of the x86_64 baseline.
    let (done, sum) = unsafe { sse2::row_edge(above, below, read) };
    #[cfg(not(target_arch = "x86_64"))]
    let (done, sum) = (0, 0);
    sum + row_edge_plain(&above[done..], &below[done..], &read[done..])
}

fn add_column_edges_plain(row: &[u8], columns: &mut [u32]) {
    let pixels = row.as_chunks::<4>().0;
    for ((total, left), right) in columns.iter_mut().zip(pixels).zip(pixels.get(1..).unwrap_or_default()) {
        *total += pixel_difference(left, right);
    }
}

fn row_edge_plain(above: &[u8], below: &[u8], read: &[u8]) -> u32 {
    let pixels = above.as_chunks::<4>().0.iter().zip(below.as_chunks::<4>().0);
    pixels.zip(read.as_chunks::<4>().0).filter(|(_, mask)| mask[0] != 0).map(|((a, b), _)| pixel_difference(a, b)).sum()
}

/// Sum of the channel differences of two RGBA pixels.
fn pixel_difference(a: &[u8; 4], b: &[u8; 4]) -> u32 {
    a.iter().zip(b).map(|(&p, &q)| u32::from(p.abs_diff(q))).sum()
}

#[cfg(target_arch = "x86_64")]
mod sse2 {
    use std::arch::x86_64::{_mm_add_epi64, _mm_and_si128, _mm_or_si128, _mm_sad_epu8, _mm_set_epi32};
    use std::arch::x86_64::{_mm_setzero_si128, _mm_slli_epi64, _mm_subs_epu8};

    use crate::sse2::{load, store};

    /// [`super::add_column_edges`] four pixels at a time; returns how many pixels it did (the
    /// rest are left to the plain loop).
    #[target_feature(enable = "sse2")]
    pub(super) fn add_column_edges(row: &[u8], columns: &mut [u32]) -> usize {
        // The bytes of pixels 0 and 2 of four, and of pixels 1 and 3.
        let (even, odd) = (_mm_set_epi32(0, -1, 0, -1), _mm_set_epi32(-1, 0, -1, 0));
        let groups = (columns.len() / 4).min(row.len().saturating_sub(4) / 16);
        for (g, totals) in columns.as_chunks_mut::<4>().0[..groups].iter_mut().enumerate() {
            let (left, right) = (load(&row[16 * g..]), load(&row[16 * g + 4..]));
            let change = _mm_or_si128(_mm_subs_epu8(left, right), _mm_subs_epu8(right, left));
            // Sums of 8 bytes of which only one pixel's are kept: pixels 0 and 2 land in
            // 32-bit lanes 0 and 2, pixels 1 and 3 (shifted) in lanes 1 and 3.
            let sums_even = _mm_sad_epu8(_mm_and_si128(change, even), _mm_setzero_si128());
            let sums_odd = _mm_slli_epi64(_mm_sad_epu8(_mm_and_si128(change, odd), _mm_setzero_si128()), 32);
            let sums = store(_mm_or_si128(sums_even, sums_odd));
            for (total, sum) in totals.iter_mut().zip(sums.as_chunks::<4>().0) {
                *total += u32::from_le_bytes(*sum);
            }
        }
        4 * groups
    }

    /// [`super::row_edge`] sixteen bytes at a time; returns how many bytes it read and their sum.
    #[target_feature(enable = "sse2")]
    pub(super) fn row_edge(above: &[u8], below: &[u8], read: &[u8]) -> (usize, u32) {
        let blocks = above.len().min(below.len()).min(read.len()) / 16;
        let mut sums = _mm_setzero_si128();
        for i in (0..blocks).map(|b| 16 * b) {
            let mask = load(&read[i..]);
            let (a, b) = (_mm_and_si128(load(&above[i..]), mask), _mm_and_si128(load(&below[i..]), mask));
            sums = _mm_add_epi64(sums, _mm_sad_epu8(a, b));
        }
        let sums = store(sums);
        let half = |bytes: &[u8]| u64::from_le_bytes(bytes.try_into().expect("8 bytes"));
        // At most 255 * 16 per block, far from overflowing for any row an image can have.
        (16 * blocks, (half(&sums[..8]) + half(&sums[8..])) as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast forms against the plain loops, on every length around their block sizes.
    #[test]
    fn sums_match_the_plain_loops() {
        for pixels in 0..30usize {
            let row: Vec<u8> = (0..4 * pixels).map(|i| (i * 73 % 256) as u8).collect();
            let other: Vec<u8> = (0..4 * pixels).map(|i| (i * 151 % 256) as u8).collect();
            let mut columns: Vec<u32> = (0..pixels.saturating_sub(1) as u32).collect();
            let mut expected = columns.clone();
            add_column_edges(&row, &mut columns);
            add_column_edges_plain(&row, &mut expected);
            assert_eq!(columns, expected, "{pixels} pixels");
            for step in 1..4 {
                let read: Vec<u8> = (0..4 * pixels).map(|i| if (i / 4) % step == 0 { 0xff } else { 0 }).collect();
                assert_eq!(row_edge(&row, &other, &read), row_edge_plain(&row, &other, &read), "{pixels} / {step}");
            }
        }
    }
}
