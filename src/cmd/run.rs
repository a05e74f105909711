//! `iommu-sim run SCENARIO [--strategy NAME] [--seed N] [--json]`: runs one scenario under
//! every strategy it lists (or the one named) and prints a summary.

use std::path::PathBuf;

use sim_core::scenario::Scenario;
use sim_core::strategy::StrategyName;

use super::{CmdResult, table};
use crate::Outcome;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The scenario file (RON).
    pub scenario: PathBuf,
    /// Run only this strategy instead of every strategy the scenario lists.
    #[arg(long)]
    pub strategy: Option<String>,
    /// Override the scenario's seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Print JSON (contracts.md) instead of the readable summary.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> CmdResult {
    let scenario = Scenario::load(&args.scenario)?;
    let strategies = match &args.strategy {
        Some(s) => vec![StrategyName::parse(s)?],
        None => scenario.strategies.clone(),
    };
    let seed = args.seed.unwrap_or(scenario.seed);
    let results = sim_core::runner::run_all(&scenario, &strategies, seed);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&results)?);
    } else {
        print!("{}", table::render(&results));
    }
    Ok(Outcome::Success)
}

pub fn run_default() -> CmdResult {
    Err("demo: not implemented yet".into())
}
