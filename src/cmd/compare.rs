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
    /// Model this Linux kernel instead of the scenario's `kernel` ("6.12", "6.15.0", "v6.1",
    /// "proposed"; docs/kernel-versions.md).
    #[arg(long, value_name = "V")]
    pub kernel: Option<String>,
    /// Override the scenario's seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Print JSON (contracts.md) instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Also write an HTML performance report of the comparison to this file.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

pub fn run(args: Args) -> CmdResult {
    let mut scenario = Scenario::load(&args.scenario)?;
    super::apply_kernel(&mut scenario, args.kernel.as_deref())?;
    let strategies = if args.strategies.is_empty() {
        scenario.strategies.clone()
    } else {
        args.strategies.iter().map(|s| StrategyName::parse(s)).collect::<Result<Vec<_>, _>>()?
    };
    let seed = args.seed.unwrap_or(scenario.seed);
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
