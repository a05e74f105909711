//! `iommu-sim topology FILE [--json]`.

use std::path::PathBuf;

use super::CmdResult;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The topology file (RON).
    pub file: PathBuf,
    /// Print JSON (contracts.md) instead of the readable listing.
    #[arg(long)]
    pub json: bool,
}

pub fn run(_args: Args) -> CmdResult {
    Err("topology: not implemented yet".into())
}
