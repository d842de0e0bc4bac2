//! PNG rows restored sixteen at a time with AVX2: [`super::unfilter`]'s wavefront, for the
//! filters that chain each pixel to its left neighbour.
//!
//! A pixel moves as one 4-byte load and one 4-byte store, four rows share a 256-bit register
//! (a pixel's four bytes in four 16-bit lanes per row), and four registers run as one
//! wavefront: at step `s`, row `r` restores pixel `s - r`. The rows lie in one block, `line`
//! bytes apart, so a step's pixels are `line - BPP` bytes apart and one offset walks them: the
//! wavefront with a slice per row spent most of its time fetching sixteen slices' addresses
//! and lengths, not computing.
//!
//! Each row keeps its own filter: lane masks pick left, the mean of left and up, or Paeth's
//! choice per row, so a run of such rows goes in one group (generators mix them: PIL puts a
//! left-filtered row among every few Paeth rows). A group of Paeth rows only, the usual case,
//! skips the masks. Rows filtered with up or none have no chain (one vector add, or nothing),
//! so they are cheaper alone than in a wavefront and stay with [`super::unfilter`].
//!
//! RGB pixels are three bytes, but the loads and stores still move four: the fourth byte is the
//! next pixel's first, not restored yet, and goes back unchanged because its lane's prediction
//! is masked to zero.

use std::arch::x86_64::{
    __m256i, _mm_cvtsi32_si128, _mm_cvtsi128_si32, _mm_extract_epi32, _mm_packus_epi16, _mm_set_epi32,
    _mm256_add_epi16, _mm256_and_si256, _mm256_andnot_si256, _mm256_blend_epi32, _mm256_castsi256_si128,
    _mm256_cmpgt_epi16, _mm256_cvtepu8_epi16, _mm256_extracti128_si256, _mm256_max_epi16, _mm256_min_epi16,
    _mm256_or_si256, _mm256_permute4x64_epi64, _mm256_set_epi64x, _mm256_set1_epi16, _mm256_set1_epi64x,
    _mm256_setzero_si256, _mm256_srli_epi16, _mm256_sub_epi16,
};

use super::unfilter::{AVERAGE, PAETH, SUB};

/// Rows in one register.
const LANE_ROWS: usize = 4;

/// The most rows one group restores: four registers.
const MAX_ROWS: usize = 16;

/// Restores the first rows of `lines` (each a filter byte, then as many bytes as `prev`, the
/// restored row above the first) in a group of 16, 8 or 4 rows, as many as lead `lines` with a
/// filter that chains each pixel to its left neighbour (left, mean or Paeth); returns how many,
/// 0 without AVX2 or with fewer such rows. Rows of the other filters (none, up: a plain vector
/// add, no chain) and undefined filter types are left to the caller.
pub(super) fn restore_group<const BPP: usize>(prev: &[u8], lines: &mut [u8]) -> usize {
    const { assert!(BPP == 3 || BPP == 4, "pixels of 3 or 4 bytes") };
    let line = prev.len() + 1;
    let chained = lines.chunks_exact(line).take(MAX_ROWS).take_while(|l| matches!(l[0], SUB | AVERAGE | PAETH)).count();
    let rows = [MAX_ROWS, 8, LANE_ROWS].into_iter().find(|&rows| rows <= chained).unwrap_or(0);
    if rows == 0 || !std::arch::is_x86_feature_detected!("avx2") {
        return 0;
    }
    let filters: [u8; MAX_ROWS] = std::array::from_fn(|r| if r < rows { lines[r * line] } else { PAETH });
    let block = &mut lines[..rows * line];
    let mixed = filters.iter().any(|&f| f != PAETH);
    #[expect(unsafe_code, reason = "calling an AVX2 function once the processor is known to have AVX2")]
    // SAFETY: AVX2 is detected above.
    unsafe {
        match (rows, mixed) {
            (MAX_ROWS, false) => wavefront::<4, BPP, false>(prev, block, &filters),
            (MAX_ROWS, true) => wavefront::<4, BPP, true>(prev, block, &filters),
            (8, false) => wavefront::<2, BPP, false>(prev, block, &filters),
            (8, true) => wavefront::<2, BPP, true>(prev, block, &filters),
            (_, false) => wavefront::<1, BPP, false>(prev, block, &filters),
            (_, true) => wavefront::<1, BPP, true>(prev, block, &filters),
        }
    }
    rows
}

/// Which rows of each register take each filter: a mask per filter type over each row's four
/// lanes.
struct FilterMasks<const R: usize> {
    sub: [__m256i; R],
    average: [__m256i; R],
    paeth: [__m256i; R],
}

impl<const R: usize> FilterMasks<R> {
    #[inline]
    #[target_feature(enable = "avx2")]
    fn new(filters: &[u8; MAX_ROWS]) -> Self {
        let mask = |filter: u8| -> [__m256i; R] {
            std::array::from_fn(|p| {
                let row = |i: usize| if filters[LANE_ROWS * p + i] == filter { -1 } else { 0 };
                _mm256_set_epi64x(row(3), row(2), row(1), row(0))
            })
        };
        Self { sub: mask(SUB), average: mask(AVERAGE), paeth: mask(PAETH) }
    }
}

/// Restores the `4 R` rows of `block`, with their filters (every one Paeth unless `MIXED`).
/// Steps where every row is inside its pixels (and a 4-byte access stays inside the row) take
/// the fast form; the first and last `4 R - 1` or so check each access.
///
/// A row whose first pixel is still ahead computes zeros (everything it reads is zero: the
/// state starts so, and the row above is still ahead or at its own zeros), so its left
/// neighbour is zero when it starts, as the filters define, without masking.
#[target_feature(enable = "avx2")]
fn wavefront<const R: usize, const BPP: usize, const MIXED: bool>(
    prev: &[u8],
    block: &mut [u8],
    filters: &[u8; MAX_ROWS],
) {
    let width = prev.len() / BPP;
    let rows = LANE_ROWS * R;
    let masks = FilterMasks::<R>::new(filters);
    let fast = (rows - 1)..if BPP == 4 { width } else { width.saturating_sub(1) };
    let mut state = [[_mm256_setzero_si256(); R]; 2];
    for s in 0..width + rows - 1 {
        let above = load_checked::<BPP>(prev, 0, s as isize, width);
        match fast.contains(&s).then(|| FastStep::<BPP>::new(block, prev.len() + 1, s, rows)).flatten() {
            Some(mut pixels) => step::<R, BPP, MIXED>(above, &mut pixels, &masks, &mut state),
            None => step::<R, BPP, MIXED>(above, &mut CheckedStep::<BPP> { block, width, s }, &masks, &mut state),
        }
    }
}

/// Where one step of the wavefront reads and writes: pixel `s - r` of each row `r` of the group.
trait StepPixels {
    /// The filtered pixel of row `r` as the low bytes of a `u32`; zeros outside the row.
    fn load(&self, r: usize) -> u32;
    /// Writes row `r`'s restored pixel, if it is inside the row.
    fn store(&mut self, r: usize, pixel: u32);
}

/// A step at which every row's pixel, and the byte after it, is inside its row: four bytes
/// move at once, and their bounds are checked once for the whole step (checking each access
/// cost more than the arithmetic, sixteen rows' worth of offsets and bounds).
struct FastStep<'a, const BPP: usize> {
    block: &'a mut [u8],
    /// Offset of row 0's pixel; row `r`'s is `gap` bytes further per row.
    first: usize,
    gap: usize,
    rows: usize,
}

impl<'a, const BPP: usize> FastStep<'a, BPP> {
    /// The step `s` over `rows` rows of `line` bytes, `None` if any of its 4-byte accesses would
    /// leave `block`.
    fn new(block: &'a mut [u8], line: usize, s: usize, rows: usize) -> Option<Self> {
        let (first, gap) = (s.checked_mul(BPP)?.checked_add(1)?, line.checked_sub(BPP)?);
        let end = first.checked_add((rows.checked_sub(1)?).checked_mul(gap)?)?.checked_add(4)?;
        (end <= block.len()).then_some(Self { block, first, gap, rows })
    }

    /// Row `r`'s offset: at most `first + (rows - 1) gap`, so four bytes from it are inside
    /// the block (checked by `new`).
    #[inline(always)]
    fn at(&self, r: usize) -> usize {
        assert!(r < self.rows, "row {r} of a step over {} rows", self.rows);
        self.first + r * self.gap
    }
}

#[expect(unsafe_code, reason = "unchecked 4-byte accesses whose bounds `FastStep::new` checked for the whole step")]
impl<const BPP: usize> StepPixels for FastStep<'_, BPP> {
    #[inline(always)]
    fn load(&self, r: usize) -> u32 {
        let at = self.at(r);
        // SAFETY: `at + 4 <= self.block.len()` (see `at`).
        let bytes = unsafe { self.block.get_unchecked(at..at + 4) };
        u32::from_le_bytes(bytes.try_into().expect("four bytes"))
    }

    #[inline(always)]
    fn store(&mut self, r: usize, pixel: u32) {
        let at = self.at(r);
        // SAFETY: as in `load`.
        unsafe { self.block.get_unchecked_mut(at..at + 4) }.copy_from_slice(&pixel.to_le_bytes());
    }
}

/// A step at the start or end of the wavefront, where some rows are outside their pixels:
/// each access is checked and moves exactly `BPP` bytes.
struct CheckedStep<'a, const BPP: usize> {
    block: &'a mut [u8],
    width: usize,
    s: usize,
}

impl<const BPP: usize> CheckedStep<'_, BPP> {
    /// Row `r`'s pixel index and the offset of its row.
    fn place(&self, r: usize) -> (isize, usize) {
        (self.s as isize - r as isize, r * (self.width * BPP + 1) + 1)
    }
}

impl<const BPP: usize> StepPixels for CheckedStep<'_, BPP> {
    fn load(&self, r: usize) -> u32 {
        let (x, start) = self.place(r);
        load_checked::<BPP>(self.block, start, x, self.width)
    }

    fn store(&mut self, r: usize, pixel: u32) {
        let (x, start) = self.place(r);
        if let Some(x) = usize::try_from(x).ok().filter(|&x| x < self.width) {
            let at = start + x * BPP;
            self.block[at..at + BPP].copy_from_slice(&pixel.to_le_bytes()[..BPP]);
        }
    }
}

/// Pixel `x` of the row of `width` pixels at `start` in `bytes`, as the low bytes of a `u32`;
/// zeros outside the row.
fn load_checked<const BPP: usize>(bytes: &[u8], start: usize, x: isize, width: usize) -> u32 {
    let Some(at) = usize::try_from(x).ok().filter(|&x| x < width).map(|x| start + x * BPP) else {
        return 0;
    };
    let mut pixel = [0u8; 4];
    pixel[..BPP].copy_from_slice(&bytes[at..at + BPP]);
    u32::from_le_bytes(pixel)
}

/// One step of the wavefront; `above` is the restored pixel above row 0's. `state` holds the
/// previous step's restored pixels (each row's left neighbour, and the next row's upper
/// neighbour) and its upper neighbours (the next upper-left).
#[inline]
#[target_feature(enable = "avx2")]
fn step<const R: usize, const BPP: usize, const MIXED: bool>(
    above: u32,
    pixels: &mut impl StepPixels,
    masks: &FilterMasks<R>,
    [left, upper_left]: &mut [[__m256i; R]; 2],
) {
    // RGB's fourth lane is predicted as zero, so it keeps the byte it was loaded with.
    let channels = _mm256_set1_epi64x(if BPP == 4 { 0x00ff_00ff_00ff_00ff } else { 0x0000_00ff_00ff_00ff });
    let above_first = _mm256_cvtepu8_epi16(_mm_cvtsi32_si128(above as i32));
    // Each register's rows moved one lane up: lane 0 then takes the row above from the register
    // before (or `above`).
    let raised: [__m256i; R] = std::array::from_fn(|p| _mm256_permute4x64_epi64::<0b10_01_00_11>(left[p]));
    let mut above = [_mm256_setzero_si256(); R];
    let mut out = [_mm256_setzero_si256(); R];
    for p in 0..R {
        above[p] = _mm256_blend_epi32::<0b0000_0011>(raised[p], if p == 0 { above_first } else { raised[p - 1] });
        let pixel = |i: usize| pixels.load(LANE_ROWS * p + i) as i32;
        let filtered = _mm256_cvtepu8_epi16(_mm_set_epi32(pixel(3), pixel(2), pixel(1), pixel(0)));
        let (a, b, c) = (left[p], above[p], upper_left[p]);
        let predicted = if MIXED {
            let mean = _mm256_srli_epi16::<1>(_mm256_add_epi16(a, b));
            _mm256_or_si256(
                _mm256_and_si256(masks.sub[p], a),
                _mm256_or_si256(
                    _mm256_and_si256(masks.average[p], mean),
                    _mm256_and_si256(masks.paeth[p], paeth(a, b, c)),
                ),
            )
        } else {
            paeth(a, b, c)
        };
        let sum = _mm256_add_epi16(filtered, _mm256_and_si256(predicted, channels));
        out[p] = _mm256_and_si256(sum, _mm256_set1_epi16(0xff));
    }
    for (p, out) in out.iter().enumerate() {
        let bytes = _mm_packus_epi16(_mm256_castsi256_si128(*out), _mm256_extracti128_si256::<1>(*out));
        let restored = [
            _mm_cvtsi128_si32(bytes),
            _mm_extract_epi32::<1>(bytes),
            _mm_extract_epi32::<2>(bytes),
            _mm_extract_epi32::<3>(bytes),
        ];
        for (i, pixel) in restored.into_iter().enumerate() {
            pixels.store(LANE_ROWS * p + i, pixel as u32);
        }
    }
    *left = out;
    *upper_left = above;
}

/// Paeth's predictor in the branch-free form of the portable [`super::unfilter`] one.
#[inline]
#[target_feature(enable = "avx2")]
fn paeth(a: __m256i, b: __m256i, c: __m256i) -> __m256i {
    let threshold = _mm256_sub_epi16(_mm256_add_epi16(c, _mm256_add_epi16(c, c)), _mm256_add_epi16(a, b));
    let (lo, hi) = (_mm256_min_epi16(a, b), _mm256_max_epi16(a, b));
    let hi_above = _mm256_cmpgt_epi16(hi, threshold);
    let t0 = _mm256_or_si256(_mm256_and_si256(hi_above, c), _mm256_andnot_si256(hi_above, lo));
    let threshold_above = _mm256_cmpgt_epi16(threshold, lo);
    _mm256_or_si256(_mm256_and_si256(threshold_above, t0), _mm256_andnot_si256(threshold_above, hi))
}
