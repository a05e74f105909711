//! `iommu-sim run SCENARIO [--strategy NAME] [--seed N] [--json] [--trace FILE]`: runs one
//! scenario under every strategy it lists (or the one named) and prints a summary.

use std::path::{Path, PathBuf};

use sim_core::metrics::{Results, RunResult};
use sim_core::scenario::Scenario;
use sim_core::strategy::StrategyName;
use sim_core::trace::{TraceHeader, TraceWriter};

use super::{CmdResult, table};
use crate::Outcome;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The scenario file (RON; `-` = stdin, its topology path relative to the current folder).
    pub scenario: PathBuf,
    /// Run only this strategy instead of every strategy the scenario lists.
    #[arg(long, value_parser = super::strategy_values())]
    pub strategy: Option<String>,
    /// Override the scenario's seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Print JSON (contracts.md) instead of the readable summary.
    #[arg(long)]
    pub json: bool,
    /// One table of exact values however wide (default: compact values, split to fit 100 columns).
    #[arg(long)]
    pub wide: bool,
    /// Stream every processed event to this binary trace file (docs/trace-format.md). With
    /// several strategies, one file per strategy: `out.trace` → `out.per-group.trace`, ...
    #[arg(long, value_name = "FILE")]
    pub trace: Option<PathBuf>,
}

pub fn run(args: Args) -> CmdResult {
    let scenario = super::io::load_scenario(&args.scenario)?;
    let strategies = match &args.strategy {
        Some(s) => vec![StrategyName::parse(s)?],
        None => scenario.strategies.clone(),
    };
    let seed = args.seed.unwrap_or(scenario.seed);
    let results = match &args.trace {
        None => sim_core::runner::run_all(&scenario, &strategies, seed),
        Some(file) => run_traced(&scenario, &strategies, seed, file)?,
    };
    super::warn_after_duration(&results, scenario.duration);
    if args.json {
        crate::outln!("{}", serde_json::to_string_pretty(&results)?)?;
    } else {
        crate::out::print(&table::render(&results, args.wide))?;
    }
    Ok(Outcome::Success)
}

/// The trace file of `strategy`: `file` itself when only one strategy runs, else the strategy
/// name inserted before the extension (`out.trace` → `out.vfio-type1.trace`; no extension:
/// appended, `out` → `out.vfio-type1`).
pub fn trace_path(file: &Path, strategy: StrategyName, several: bool) -> PathBuf {
    if !several {
        return file.to_path_buf();
    }
    let stem = file.file_stem().map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    let name = match file.extension() {
        Some(ext) => format!("{stem}.{strategy}.{}", ext.to_string_lossy()),
        None => format!("{stem}.{strategy}"),
    };
    file.with_file_name(name)
}

/// Like `runner::run_all`, with a trace writer observing each run (strategies still run in
/// parallel; each writes its own file). Results come back in strategy order.
fn run_traced(scenario: &Scenario, strategies: &[StrategyName], seed: u64, file: &Path) -> Result<Results, Box<dyn std::error::Error>> {
    use rayon::prelude::*;
    let several = strategies.len() > 1;
    let runs = strategies
        .par_iter()
        .map(|&name| -> Result<RunResult, String> {
            let path = trace_path(file, name, several);
            let fail = |e: std::io::Error| format!("{}: cannot write trace: {e}", path.display());
            let mut writer = TraceWriter::create(&path, &TraceHeader::for_run(scenario, name, seed)).map_err(fail)?;
            let run = sim_core::sim::run(scenario, name, seed, Some(&mut writer));
            writer.finish().map_err(fail)?;
            Ok(run)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(sim_core::runner::results(scenario, seed, runs))
}
