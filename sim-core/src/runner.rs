//! Running a scenario under several strategies, in parallel across cores (rayon). Each run is
//! independent and deterministic, and results are collected in the order the strategies were
//! given, so the output is identical to a sequential run.

use rayon::prelude::*;

use crate::metrics::{Results, RunResult, SCHEMA};
use crate::scenario::Scenario;
use crate::sim;
use crate::sim::transfer::Bypass;
use crate::strategy::StrategyName;

/// Runs every strategy of `strategies` on `scenario` with `seed`, and, when the scenario moves
/// data, its two no-translation baselines (identity domain, IOMMU off) under the first
/// strategy, so every throughput figure has its reference beside it.
pub fn run_all(scenario: &Scenario, strategies: &[StrategyName], seed: u64) -> Results {
    run_all_with(scenario, strategies, seed, true)
}

/// [`run_all`], with the baselines only if `with_baselines` (`--no-baselines` leaves them out:
/// they are two more runs of the whole workload, ~40 % of a one-strategy run's time).
pub fn run_all_with(scenario: &Scenario, strategies: &[StrategyName], seed: u64, with_baselines: bool) -> Results {
    let mut jobs = jobs(scenario, strategies);
    if !with_baselines {
        jobs.truncate(strategies.len());
    }
    let one = |&(name, b): &(StrategyName, Bypass)| sim::run_with(scenario, name, seed, b, None);
    // A single run needs no thread pool: starting rayon's is a measurable part of a short
    // run's process (issue 15 measures whole processes).
    let mut runs: Vec<RunResult> = if jobs.len() == 1 { jobs.iter().map(one).collect() } else { jobs.par_iter().map(one).collect() };
    let base = runs.split_off(strategies.len());
    let mut r = results(scenario, seed, runs);
    r.baselines = base;
    r
}

/// The two no-translation baselines of `run_all` alone, for callers that run the strategies
/// themselves (with an observer: trace, kernel log, progress).
pub fn baselines(scenario: &Scenario, strategies: &[StrategyName], seed: u64) -> Vec<RunResult> {
    let jobs = jobs(scenario, strategies);
    jobs[strategies.len()..].par_iter().map(|&(name, b)| sim::run_with(scenario, name, seed, b, None)).collect()
}

/// Every strategy, then the baselines (under the first strategy) when the scenario moves data.
fn jobs(scenario: &Scenario, strategies: &[StrategyName]) -> Vec<(StrategyName, Bypass)> {
    let baselines: &[Bypass] = if moves_data(scenario) && !strategies.is_empty() { &[Bypass::Identity, Bypass::Off] } else { &[] };
    strategies.iter().map(|&s| (s, Bypass::None)).chain(baselines.iter().map(|&b| (strategies[0], b))).collect()
}

/// Whether any device of the scenario does DMA (a generator other than a VM, or a script `Dma`).
pub fn moves_data(scenario: &Scenario) -> bool {
    scenario.generators.iter().any(|g| !matches!(g, crate::workload::GenSpec::Vm(_)))
        || scenario.script.iter().any(|l| matches!(l.action, crate::spec::Action::Dma { .. }))
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
        baselines: Vec::new(),
        platform: platform_summary(&scenario.platform),
    }
}

/// The platform by name, as saved with results so reports can draw it. (Here, not in
/// `topology/`: the platform knows nothing of the results format.)
fn platform_summary(p: &crate::topology::Platform) -> crate::metrics::results::PlatformSummary {
    use crate::metrics::results::{PlatformBus, PlatformDevice, PlatformIommu, PlatformSummary};
    PlatformSummary {
        iommus: p.iommus.iter().map(|i| PlatformIommu { id: i.name.clone(), kind: i.kind.as_str().to_string() }).collect(),
        buses: p
            .buses
            .iter()
            .map(|b| PlatformBus {
                id: b.name.clone(),
                kind: b.kind.as_str().to_string(),
                parent: b.parent.map(|x| p.buses[x.index()].name.clone()),
                iommu: b.iommu.map(|i| p.iommus[i.index()].name.clone()),
                acs: b.acs,
            })
            .collect(),
        devices: p
            .devices
            .iter()
            .map(|d| PlatformDevice {
                id: d.name.clone(),
                parent: p.buses[d.parent.index()].name.clone(),
                iommu: p.iommus[d.iommu.index()].name.clone(),
                group: u64::from(d.group.0),
                ats: d.ats,
            })
            .collect(),
        groups: p
            .groups
            .iter()
            .map(|g| {
                let mut names: Vec<String> = g.devices.iter().map(|d| p.devices[d.index()].name.clone()).collect();
                names.sort();
                names
            })
            .collect(),
    }
}
