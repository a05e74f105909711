//! Address patterns over a working set: sequential, uniform or Zipf-skewed, drawn from the
//! generator's own RNG stream, integer only.

use serde::{Deserialize, Serialize};

use crate::engine::SimRng;

/// How a generator picks the next block of its working set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Pattern {
    /// Block after block, wrapping at the end.
    #[default]
    Sequential,
    /// Uniformly random blocks.
    Uniform,
    /// Zipf(1)-skewed: block `k` (1-based rank) is chosen with probability ∝ 1/k, so a few hot
    /// blocks take most accesses (the classic page-popularity model).
    Zipf,
}

/// Zipf buckets: the CDF is tabulated over at most this many ranks; larger working sets group
/// consecutive blocks into equal-sized buckets and pick uniformly inside one.
const ZIPF_BUCKETS: u64 = 4096;

/// Draws block indices in `0..blocks` following a [`Pattern`].
#[derive(Clone, Debug)]
pub struct Picker {
    pattern: Pattern,
    blocks: u64,
    next: u64,
    /// Zipf: cumulative weights (scaled to u64) of each bucket, ascending.
    cdf: Vec<u64>,
    per_bucket: u64,
}

impl Picker {
    pub fn new(pattern: Pattern, blocks: u64) -> Picker {
        let blocks = blocks.max(1);
        let (cdf, per_bucket) = if pattern == Pattern::Zipf {
            let buckets = blocks.min(ZIPF_BUCKETS);
            let per_bucket = blocks.div_ceil(buckets);
            // Weight of bucket b (ranks b·p+1 ..= (b+1)·p) ≈ Σ 1/k, in 2^40 fixed point.
            let mut acc = 0u64;
            let cdf = (0..buckets)
                .map(|b| {
                    let lo = b * per_bucket + 1;
                    let hi = ((b + 1) * per_bucket).min(blocks);
                    let w: u64 = (lo..=hi).map(|k| (1u64 << 40) / k).sum();
                    acc += w.max(1);
                    acc
                })
                .collect();
            (cdf, per_bucket)
        } else {
            (Vec::new(), 1)
        };
        Picker { pattern, blocks, next: 0, cdf, per_bucket }
    }

    /// The next block index.
    pub fn pick(&mut self, rng: &mut SimRng) -> u64 {
        match self.pattern {
            Pattern::Sequential => {
                let b = self.next;
                self.next = (self.next + 1) % self.blocks;
                b
            }
            Pattern::Uniform => rng.below(self.blocks),
            Pattern::Zipf => {
                let total = *self.cdf.last().expect("non-empty");
                let r = rng.below(total);
                let bucket = self.cdf.partition_point(|&c| c <= r) as u64;
                let lo = bucket * self.per_bucket;
                let width = self.per_bucket.min(self.blocks - lo).max(1);
                lo + rng.below(width)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequential_wraps() {
        let mut p = Picker::new(Pattern::Sequential, 3);
        let mut rng = SimRng::for_source(1, "p");
        let v: Vec<u64> = (0..5).map(|_| p.pick(&mut rng)).collect();
        assert_eq!(v, vec![0, 1, 2, 0, 1]);
    }

    #[test]
    fn zipf_is_skewed_and_in_range() {
        let mut p = Picker::new(Pattern::Zipf, 1000);
        let mut rng = SimRng::for_source(1, "z");
        let mut hits = [0u64; 1000];
        for _ in 0..100_000 {
            hits[p.pick(&mut rng) as usize] += 1;
        }
        // H(1000) ≈ 7.485: rank 1 gets ≈ 13.4 %, rank 10 ≈ 1.3 %.
        assert!((12_000..15_000).contains(&hits[0]), "{}", hits[0]);
        assert!(hits[0] > 5 * hits[9]);
        let uniform_part: u64 = hits[500..].iter().sum();
        assert!(uniform_part < 15_000);
    }

    #[test]
    fn uniform_covers() {
        let mut p = Picker::new(Pattern::Uniform, 4);
        let mut rng = SimRng::for_source(1, "u");
        let mut seen = [false; 4];
        for _ in 0..100 {
            seen[p.pick(&mut rng) as usize] = true;
        }
        assert!(seen.iter().all(|&s| s));
    }
}
