//! An integer log-linear histogram for latencies (HDR-style): exact below 64, then 32
//! sub-buckets per power of two (≤ 3.1 % relative error). Fixed size, no allocation per
//! sample, integer percentiles: safe to hash and to compare bit for bit. The 16 KiB bucket
//! array is allocated at the first sample, so the many devices of a large platform that never
//! translate cost a few words each, not 16 KiB (issue 15).

/// Sub-bucket bits: 2^5 = 32 sub-buckets per power of two.
const SUB_BITS: u32 = 5;
const SUB: u64 = 1 << SUB_BITS;
/// Values below `2 * SUB` are counted exactly.
const EXACT: u64 = 2 * SUB;
/// Buckets: 64 exact + 32 per remaining exponent (6..=63).
const BUCKETS: usize = (EXACT + (64 - (SUB_BITS as u64 + 1)) * SUB) as usize;

/// Latency histogram in cycles.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Histogram {
    /// `None` until the first sample (so `None` iff `total == 0`, and derived equality holds).
    counts: Option<Box<[u64; BUCKETS]>>,
    total: u64,
    sum: u128,
    max: u64,
}

#[inline]
fn bucket_of(v: u64) -> usize {
    if v < EXACT {
        return v as usize;
    }
    let exp = 63 - v.leading_zeros(); // ≥ 6
    let shift = exp - SUB_BITS;
    let sub = (v >> shift) & (SUB - 1);
    (EXACT + u64::from(exp - (SUB_BITS + 1)) * SUB + sub) as usize
}

/// The largest value that falls in bucket `b` (what percentiles report: a conservative bound).
fn bucket_high(b: usize) -> u64 {
    let b = b as u64;
    if b < EXACT {
        return b;
    }
    let exp = (b - EXACT) / SUB + u64::from(SUB_BITS + 1);
    let sub = (b - EXACT) % SUB;
    let shift = exp - u64::from(SUB_BITS);
    let low = (1u64 << exp) | (sub << shift);
    low + ((1u64 << shift) - 1)
}

impl Histogram {
    /// Records one sample.
    #[inline]
    pub fn record(&mut self, v: u64) {
        self.counts_mut()[bucket_of(v)] += 1;
        self.total += 1;
        self.sum += u128::from(v);
        if v > self.max {
            self.max = v;
        }
    }

    /// Records `n` samples of the same value.
    #[inline]
    pub fn record_n(&mut self, v: u64, n: u64) {
        if n == 0 {
            return;
        }
        self.counts_mut()[bucket_of(v)] += n;
        self.total += n;
        self.sum += u128::from(v) * u128::from(n);
        if v > self.max {
            self.max = v;
        }
    }

    /// The bucket array, allocated on first use (once per histogram, not per sample).
    #[inline]
    fn counts_mut(&mut self) -> &mut [u64; BUCKETS] {
        self.counts.get_or_insert_with(|| Box::new([0; BUCKETS]))
    }

    pub fn count(&self) -> u64 {
        self.total
    }

    pub fn max(&self) -> u64 {
        self.max
    }

    /// Sum of all samples (for integer means).
    pub fn sum(&self) -> u128 {
        self.sum
    }

    /// Integer mean, rounded down; 0 when empty.
    pub fn mean(&self) -> u64 {
        if self.total == 0 { 0 } else { (self.sum / u128::from(self.total)) as u64 }
    }

    /// The value at `per_mille`/1000 of the distribution (e.g. 500 = p50, 990 = p99): the
    /// upper bound of the bucket holding that rank, capped at the exact maximum. 0 when empty.
    pub fn percentile(&self, per_mille: u64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        // Rank of the sample, 1-based, rounded up: ceil(total * p / 1000).
        let rank = (u128::from(self.total) * u128::from(per_mille)).div_ceil(1000).max(1) as u64;
        let mut seen = 0u64;
        for (b, &c) in self.counts.iter().flat_map(|c| c.iter()).enumerate() {
            seen += c;
            if seen >= rank {
                return bucket_high(b).min(self.max);
            }
        }
        self.max
    }

    /// Adds another histogram's samples into this one.
    pub fn merge(&mut self, other: &Histogram) {
        let Some(theirs) = &other.counts else { return };
        for (a, b) in self.counts_mut().iter_mut().zip(theirs.iter()) {
            *a += *b;
        }
        self.total += other.total;
        self.sum += other.sum;
        self.max = self.max.max(other.max);
    }

    /// Non-empty buckets as `(upper bound, count)`, ascending: for CDF charts.
    pub fn buckets(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.counts.iter().flat_map(|c| c.iter()).enumerate().filter(|(_, c)| **c > 0).map(|(b, &c)| (bucket_high(b).min(self.max), c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_values_are_exact() {
        let mut h = Histogram::default();
        for v in 1..=100 {
            h.record(v % 50);
        }
        assert_eq!(h.percentile(1000), 49);
        assert_eq!(h.max(), 49);
        assert_eq!(h.percentile(500), 24);
    }

    #[test]
    fn buckets_are_monotone_and_bounded() {
        let mut prev = 0;
        for v in (0..200_000u64).chain([u64::MAX / 3, u64::MAX]) {
            let b = bucket_of(v);
            assert!(b < BUCKETS);
            assert!(b >= prev || v < 200_000 && b == prev);
            prev = prev.max(b);
            let high = bucket_high(b);
            assert!(high >= v, "v={v} b={b} high={high}");
            // relative error bound ≤ 1/32
            assert!(high - v <= v / 32 + 1, "v={v} high={high}");
        }
    }

    #[test]
    fn percentiles_of_a_bimodal_distribution() {
        let mut h = Histogram::default();
        h.record_n(3, 990);
        h.record_n(400, 10);
        assert_eq!(h.percentile(500), 3);
        assert_eq!(h.percentile(990), 3);
        assert!((400..=412).contains(&h.percentile(995)));
        assert_eq!(h.percentile(1000), 400);
        assert_eq!(h.mean(), (3 * 990 + 4000) / 1000);
    }

    #[test]
    fn allocates_at_the_first_sample_only() {
        let mut h = Histogram::default();
        assert!(h.counts.is_none());
        h.merge(&Histogram::default());
        assert!(h.counts.is_none());
        assert_eq!(h, Histogram::default());
        h.record_n(5, 0);
        assert!(h.counts.is_none());
        h.record(5);
        assert!(h.counts.is_some());
        let mut m = Histogram::default();
        m.merge(&h);
        assert_eq!(m, h);
    }

    #[test]
    fn empty_is_zero() {
        let h = Histogram::default();
        assert_eq!((h.percentile(500), h.max(), h.mean()), (0, 0, 0));
    }
}
