//! `iommu-sim compare SCENARIO [--strategies a,b,...] [--json]`: the same seeded workload
//! under each strategy, side by side (strategies run in parallel; the output is identical to a
//! sequential run).

use std::path::PathBuf;

use sim_core::scenario::Scenario;
use sim_core::strategy::StrategyName;

use super::{CmdResult, table};
use crate::Outcome;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The scenario file (RON).
    pub scenario: PathBuf,
    /// Comma-separated strategies to compare (default: every strategy the scenario lists).
    #[arg(long, value_delimiter = ',')]
    pub strategies: Vec<String>,
    /// Override the scenario's seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Print JSON (contracts.md) instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Also write an HTML performance report of the comparison to this file (with --set or
    /// --seeds: the sweep report).
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
        return super::sweep::compare_grid(&grid, args.budget, args.output.as_deref(), args.html.as_deref(), args.json);
    }
    let scenario = Scenario::load(&args.scenario)?;
    let strategies = if args.strategies.is_empty() {
        scenario.strategies.clone()
    } else {
        args.strategies.iter().map(|s| StrategyName::parse(s)).collect::<Result<Vec<_>, _>>()?
    };
    let seed = args.seed.unwrap_or(scenario.seed);
    args.budget.check(&scenario)?;
    let results = sim_core::runner::run_all(&scenario, &strategies, seed);
    if let Some(path) = &args.html {
        reports::write_report(path, &[(results.scenario.as_str(), results.clone())])?;
        eprintln!("wrote {}", path.display());
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&results)?);
    } else {
        print!("{}", table::render(&results));
    }
    Ok(Outcome::Success)
}
