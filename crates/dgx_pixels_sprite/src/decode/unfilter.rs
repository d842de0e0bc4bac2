//! PNG row filters, reversed in place, with the Paeth filter restored on several rows at once.
//!
//! Every row of a PNG is stored as the difference from a prediction (none, left, up, the mean of
//! left and up, or Paeth's choice among left, up and upper-left). Image generators' output is
//! almost all Paeth rows, and Paeth is a chain: each pixel needs its left neighbour restored
//! first, so one row runs at the latency of that chain, not at the speed of the machine.
//!
//! Several rows can share the chain, though: pixel `x` of row `r + 1` needs only pixels `x - 1`
//! and `x` of row `r`, so while row `r` restores pixel `x`, row `r + 1` can restore pixel `x - 1`
//! (a wavefront). [`paeth_group`] restores a run of Paeth rows that way: eight at a time with
//! SSE2 on x86_64 ([`super::paeth_sse2`]), elsewhere with [`paeth_rows`], which keeps one pixel
//! of each of `K` rows in four 16-bit lanes of one array of `4 K` lanes that the compiler turns
//! into vector instructions (NEON or SSE2); measured on 1024x1024 RGB, 1.1 ms for SSE2 groups of
//! eight, 2.4 ms for portable pairs, 4.4 ms one row at a time.

/// PNG's filter types.
const NONE: u8 = 0;
const SUB: u8 = 1;
const UP: u8 = 2;
const AVERAGE: u8 = 3;
/// The filter type that [`paeth_group`] restores several rows at a time.
pub(super) const PAETH: u8 = 4;

/// Reverses filter `filter` of one row in place. `prev` is the previous row, already restored
/// (zeros above the first row), as long as `row`. Returns `false` for a filter type that PNG
/// does not define.
pub(super) fn unfilter_row<const BPP: usize>(filter: u8, row: &mut [u8], prev: &[u8]) -> bool {
    match filter {
        NONE => {}
        SUB => {
            // The left pixel is carried in registers, as for AVERAGE, rather than read back from
            // the row just written.
            let mut left = [0u8; BPP];
            for x in row.chunks_exact_mut(BPP) {
                for i in 0..BPP {
                    x[i] = x[i].wrapping_add(left[i]);
                }
                left.copy_from_slice(x);
            }
        }
        UP => row.iter_mut().zip(prev).for_each(|(x, &up)| *x = x.wrapping_add(up)),
        AVERAGE => {
            let mut left = [0u8; BPP];
            for (x, up) in row.chunks_exact_mut(BPP).zip(prev.chunks_exact(BPP)) {
                for i in 0..BPP {
                    x[i] = x[i].wrapping_add(((u16::from(left[i]) + u16::from(up[i])) / 2) as u8);
                }
                left.copy_from_slice(x);
            }
        }
        PAETH => paeth_rows::<1, BPP, 4>(prev, [row]),
        _ => return false,
    }
    true
}

/// The most rows [`paeth_group`] restores together.
pub(super) const MAX_GROUP: usize = 8;

/// Restores the first rows of `rows`, consecutive Paeth rows (`prev` the restored row above the
/// first), as many together as this machine's fastest wavefront takes; returns how many (at
/// least one when `rows` is not empty).
pub(super) fn paeth_group<const BPP: usize>(prev: &[u8], rows: &mut [&mut [u8]]) -> usize {
    #[cfg(target_arch = "x86_64")]
    let restored = super::paeth_sse2::paeth_group::<BPP>(prev, rows);
    #[cfg(not(target_arch = "x86_64"))]
    let restored = portable_group::<BPP>(prev, rows);
    restored_or_one::<BPP>(prev, rows, restored)
}

/// `restored` when a group took rows; otherwise restores the first row alone and returns 1 (0
/// when `rows` is empty).
fn restored_or_one<const BPP: usize>(prev: &[u8], rows: &mut [&mut [u8]], restored: usize) -> usize {
    match rows.first_mut() {
        Some(row) if restored == 0 => {
            paeth_rows::<1, BPP, 4>(prev, [&mut **row]);
            1
        }
        _ => restored,
    }
}

/// The group of [`paeth_group`] without SSE2: two RGB rows or four RGBA rows (more cost more
/// than they save here), 0 when `rows` has fewer.
#[cfg_attr(all(target_arch = "x86_64", not(test)), expect(dead_code, reason = "x86_64 uses SSE2 groups"))]
fn portable_group<const BPP: usize>(prev: &[u8], rows: &mut [&mut [u8]]) -> usize {
    match (BPP, rows) {
        (3, [a, b, ..]) => paeth_rows::<2, BPP, 8>(prev, [&mut **a, &mut **b]),
        (4, [a, b, c, d, ..]) => paeth_rows::<4, BPP, 16>(prev, [&mut **a, &mut **b, &mut **c, &mut **d]),
        _ => return 0,
    }
    if BPP == 3 { 2 } else { 4 }
}

/// Restores `K` consecutive Paeth rows in place as a wavefront; `prev` is the row above the
/// first, already restored. `L` must be `4 * K` (one 4-lane pixel per row).
///
/// At step `s`, lane group `k` restores pixel `s - k` of row `k`: its left neighbour is the
/// group's own previous result, the pixel above is group `k - 1`'s previous result (or `prev`
/// for group 0), and the upper-left one is what was "above" one step earlier. Groups outside
/// their row (`s - k` before the start or past the end) compute values that are never stored,
/// and are zeroed before the start so that the first pixel of each row sees zeros on its left.
pub(super) fn paeth_rows<const K: usize, const BPP: usize, const L: usize>(prev: &[u8], mut rows: [&mut [u8]; K]) {
    debug_assert_eq!(L, 4 * K);
    let width = prev.len() / BPP;
    let (mut left, mut above_before, mut out) = ([0i16; L], [0i16; L], [0i16; L]);
    for step in 0..width + K - 1 {
        let mut above = [0i16; L];
        if let Some(up) = prev.get(step * BPP..step * BPP + BPP) {
            for (lane, &byte) in above.iter_mut().zip(up) {
                *lane = i16::from(byte);
            }
        }
        above[4..].copy_from_slice(&out[..L - 4]);
        let mut filtered = [0i16; L];
        for (k, row) in rows.iter().enumerate() {
            if let Some(pixel) = step.checked_sub(k).and_then(|x| row.get(x * BPP..x * BPP + BPP)) {
                for (lane, &byte) in filtered[4 * k..].iter_mut().zip(pixel) {
                    *lane = i16::from(byte);
                }
            }
        }
        let predicted = paeth(left, above, above_before);
        for i in 0..L {
            out[i] = (filtered[i] + predicted[i]) & 0xff;
        }
        for (k, row) in rows.iter_mut().enumerate() {
            match step.checked_sub(k) {
                Some(x) => {
                    if let Some(pixel) = row.get_mut(x * BPP..x * BPP + BPP) {
                        for (byte, &lane) in pixel.iter_mut().zip(&out[4 * k..]) {
                            *byte = lane as u8;
                        }
                    }
                }
                None => out[4 * k..4 * k + 4].fill(0),
            }
        }
        left = out;
        above_before = above;
    }
}

/// Paeth's predictor, lane by lane, in the branch-free form of stb_image: equal to the
/// specification's (the neighbour nearest to `a + b - c`, ties to `a`, then `b`).
#[inline(always)]
fn paeth<const L: usize>(a: [i16; L], b: [i16; L], c: [i16; L]) -> [i16; L] {
    let mut out = [0i16; L];
    for i in 0..L {
        let threshold = c[i] * 3 - (a[i] + b[i]);
        let (lo, hi) = (a[i].min(b[i]), a[i].max(b[i]));
        let t0 = if hi <= threshold { lo } else { c[i] };
        out[i] = if threshold <= lo { hi } else { t0 };
    }
    out
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// The predictor exactly as the PNG specification writes it.
    fn paeth_reference(a: u8, b: u8, c: u8) -> u8 {
        let p = i16::from(a) + i16::from(b) - i16::from(c);
        let (pa, pb, pc) = ((p - i16::from(a)).abs(), (p - i16::from(b)).abs(), (p - i16::from(c)).abs());
        if pa <= pb && pa <= pc {
            a
        } else if pb <= pc {
            b
        } else {
            c
        }
    }

    #[test]
    fn paeth_matches_the_specification_everywhere() {
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                for c in (0..=255u8).step_by(3) {
                    let lanes = paeth([a.into(); 4], [b.into(); 4], [c.into(); 4]);
                    assert_eq!(lanes, [i16::from(paeth_reference(a, b, c)); 4], "{a} {b} {c}");
                }
            }
        }
    }

    /// Filters `image` (rows of `stride` bytes, `bpp` per pixel) as the specification says,
    /// row `y` with `filters[y % filters.len()]`; each row is led by its filter byte.
    pub(in crate::decode) fn filter_image(image: &[u8], stride: usize, bpp: usize, filters: &[u8]) -> Vec<u8> {
        let at = |x: Option<usize>, y: Option<usize>| match (x, y) {
            (Some(x), Some(y)) => image[y * stride + x],
            _ => 0,
        };
        let mut out = Vec::with_capacity(image.len() + image.len() / stride);
        for y in 0..image.len() / stride {
            let filter = filters[y % filters.len()];
            out.push(filter);
            for x in 0..stride {
                let (left, up) = (x.checked_sub(bpp), y.checked_sub(1));
                let (a, b, c) = (at(left, Some(y)), at(Some(x), up), at(left, up));
                let predicted = match filter {
                    NONE => 0,
                    SUB => a,
                    UP => b,
                    AVERAGE => ((u16::from(a) + u16::from(b)) / 2) as u8,
                    _ => paeth_reference(a, b, c),
                };
                out.push(image[y * stride + x].wrapping_sub(predicted));
            }
        }
        out
    }

    /// A group restorer for one pixel size: [`paeth_group`], or [`portable_group`] with the same
    /// one-row fallback.
    type Group = fn(&[u8], &mut [&mut [u8]]) -> usize;

    fn portable_or_one<const BPP: usize>(prev: &[u8], rows: &mut [&mut [u8]]) -> usize {
        let restored = portable_group::<BPP>(prev, rows);
        restored_or_one::<BPP>(prev, rows, restored)
    }

    /// Filters `image` with Paeth on every row, then restores it with `group` taking as many
    /// rows as it will.
    fn restore_in_groups(image: &[u8], stride: usize, bpp: usize, group: Group) -> Vec<u8> {
        let filtered = filter_image(image, stride, bpp, &[PAETH]);
        let mut image: Vec<u8> = filtered.chunks_exact(stride + 1).flat_map(|line| &line[1..]).copied().collect();
        let zeros = vec![0u8; stride];
        let height = image.len() / stride;
        let mut y = 0;
        while y < height {
            let (done, rest) = image.split_at_mut(y * stride);
            let prev = if y == 0 { &zeros[..] } else { &done[(y - 1) * stride..] };
            let mut rows: Vec<&mut [u8]> = rest.chunks_exact_mut(stride).collect();
            let restored = group(prev, &mut rows);
            assert!(restored > 0, "no row restored at row {y}");
            y += restored;
        }
        image
    }

    /// Every group size against the specification: heights that leave every remainder after
    /// groups of 8, 6, 4 and 2, and widths narrower than a group.
    #[test]
    fn wavefronts_of_any_height_restore_paeth_rows() {
        let groups: [(usize, Group, &str); 4] = [
            (3, paeth_group::<3>, "rgb"),
            (4, paeth_group::<4>, "rgba"),
            (3, portable_or_one::<3>, "portable rgb"),
            (4, portable_or_one::<4>, "portable rgba"),
        ];
        for width in [1usize, 2, 3, 5, 9, 33] {
            for height in [1usize, 2, 3, 7, 8, 9, 13, 23] {
                let image: Vec<u8> =
                    (0..width * 4 * height).map(|i| ((i * 37 + i / 5 * 11 + (i * i) % 23) % 256) as u8).collect();
                for (bpp, group, name) in groups {
                    let image = &image[..width * bpp * height];
                    let restored = restore_in_groups(image, width * bpp, bpp, group);
                    assert_eq!(restored, image, "{name}, {width}x{height}");
                }
            }
        }
    }

    #[test]
    fn refuses_undefined_filters() {
        assert!(!unfilter_row::<3>(5, &mut [1u8; 6], &[0; 6]));
    }
}
