//! Arrival processes: fixed-rate or Poisson, in integer cycles. Poisson gaps are exponential
//! samples computed in fixed point (an integer `log2` by repeated squaring), not with the
//! platform's `ln`, so they are identical on every machine.

use serde::{Deserialize, Serialize};

use crate::engine::SimRng;
use crate::time::{CYCLES_PER_SECOND, Cycle};

/// How arrivals are spaced.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Arrivals {
    /// Exactly `1 / rate` apart.
    #[default]
    Fixed,
    /// A Poisson process: exponential gaps with mean `1 / rate`.
    Poisson,
}

/// The mean gap in cycles for `per_second` arrivals per second, at least 1 cycle.
pub fn mean_gap(per_second: u64) -> Cycle {
    (CYCLES_PER_SECOND / per_second.max(1)).max(1)
}

/// A generator's clock of arrivals.
#[derive(Clone, Debug)]
pub struct ArrivalClock {
    pub kind: Arrivals,
    /// Mean gap in cycles, as a 32.32 fixed-point number (so rates that do not divide the
    /// clock still average out exactly over a long run).
    mean_q32: u128,
    /// Fractional cycles carried between fixed-rate gaps (32-bit fraction).
    carry: u64,
}

impl ArrivalClock {
    /// Arrivals at `per_second` per second (≥ 1).
    pub fn new(kind: Arrivals, per_second: u64) -> ArrivalClock {
        let mean_q32 = (u128::from(CYCLES_PER_SECOND) << 32) / u128::from(per_second.max(1));
        ArrivalClock { kind, mean_q32, carry: 0 }
    }

    /// The next gap in cycles (≥ 1).
    pub fn next_gap(&mut self, rng: &mut SimRng) -> Cycle {
        let q = match self.kind {
            Arrivals::Fixed => self.mean_q32,
            Arrivals::Poisson => {
                // Exponential: -ln(U) · mean, with U uniform in (0, 1].
                let u = (rng.next_u64() >> 11) + 1; // 53 bits, never 0
                let neg_ln_q32 = neg_ln_q32(u, 53);
                (self.mean_q32 * u128::from(neg_ln_q32)) >> 32
            }
        };
        let total = q + u128::from(self.carry);
        self.carry = (total & 0xffff_ffff) as u64;
        ((total >> 32) as u64).max(1)
    }
}

/// `-ln(u / 2^bits)` in 32.32 fixed point for `1 <= u <= 2^bits`, integer arithmetic only.
pub fn neg_ln_q32(u: u64, bits: u32) -> u64 {
    // ln(x) = log2(x) · ln(2); log2(u / 2^bits) = log2(u) - bits.
    let log2_u_q32 = log2_q32(u); // ≥ 0
    let neg_log2_q32 = (u64::from(bits) << 32).saturating_sub(log2_u_q32);
    // ln 2 in 0.64 fixed point.
    const LN2_Q64: u128 = 0xb172_17f7_d1cf_79ab;
    ((u128::from(neg_log2_q32) * LN2_Q64) >> 64) as u64
}

/// `log2(x)` in 32.32 fixed point for `x >= 1`: the integer part from the leading bit, the
/// fraction bit by bit by squaring the normalised mantissa (exact to 32 bits).
///
/// The mantissa is held as a 1.63 `u64` (bit 63 always set), so each squaring is one
/// 64×64→128-bit multiply: `m² ≥ 2` exactly when the 2.126 product reaches `2^127`, and the
/// next mantissa is the product shifted right by 64 (halved) or 63. This is the same
/// arithmetic as squaring a `u128` mantissa and shifting by 63 then 1 (issue 15 replaced that
/// form, three multiplies and 128-bit shifts per bit): results are bit-identical, checked
/// against the old form in `tests::log2_matches_the_u128_form`.
#[inline]
pub fn log2_q32(x: u64) -> u64 {
    debug_assert!(x >= 1);
    let int = 63 - u64::from(x.leading_zeros());
    let mut m: u64 = x << (63 - int);
    let mut frac: u64 = 0;
    for i in (0..32).rev() {
        let p = u128::from(m) * u128::from(m);
        let ge2 = (p >> 127) as u64; // 1 when m² ≥ 2
        m = (p >> (63 + ge2)) as u64;
        frac |= ge2 << i;
    }
    (int << 32) | frac
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log2_is_exact_on_powers_and_close_elsewhere() {
        assert_eq!(log2_q32(1), 0);
        assert_eq!(log2_q32(1024), 10 << 32);
        // log2(3) = 1.5849625007
        let l = log2_q32(3) as f64 / (1u64 << 32) as f64;
        assert!((l - 1.584_962_500_7).abs() < 1e-8, "{l}");
    }

    /// The previous implementation (a `u128` mantissa squared and shifted), kept as the
    /// reference the faster form must equal bit for bit.
    fn log2_q32_u128(x: u64) -> u64 {
        let int = 63 - u64::from(x.leading_zeros());
        let mut m: u128 = u128::from(x) << (63 - int);
        let mut frac: u64 = 0;
        for i in (0..32).rev() {
            m = (m * m) >> 63;
            if m >= 2u128 << 63 {
                m >>= 1;
                frac |= 1 << i;
            }
        }
        (int << 32) | frac
    }

    #[test]
    fn log2_matches_the_u128_form() {
        // Every value below 2^20, every power of two and its neighbours, and 300 000 values of
        // the 53-bit range the Poisson gap uses (a ChaCha stream), plus full-width values.
        let mut check = |x: u64| assert_eq!(log2_q32(x), log2_q32_u128(x), "x = {x:#x}");
        (1..1u64 << 20).for_each(&mut check);
        for b in 0..64 {
            let p = 1u64 << b;
            [p - 1, p, p + 1, p | (p >> 1), p.wrapping_mul(3) >> 1].into_iter().filter(|&x| x >= 1).for_each(&mut check);
        }
        let mut rng = SimRng::for_source(3, "log2");
        for _ in 0..300_000 {
            let r = rng.next_u64();
            check((r >> 11) + 1);
            check(r | 1);
        }
        check(u64::MAX);
        check(1 << 53);
    }

    #[test]
    fn fixed_rate_averages_exactly() {
        // 3 per second: 333_333_333.33… cycles apart. The carried 32-bit fraction keeps the
        // long-run total within one cycle of exact.
        let mut c = ArrivalClock::new(Arrivals::Fixed, 3);
        let mut rng = SimRng::for_source(1, "t");
        let gaps: Vec<u64> = (0..3000).map(|_| c.next_gap(&mut rng)).collect();
        assert!(gaps.iter().all(|&g| g == 333_333_333 || g == 333_333_334));
        let total: u64 = gaps.iter().sum();
        assert!((999_999_999_999..=1_000_000_000_000).contains(&total), "{total}");
    }

    #[test]
    fn poisson_mean_is_right_over_a_long_run() {
        // 1 M arrivals/s => mean gap 1000 cycles; 200k samples: the mean of an exponential has
        // standard error mean/sqrt(n) ≈ 2.2 cycles, so ±1 % (10 cycles) is > 4 sigma.
        let mut c = ArrivalClock::new(Arrivals::Poisson, 1_000_000);
        let mut rng = SimRng::for_source(9, "poisson");
        let n = 200_000u64;
        let total: u64 = (0..n).map(|_| c.next_gap(&mut rng)).sum();
        let mean = total / n;
        assert!((990..=1010).contains(&mean), "mean gap {mean}");
    }
}
