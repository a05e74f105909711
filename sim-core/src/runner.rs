//! Running a scenario under several strategies, in parallel across cores (rayon). Each run is
//! independent and deterministic, and results are collected in the order the strategies were
//! given, so the output is identical to a sequential run.

use rayon::prelude::*;

use crate::metrics::{Results, SCHEMA};
use crate::scenario::Scenario;
use crate::sim;
use crate::strategy::StrategyName;

/// Runs every strategy of `strategies` on `scenario` with `seed`.
pub fn run_all(scenario: &Scenario, strategies: &[StrategyName], seed: u64) -> Results {
    let runs = strategies.par_iter().map(|&name| sim::run(scenario, name, seed, None)).collect();
    results(scenario, seed, runs)
}

/// The strategies of `strategies` that exist on `kernel` (iommufd needs v6.2), and a note
/// for each one left out.
pub fn available(strategies: &[StrategyName], kernel: crate::linux::Kernel) -> (Vec<StrategyName>, Vec<String>) {
    let mut keep = Vec::with_capacity(strategies.len());
    let mut notes = Vec::new();
    for &s in strategies {
        match s.available(kernel) {
            Ok(()) => keep.push(s),
            Err(e) => notes.push(format!("skipped {e}")),
        }
    }
    (keep, notes)
}

/// Wraps the runs of `scenario` with `seed` into the results document (contracts.md).
pub fn results(scenario: &Scenario, seed: u64, runs: Vec<crate::metrics::RunResult>) -> Results {
    Results {
        schema: SCHEMA,
        scenario: scenario.name.clone(),
        topology: scenario.platform.name.clone(),
        seed,
        runs,
        platform: scenario.platform.summary(),
    }
}
