//! `iommu-sim`: the command line. Each subcommand lives in `cmd/`, parses nothing itself
//! beyond its flags, calls `sim-core`/`reports`, and turns typed errors into the exit codes of
//! contracts.md: 0 success, 1 "ran, but what was asked does not hold", 2 bad input or usage.

mod cmd;
mod out;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Deterministic discrete-event simulator of multi-IOMMU platforms: compares how
/// domain-reuse strategies (VFIO type1, the EMEDIUMTYPE series, iommufd auto-domains, ...)
/// change domains, page-table memory, IOTLB behaviour, invalidation fan-out and DMA latency.
///
/// With no subcommand, runs the bundled default scenario under every strategy and writes
/// report.html (the same as `iommu-sim demo`).
#[derive(Parser, Debug)]
#[command(name = "iommu-sim", version = concat!(env!("CARGO_PKG_VERSION"), " (", env!("IOMMU_SIM_COMMIT"), ")"), about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Print nothing on stderr but errors and warnings (no "wrote FILE", no progress bar).
    #[arg(short, long, global = true)]
    quiet: bool,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Validate a topology file and print its IOMMU instances, buses and IOMMU groups.
    Topology(cmd::topology::Args),
    /// Turn a captured real machine (scripts/capture.sh output, or lspci -vvv -nn text) into
    /// a topology file carrying the groups it reported.
    Import(cmd::import::Args),
    /// Run one scenario (every strategy it lists, or the one named) and print a summary.
    Run(cmd::run::Args),
    /// Run the same seeded workload under each strategy and print them side by side.
    Compare(cmd::compare::Args),
    /// Regression replay: re-run scenarios and compare with their expected results.
    Check(cmd::check::Args),
    /// Show the first event at which two traces (from `run --trace`) diverge.
    TraceDiff(cmd::trace_diff::Args),
    /// Write an HTML performance report from saved results (several files: side by side).
    Report(cmd::report::Args),
    /// Run the bundled default scenario under every strategy, print the comparison and
    /// write report.html (what `iommu-sim` with no arguments does).
    Demo(cmd::demo::Args),
    /// Run every point of a sweep (axes × seeds × strategies) on all cores, or one shard of
    /// it, into a JSON Lines results file; or print a Slurm / GNU parallel job for it.
    Sweep(cmd::sweep::Args),
    /// Combine shard results files of one sweep into one, reporting missing and duplicate items.
    Merge(cmd::merge::Args),
}

/// How a subcommand ended, mapped to the process exit code.
pub enum Outcome {
    /// Exit 0.
    Success,
    /// Exit 1: the run worked but what was asked does not hold (e.g. a `check` mismatch).
    Mismatch,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help/version on stdout with exit 0, usage errors on stderr with 2.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    out::set_quiet(cli.quiet);
    // Ctrl-C: the first asks running simulations to stop at their next check (partial results
    // are printed, marked as such, exit 130); a second one exits at once.
    let _ = ctrlc::set_handler(|| {
        if sim_core::budget::stop_requested() {
            std::process::exit(130);
        }
        sim_core::budget::request_stop();
        eprintln!("interrupted: stopping (Ctrl-C again to quit at once)");
    });
    let result = match cli.command {
        Some(Command::Topology(args)) => cmd::topology::run(args),
        Some(Command::Import(args)) => cmd::import::run(args),
        Some(Command::Run(args)) => cmd::run::run(args),
        Some(Command::Compare(args)) => cmd::compare::run(args),
        Some(Command::Check(args)) => cmd::check::run(args),
        Some(Command::TraceDiff(args)) => cmd::trace_diff::run(args),
        Some(Command::Report(args)) => cmd::report::run(args),
        Some(Command::Demo(args)) => cmd::demo::run(args),
        Some(Command::Sweep(args)) => cmd::sweep::run(args),
        Some(Command::Merge(args)) => cmd::merge::run(args),
        None => cmd::demo::run(cmd::demo::Args::default()),
    };
    match result {
        _ if sim_core::budget::stop_requested() => {
            if let Err(e) = result {
                eprintln!("error: {e}");
            }
            ExitCode::from(130)
        }
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::Mismatch) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
