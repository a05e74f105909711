//! `iommu-sim compare SCENARIO [--strategies a,b,...] [--json]`: the same seeded workload
//! under each strategy, side by side (strategies run in parallel; the output is identical to a
//! sequential run).

use std::path::PathBuf;

use sim_core::strategy::StrategyName;

use super::{CmdResult, table};
use crate::Outcome;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The scenario file (RON; `-` = stdin, its topology path relative to the current folder).
    pub scenario: PathBuf,
    /// Comma-separated strategies to compare (default: every strategy the scenario lists).
    #[arg(long, value_delimiter = ',', value_parser = super::strategy_values())]
    pub strategies: Vec<String>,
    /// Override the scenario's seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Print JSON (contracts.md) instead of the table.
    #[arg(long)]
    pub json: bool,
    /// One table of exact values however wide (default: compact values, split to fit 100 columns).
    #[arg(long)]
    pub wide: bool,
    /// Also write an HTML performance report of the comparison to this file (`-` = stdout,
    /// instead of the table; with --set or --seeds: the sweep report).
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Sweep a parameter: `PATH=V1,V2,...` (repeatable; paths as in docs/sweep-format.md).
    #[arg(long = "set", value_name = "PATH=V1,V2,...")]
    pub set: Vec<String>,
    /// Run every point with each of these seeds: `A..B` (both included) or one seed.
    #[arg(long, value_name = "A..B", conflicts_with = "seed")]
    pub seeds: Option<String>,
    /// With --set/--seeds: also write the results as JSON Lines (resumable, like `sweep -o`).
    #[arg(short = 'o', long = "output", value_name = "FILE.jsonl")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub budget: super::Budget,
}

pub fn run(args: Args) -> CmdResult {
    if !args.set.is_empty() || args.seeds.is_some() {
        let strategies = args.strategies.iter().map(|s| StrategyName::parse(s)).collect::<Result<Vec<_>, _>>()?;
        let grid = sim_core::sweep::Grid::from_cli(&args.scenario, &args.set, args.seeds.as_deref(), strategies)?;
        return super::sweep::compare_grid(&grid, args.output.as_deref(), args.html.as_deref(), args.json);
    }
    let scenario = super::io::load_scenario(&args.scenario)?;
    let strategies = if args.strategies.is_empty() {
        scenario.strategies.clone()
    } else {
        args.strategies.iter().map(|s| StrategyName::parse(s)).collect::<Result<Vec<_>, _>>()?
    };
    let seed = args.seed.unwrap_or(scenario.seed);
    args.budget.check(&scenario)?;
    let results = match super::observe::Progress::bar(&scenario, strategies.len()) {
        None => sim_core::runner::run_all(&scenario, &strategies, seed),
        Some(bar) => {
            let (results, _) = super::run::run_watched(&scenario, &strategies, seed, None, false, Some(bar.clone()))?;
            bar.finish_and_clear();
            results
        }
    };
    if let Some(path) = &args.html {
        let html = reports::try_render(&[(results.scenario.as_str(), results.clone())])?;
        super::io::write_text(path, &html)?;
    }
    super::warn_after_duration(&results, scenario.duration);
    if args.html.as_deref().is_some_and(super::io::is_std) {
        return Ok(Outcome::Success);
    }
    if args.json {
        crate::outln!("{}", serde_json::to_string_pretty(&results)?)?;
    } else {
        crate::out::print(&table::render(&results, args.wide))?;
    }
    Ok(Outcome::Success)
}
