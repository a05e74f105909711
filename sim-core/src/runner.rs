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
