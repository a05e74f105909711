//! One line of a results file (JSON Lines): one (point, seed, strategy) and its metrics.
//! Field order is fixed by this struct and every value is an integer or a string, so the same
//! run always prints the same bytes; that is what makes merged shards byte-identical to a
//! single-machine run.

use serde::{Deserialize, Serialize};

use crate::metrics::Metrics;

/// A derived metric the report and CSV add: IOTLB hits per thousand IOTLB lookups.
pub const IOTLB_HIT_PERMILLE: &str = "iotlb_hit_permille";

/// One axis coordinate of a point: the axis label and the value as compact RON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coord {
    pub axis: String,
    pub value: String,
}

/// One results line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// Stable hash of what defines the run (base files, point values, seed, strategy).
    pub key: String,
    /// The sweep's name and grid id (16 hex digits; shards of one sweep share it).
    pub sweep: String,
    pub grid: String,
    /// Position in the sweep's order, and the number of items in the whole sweep.
    pub index: u64,
    pub of: u64,
    /// The point number and its coordinates.
    pub point: u64,
    pub coords: Vec<Coord>,
    pub seed: u64,
    pub strategy: String,
    /// The run's event digest (engine/digest.rs).
    pub digest: String,
    pub metrics: Metrics,
}

impl Record {
    /// The value of a metric by name, derived ones included.
    pub fn metric(&self, name: &str) -> Option<u64> {
        if name == IOTLB_HIT_PERMILLE {
            let lookups = self.metrics.iotlb_hits + self.metrics.iotlb_misses;
            return Some((self.metrics.iotlb_hits * 1000).checked_div(lookups).unwrap_or(0));
        }
        self.metrics.get(name)
    }

    /// The line (without its newline).
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).expect("a record always serializes")
    }
}
