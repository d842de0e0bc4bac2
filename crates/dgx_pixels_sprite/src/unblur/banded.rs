//! Banded square matrices: how much of each cell's colour the blur carries into the cells near
//! it, and the solve that takes it back out.
//!
//! A blur reaches a few cells at most, so row `i` holds entries for columns `i - k ..= i + k`
//! only; multiplying costs `n·(2k+1)` and an LU factorisation `n·k²`, where a dense one would
//! cost `n³` for the sprites of a hundred cells a side that are common.

/// An `n × n` matrix that is zero beyond `k` places from its diagonal.
#[derive(Clone, Debug)]
pub struct Banded {
    n: usize,
    k: usize,
    /// Row `i`, column `j` at `i * (2k + 1) + (j + k - i)`.
    entries: Vec<f64>,
}

/// A [`Banded`] matrix factorised as `L·U` (unit lower `L` below the diagonal, `U` on and above).
#[derive(Clone, Debug)]
pub struct BandedLu(Banded);

/// The smallest pivot accepted: a blur matrix whose diagonal falls this low has lost the cells'
/// own colours, and undoing it would only amplify the noise.
const SMALLEST_PIVOT: f64 = 0.05;

impl Banded {
    /// The `n × n` matrix with entries `entry(i, j)` within `k` of the diagonal.
    pub fn from_fn(n: usize, k: usize, entry: impl Fn(usize, usize) -> f64) -> Self {
        let k = k.min(n.saturating_sub(1));
        let mut matrix = Self { n, k, entries: vec![0.0; n * (2 * k + 1)] };
        for i in 0..n {
            for j in matrix.band(i) {
                *matrix.at_mut(i, j) = entry(i, j);
            }
        }
        matrix
    }

    /// Row `i`'s stored entries: column `j` at `j + k - i`.
    fn row(&self, i: usize) -> &[f64] {
        let width = 2 * self.k + 1;
        &self.entries[i * width..][..width]
    }

    fn at(&self, i: usize, j: usize) -> f64 {
        self.row(i)[j + self.k - i]
    }

    fn at_mut(&mut self, i: usize, j: usize) -> &mut f64 {
        let width = 2 * self.k + 1;
        &mut self.entries[i * width + j + self.k - i]
    }

    /// The columns `i - k ..= i + k` of row `i` that exist.
    fn band(&self, i: usize) -> std::ops::Range<usize> {
        i.saturating_sub(self.k)..(i + self.k + 1).min(self.n)
    }

    /// `self · x`, into `out`.
    pub fn multiply(&self, x: &[f64], out: &mut [f64]) {
        for (i, o) in out.iter_mut().enumerate().take(self.n) {
            let row = self.row(i);
            *o = self.band(i).map(|j| row[j + self.k - i] * x[j]).sum();
        }
    }

    /// Gaussian elimination without pivoting, which keeps the band; `None` when a pivot falls
    /// under [`SMALLEST_PIVOT`] (a blur matrix is diagonally dominant while cells are wider
    /// than the blur, and the caller limits the blur to that).
    pub fn factorise(mut self) -> Option<BandedLu> {
        for p in 0..self.n {
            let pivot = self.at(p, p);
            if pivot.abs() < SMALLEST_PIVOT {
                return None;
            }
            for i in p + 1..(p + self.k + 1).min(self.n) {
                let factor = self.at(i, p) / pivot;
                *self.at_mut(i, p) = factor;
                for j in p + 1..(p + self.k + 1).min(self.n) {
                    let above = self.at(p, j);
                    *self.at_mut(i, j) -= factor * above;
                }
            }
        }
        Some(BandedLu(self))
    }
}

impl BandedLu {
    /// The number of rows (and columns).
    pub fn size(&self) -> usize {
        self.0.n
    }

    /// Replaces `b` by `x` with `A·x = b`.
    pub fn solve(&self, b: &mut [f64]) {
        let a = &self.0;
        for i in 0..a.n {
            let entries = a.row(i);
            let below: f64 = (a.band(i).start..i).map(|j| entries[j + a.k - i] * b[j]).sum();
            b[i] -= below;
        }
        for i in (0..a.n).rev() {
            let entries = a.row(i);
            let above: f64 = (i + 1..a.band(i).end).map(|j| entries[j + a.k - i] * b[j]).sum();
            b[i] = (b[i] - above) / entries[a.k];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blur(n: usize) -> Banded {
        Banded::from_fn(n, 2, |i, j| match i.abs_diff(j) {
            0 => 0.7,
            1 => 0.12,
            _ => 0.03,
        })
    }

    #[test]
    fn solve_undoes_multiply() {
        let x: Vec<f64> = (0..9).map(|i| f64::from(i * 37 % 11) - 3.0).collect();
        let mut b = vec![0.0; 9];
        blur(9).multiply(&x, &mut b);
        assert_ne!(b, x);
        blur(9).factorise().expect("diagonally dominant").solve(&mut b);
        for (got, want) in b.iter().zip(&x) {
            assert!((got - want).abs() < 1e-9, "{b:?} vs {x:?}");
        }
    }

    #[test]
    fn refuses_a_blur_that_swamped_the_diagonal() {
        assert!(Banded::from_fn(4, 1, |i, j| if i == j { 0.01 } else { 0.5 }).factorise().is_none());
    }

    #[test]
    fn a_single_cell_is_its_own_band() {
        let mut b = [2.0];
        Banded::from_fn(1, 3, |_, _| 0.5).factorise().expect("one cell").solve(&mut b);
        assert_eq!(b, [4.0]);
    }
}
