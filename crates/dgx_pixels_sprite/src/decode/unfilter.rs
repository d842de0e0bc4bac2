//! PNG row filters, reversed in place.
//!
//! Every row of a PNG is stored as the difference from a prediction (none, left, up, the mean
//! of left and up, or Paeth's choice among left, up and upper-left), so each row needs the
//! previous one already restored. The loops are generic over the bytes per pixel so that the
//! compiler unrolls each one for the 1, 2, 3 and 4 channels of 8-bit images, carrying the
//! previous pixel in registers instead of re-reading it from the row.

/// Reverses the filter `filter` of one row in place. `prev` is the previous row, already
/// restored (all zeros for the first row), of the same length as `row`; `bpp` is 1 to 4.
/// Returns `false` for a filter type that PNG does not define, or an unsupported `bpp`.
pub(super) fn unfilter_row(filter: u8, bpp: usize, row: &mut [u8], prev: &[u8]) -> bool {
    match bpp {
        1 => unfilter::<1>(filter, row, prev),
        2 => unfilter::<2>(filter, row, prev),
        3 => unfilter::<3>(filter, row, prev),
        4 => unfilter::<4>(filter, row, prev),
        _ => false,
    }
}

fn unfilter<const BPP: usize>(filter: u8, row: &mut [u8], prev: &[u8]) -> bool {
    let pixels = row.chunks_exact_mut(BPP).zip(prev.chunks_exact(BPP));
    match filter {
        0 => {}
        1 => {
            let mut left = [0u8; BPP];
            for (x, _) in pixels {
                for i in 0..BPP {
                    x[i] = x[i].wrapping_add(left[i]);
                }
                left.copy_from_slice(x);
            }
        }
        2 => row.iter_mut().zip(prev).for_each(|(x, &up)| *x = x.wrapping_add(up)),
        3 => {
            let mut left = [0u8; BPP];
            for (x, up) in pixels {
                for i in 0..BPP {
                    x[i] = x[i].wrapping_add(((u16::from(left[i]) + u16::from(up[i])) / 2) as u8);
                }
                left.copy_from_slice(x);
            }
        }
        4 => paeth_row::<BPP>(row, prev),
        _ => return false,
    }
    true
}

/// Paeth filter of one row. One pixel is four 16-bit lanes whatever BPP is, so that the
/// compiler keeps it in one vector register and the chain from one pixel to the next is a few
/// vector instructions. With BPP 3 the fourth lane reads the next pixel's first byte (zero at
/// the row end); it is computed and never stored.
fn paeth_row<const BPP: usize>(row: &mut [u8], prev: &[u8]) {
    let (mut left, mut up_left) = ([0i16; 4], [0i16; 4]);
    let mut step = |x: [u8; 4], up: [u8; 4]| -> [u8; 4] {
        let above = up.map(i16::from);
        let predicted = paeth(left, above, up_left);
        for i in 0..4 {
            left[i] = (i16::from(x[i]) + predicted[i]) & 0xff;
        }
        up_left = above;
        left.map(|v| v as u8)
    };
    let whole = row.len().saturating_sub(4) / BPP;
    for at in (0..whole).map(|p| p * BPP) {
        let x: [u8; 4] = row[at..at + 4].try_into().unwrap_or_default();
        let up: [u8; 4] = prev[at..at + 4].try_into().unwrap_or_default();
        row[at..at + BPP].copy_from_slice(&step(x, up)[..BPP]);
    }
    for at in (whole * BPP..row.len()).step_by(BPP) {
        let (mut x, mut up) = ([0u8; 4], [0u8; 4]);
        x[..BPP].copy_from_slice(&row[at..at + BPP]);
        up[..BPP].copy_from_slice(&prev[at..at + BPP]);
        row[at..at + BPP].copy_from_slice(&step(x, up)[..BPP]);
    }
}

/// Paeth's predictor, lane by lane, in the branch-free form of stb_image: equal to the
/// specification's (the neighbour nearest to `a + b - c`, ties to `a`, then `b`), with shorter
/// dependency chains.
fn paeth(a: [i16; 4], b: [i16; 4], c: [i16; 4]) -> [i16; 4] {
    let mut out = [0i16; 4];
    for i in 0..4 {
        let threshold = c[i] * 3 - (a[i] + b[i]);
        let (lo, hi) = (a[i].min(b[i]), a[i].max(b[i]));
        let t0 = if hi <= threshold { lo } else { c[i] };
        out[i] = if threshold <= lo { hi } else { t0 };
    }
    out
}

#[cfg(test)]
mod tests {
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
            for b in (0..=255u8).step_by(3) {
                for c in (0..=255u8).step_by(5) {
                    let lanes = paeth([a.into(); 4], [b.into(); 4], [c.into(); 4]);
                    assert_eq!(lanes, [i16::from(paeth_reference(a, b, c)); 4], "{a} {b} {c}");
                }
            }
        }
    }

    #[test]
    fn refuses_undefined_filters() {
        let mut row = [1u8; 6];
        assert!(!unfilter_row(5, 3, &mut row, &[0; 6]));
        assert!(!unfilter_row(0, 5, &mut row, &[0; 6]));
    }
}
