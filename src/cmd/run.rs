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
    #[arg(long)]
    pub strategy: Option<String>,
    /// Model this Linux kernel instead of the scenario's `kernel` ("6.12", "6.15.0", "v6.1",
    /// "proposed"; docs/kernel-versions.md).
    #[arg(long, value_name = "V")]
    pub kernel: Option<String>,
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
    /// several strategies, one file per strategy beside it: `out.trace` →
    /// `out.per-group.trace`, ... (`out` → `out.per-group.trace`).
    #[arg(long, value_name = "FILE")]
    pub trace: Option<PathBuf>,
    #[command(flatten)]
    pub budget: super::Budget,
}

pub fn run(args: Args) -> CmdResult {
    let mut scenario = super::io::load_scenario(&args.scenario)?;
    super::apply_kernel(&mut scenario, args.kernel.as_deref())?;
    let strategies = match &args.strategy {
        Some(s) => super::strategies_for(scenario.kernel, vec![super::parse_strategy(s)?], true)?,
        None => super::strategies_for(scenario.kernel, scenario.strategies.clone(), false)?,
    };
    let seed = args.seed.unwrap_or(scenario.seed);
    args.budget.check(&scenario)?;
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

/// The trace file of `strategy`: `file` itself when only one strategy runs, else
/// `STEM.STRATEGY.trace` beside it, whatever its extension (`out.trace` and `out` →
/// `out.vfio-type1.trace`).
pub fn trace_path(file: &Path, strategy: StrategyName, several: bool) -> PathBuf {
    if !several {
        return file.to_path_buf();
    }
    let stem = file.file_stem().map_or_else(|| "trace".into(), |s| s.to_string_lossy().into_owned());
    file.with_file_name(format!("{stem}.{strategy}.trace"))
}

/// Refuses trace paths that are folders or would overwrite an input (the scenario or its
/// topology), before anything runs.
fn check_trace_paths(scenario: &Scenario, paths: &[PathBuf]) -> Result<(), String> {
    let same = |a: &Path, b: &Path| match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    };
    let topology = scenario.path.parent().unwrap_or(Path::new(".")).join(&scenario.topology_file);
    for p in paths {
        if p.is_dir() || p.file_name().is_none() {
            return Err(format!("--trace {}: is a folder; give a file name (e.g. {}/run.trace)", p.display(), p.display()));
        }
        for input in [&scenario.path, &topology] {
            if same(p, input) {
                return Err(format!("--trace {}: would overwrite the input file {}", p.display(), input.display()));
            }
        }
    }
    Ok(())
}

/// Like `runner::run_all`, with a trace writer observing each run (strategies still run in
/// parallel; each writes its own file). Results come back in strategy order.
fn run_traced(scenario: &Scenario, strategies: &[StrategyName], seed: u64, file: &Path) -> Result<Results, Box<dyn std::error::Error>> {
    use rayon::prelude::*;
    let several = strategies.len() > 1;
    let mut paths: Vec<PathBuf> = strategies.iter().map(|&s| trace_path(file, s, several)).collect();
    paths.push(file.to_path_buf());
    check_trace_paths(scenario, &paths)?;
    let runs = strategies
        .par_iter()
        .map(|&name| -> Result<RunResult, String> {
            let path = trace_path(file, name, several);
            let fail = |e: std::io::Error| format!("{}: cannot write trace: {e}", path.display());
            let mut writer = TraceWriter::create(&path, &TraceHeader::for_run(scenario, name, seed)).map_err(fail)?;
            let run = sim_core::sim::run(scenario, name, seed, Some(&mut writer));
            writer.commit().map_err(fail)?;
            Ok(run)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(sim_core::runner::results(scenario, seed, runs))
}
