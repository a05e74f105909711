//! `iommu-sim run SCENARIO [--strategy NAME] [--seed N] [--json] [--trace FILE]`.

use std::path::PathBuf;

use super::CmdResult;

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

pub fn run(_args: Args) -> CmdResult {
    Err("run: not implemented yet".into())
}

pub fn run_default() -> CmdResult {
    Err("demo: not implemented yet".into())
}
