//! `iommu-sim topology FILE [--json]`: validates a topology and prints its IOMMU instances,
//! bus tree and IOMMU groups (contracts.md). Bad input is an error (exit 2) naming the file,
//! line and column or the offending id.

use std::path::PathBuf;

use sim_core::topology::{Platform, report};

use super::CmdResult;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The topology file (RON).
    pub file: PathBuf,
    /// Print JSON (contracts.md) instead of the readable listing.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> CmdResult {
    let platform = Platform::load(&args.file)?;
    let out = if args.json { report::json_pretty(&platform) + "\n" } else { report::text(&platform) };
    crate::out::print(&out)?;
    Ok(crate::Outcome::Success)
}
