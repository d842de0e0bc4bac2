//! A small in-place radix-2 FFT: enough to scan every candidate period of an edge profile at
//! once instead of evaluating one Fourier coefficient per candidate.

/// A complex number as `(re, im)`.
pub(crate) type Complex = (f32, f32);

/// Transforms `data` in place (forward DFT, no scaling). `data.len()` must be a power of two;
/// other lengths are left untouched, which callers avoid by padding.
pub(crate) fn fft_in_place(data: &mut [Complex]) {
    let n = data.len();
    if n < 2 || !n.is_power_of_two() {
        return;
    }
    // Bit-reversal permutation.
    let mut j = 0;
    for i in 1..n {
        let mut bit = n >> 1;
        while j & bit != 0 {
            j ^= bit;
            bit >>= 1;
        }
        j |= bit;
        if i < j {
            data.swap(i, j);
        }
    }
    let mut len = 2;
    let mut twiddles = Vec::with_capacity(n / 2);
    while len <= n {
        // This level's twiddles, e^(-2πik/len), by the recurrence each block would otherwise
        // repeat: built once, the butterflies no longer wait on it.
        let angle = -2.0 * std::f64::consts::PI / len as f64;
        let (w_im, w_re) = angle.sin_cos();
        let (mut cur_re, mut cur_im) = (1.0f64, 0.0f64);
        twiddles.clear();
        for _ in 0..len / 2 {
            twiddles.push((cur_re as f32, cur_im as f32));
            (cur_re, cur_im) = (cur_re * w_re - cur_im * w_im, cur_re * w_im + cur_im * w_re);
        }
        for block in data.chunks_exact_mut(len) {
            let (low, high) = block.split_at_mut(len / 2);
            for ((a, b), &(tw_re, tw_im)) in low.iter_mut().zip(high.iter_mut()).zip(&twiddles) {
                let t = (b.0 * tw_re - b.1 * tw_im, b.0 * tw_im + b.1 * tw_re);
                (*a, *b) = ((a.0 + t.0, a.1 + t.1), (a.0 - t.0, a.1 - t.1));
            }
        }
        len <<= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_a_direct_dft() {
        let input: Vec<Complex> = (0..16).map(|i| (((i * 7) % 5) as f32, 0.0)).collect();
        let mut fast = input.clone();
        fft_in_place(&mut fast);
        for (k, got) in fast.iter().enumerate() {
            let (mut re, mut im) = (0.0f32, 0.0f32);
            for (t, x) in input.iter().enumerate() {
                let angle = -2.0 * std::f32::consts::PI * (k * t) as f32 / 16.0;
                re += x.0 * angle.cos();
                im += x.0 * angle.sin();
            }
            assert!((got.0 - re).abs() < 1e-3 && (got.1 - im).abs() < 1e-3, "bin {k}");
        }
    }
}
