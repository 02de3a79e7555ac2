//! The generator's random source: PCG-64 (MCG, XSL-RR) from `rand_pcg`, seeded through
//! SplitMix64, with our own range reduction. Every step is a fixed algorithm, so a seed gives the
//! same orders whatever version of `rand` the rest of the tree uses.

use rand_pcg::Pcg64Mcg;
use rand_pcg::rand_core::Rng as _;

/// A seeded, value-stable random source for synthetic orders.
#[derive(Debug, Clone)]
pub(crate) struct SynthRng(Pcg64Mcg);

/// SplitMix64 (Steele, Lea and Flood): spreads nearby seeds over the whole state space.
fn splitmix64(x: &mut u64) -> u64 {
    *x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl SynthRng {
    /// A generator determined by `seed`.
    pub(crate) fn new(seed: u64) -> SynthRng {
        let mut x = seed;
        let high = u128::from(splitmix64(&mut x));
        let low = u128::from(splitmix64(&mut x));
        SynthRng(Pcg64Mcg::new((high << 64) | low))
    }

    /// 64 random bits.
    pub(crate) fn u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// 32 random bits.
    pub(crate) fn u32(&mut self) -> u32 {
        (self.u64() >> 32) as u32
    }

    /// A number in `0..n` (0 when `n` is 0), by widening multiplication (bias below 2^-40 for
    /// the table sizes used here).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.u64()) * u128::from(n)) >> 64) as u64
    }

    /// An index into a table of `len` entries (0 when `len` is 0).
    pub(crate) fn index(&mut self, len: usize) -> usize {
        // usize is at most 64 bits on every supported target, and the result is below `len`.
        usize::try_from(self.below(len as u64)).unwrap_or(0)
    }

    /// A number in `lo..hi` (`lo` when the range is empty).
    pub(crate) fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi.saturating_sub(lo))
    }

    /// True with probability `p` (53-bit resolution).
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        let unit = (self.u64() >> 11) as f64 / (1u64 << 53) as f64;
        unit < p
    }

    /// `N` random bytes.
    pub(crate) fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        for chunk in out.chunks_mut(8) {
            let word = self.u64().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::SynthRng;

    #[test]
    fn the_first_outputs_for_a_seed_never_change() {
        let mut r = SynthRng::new(42);
        let first: Vec<u64> = (0..3).map(|_| r.u64()).collect();
        assert_eq!(first, GOLDEN_42);
    }

    #[test]
    fn ranges_stay_inside_their_bounds() {
        let mut r = SynthRng::new(7);
        for _ in 0..10_000 {
            assert!((5..9).contains(&r.range(5, 9)));
            assert!(r.index(3) < 3);
        }
        assert_eq!(r.index(0), 0);
        assert_eq!(r.range(4, 4), 4);
    }

    const GOLDEN_42: [u64; 3] = [
        9_488_631_487_095_002_522,
        256_833_948_629_588_205,
        10_517_606_510_214_314_269,
    ];
}
