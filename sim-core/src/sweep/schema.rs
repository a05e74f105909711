//! What a sweep file says (RON), documented field by field in docs/sweep-format.md (a test
//! keeps the two in step). `grid.rs` turns it into points.

use ron::value::RawValue;
use serde::Deserialize;

/// `Sweep(name: ..., scenario: ..., axes: [...], seeds: ..., strategies: [...])`.
#[derive(Debug, Deserialize)]
#[serde(rename = "Sweep", deny_unknown_fields)]
pub struct SweepFile {
    /// Name shown in results and reports.
    pub name: String,
    /// The base scenario, relative to the sweep file.
    pub scenario: String,
    /// The parameters varied; every combination is a point (the first axis varies slowest).
    #[serde(default)]
    pub axes: Vec<AxisSpec>,
    /// Seeds each point runs with, both ends included; default: the scenario's seed.
    #[serde(default)]
    pub seeds: Option<SeedRange>,
    /// Strategies; default: the scenario's.
    #[serde(default)]
    pub strategies: Vec<String>,
    /// Metrics the report draws by default (names as in `Metrics::INFO`, or `iotlb_hit_permille`);
    /// default: every metric that varies.
    #[serde(default)]
    pub metrics: Vec<String>,
}

/// One axis: a path and its values, given as a list or as a range.
#[derive(Debug, Deserialize)]
#[serde(rename = "Axis", deny_unknown_fields)]
pub struct AxisSpec {
    /// Where the values go: `generators[nvme].working_set`, `iommus[smmu0].geometry.iotlb_entries`,
    /// `topology.name`, ... (docs/sweep-format.md).
    pub path: String,
    /// A label for reports; default: the path.
    #[serde(default)]
    pub name: Option<String>,
    /// The values, as RON (numbers, strings, names, lists, structs).
    #[serde(default)]
    pub values: Option<Vec<Box<RawValue>>>,
    /// Integer values from a range (instead of `values`).
    #[serde(default)]
    pub range: Option<RangeSpec>,
}

/// `(from: 64, to: 4096, mul: 2)` or `(from: 1, to: 8, step: 1)`: `from`, then repeatedly
/// times `mul` or plus `step`, while ≤ `to`.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(rename = "Range", deny_unknown_fields)]
pub struct RangeSpec {
    pub from: u64,
    pub to: u64,
    #[serde(default)]
    pub step: Option<u64>,
    #[serde(default)]
    pub mul: Option<u64>,
}

/// `(from: 1, to: 20)`: seeds 1, 2, ..., 20.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(rename = "Seeds", deny_unknown_fields)]
pub struct SeedRange {
    pub from: u64,
    pub to: u64,
}

/// Most values one axis may have, and most items (points × seeds × strategies) a sweep may
/// have: absurd grids are refused up front rather than run for ever.
pub const MAX_AXIS_VALUES: u64 = 100_000;
pub const MAX_ITEMS: u64 = 100_000_000;

impl RangeSpec {
    /// The values, or why there are none / too many.
    pub fn expand(&self) -> Result<Vec<u64>, String> {
        let next: Box<dyn Fn(u64) -> Option<u64>> = match (self.step, self.mul) {
            (Some(s), None) if s >= 1 => Box::new(move |v: u64| v.checked_add(s)),
            (None, Some(m)) if m >= 2 => Box::new(move |v: u64| v.checked_mul(m)),
            (None, None) => Box::new(|v: u64| v.checked_add(1)),
            (Some(_), Some(_)) => return Err("give `step` or `mul`, not both".into()),
            (Some(_), None) => return Err("`step` must be ≥ 1".into()),
            (None, Some(_)) => return Err("`mul` must be ≥ 2".into()),
        };
        if self.from > self.to {
            return Err(format!("`from` ({}) is above `to` ({})", self.from, self.to));
        }
        if self.mul.is_some() && self.from == 0 {
            return Err("`from` must be ≥ 1 with `mul`".into());
        }
        let mut out = vec![self.from];
        let mut v = self.from;
        while let Some(n) = next(v).filter(|n| *n <= self.to) {
            if out.len() as u64 >= MAX_AXIS_VALUES {
                return Err(format!("more than {MAX_AXIS_VALUES} values"));
            }
            out.push(n);
            v = n;
        }
        Ok(out)
    }
}

impl SeedRange {
    /// Parses `A..B` or `A..=B` (both mean A to B, both included, like `seq A B`) or a single `A`.
    pub fn parse(text: &str) -> Result<SeedRange, String> {
        let num = |s: &str| s.trim().parse::<u64>().map_err(|_| format!("`{s}` is not a seed (an unsigned integer)"));
        let range = match text.split_once("..") {
            Some((a, b)) => SeedRange { from: num(a)?, to: num(b.strip_prefix('=').unwrap_or(b))? },
            None => SeedRange { from: num(text)?, to: num(text)? },
        };
        if range.from > range.to {
            return Err(format!("seeds {text}: the first is above the last"));
        }
        Ok(range)
    }

    pub fn count(&self) -> u64 {
        self.to - self.from + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_expand_inclusively_and_refuse_nonsense() {
        let r = |from, to, step, mul| RangeSpec { from, to, step, mul };
        assert_eq!(r(64, 4096, None, Some(2)).expand().unwrap(), vec![64, 128, 256, 512, 1024, 2048, 4096]);
        assert_eq!(r(1, 7, Some(3), None).expand().unwrap(), vec![1, 4, 7]);
        assert_eq!(r(5, 5, None, None).expand().unwrap(), vec![5]);
        assert_eq!(r(u64::MAX - 1, u64::MAX, None, None).expand().unwrap().len(), 2);
        assert!(r(0, 10, None, Some(2)).expand().is_err());
        assert!(r(3, 1, None, None).expand().is_err());
        assert!(r(1, 2, Some(1), Some(2)).expand().is_err());
        assert!(r(0, u64::MAX, None, None).expand().is_err());
    }

    #[test]
    fn seed_ranges_include_both_ends() {
        assert_eq!(SeedRange::parse("1..20").unwrap().count(), 20);
        assert_eq!(SeedRange::parse("1..=20").unwrap().count(), 20);
        assert_eq!(SeedRange::parse("7").unwrap().from, 7);
        assert!(SeedRange::parse("5..1").is_err());
        assert!(SeedRange::parse("a..b").is_err());
    }
}
