//! Sixteen bytes into and out of an SSE2 register without raw pointers, for the x86_64 kernels
//! that work sixteen bytes at a time (RGB spreading, edge sums): the compiler makes each one a
//! single unaligned load or store, and the kernels stay free of `unsafe` but for their one call.

use std::arch::x86_64::{__m128i, _mm_cvtsi128_si64, _mm_set_epi64x, _mm_unpackhi_epi64};

/// The first sixteen bytes of `bytes` (which must hold them) as a register.
#[inline]
#[target_feature(enable = "sse2")]
pub(crate) fn load(bytes: &[u8]) -> __m128i {
    let half = |at: usize| i64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
    _mm_set_epi64x(half(8), half(0))
}

/// A register as sixteen bytes.
#[inline]
#[target_feature(enable = "sse2")]
pub(crate) fn store(v: __m128i) -> [u8; 16] {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&_mm_cvtsi128_si64(v).to_le_bytes());
    bytes[8..].copy_from_slice(&_mm_cvtsi128_si64(_mm_unpackhi_epi64(v, v)).to_le_bytes());
    bytes
}
