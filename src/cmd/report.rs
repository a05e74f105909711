//! `iommu-sim report RESULTS.json ... -o FILE.html`: an HTML performance report from saved
//! results (`run --json` / `compare --json` output). Several files are compared side by side,
//! the first being the baseline; each is labelled by its file name.

use std::path::{Path, PathBuf};

use sim_core::metrics::Results;

use super::CmdResult;
use crate::Outcome;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Results files (JSON from `run --json` or `compare --json`); the first is the baseline.
    #[arg(required = true)]
    pub results: Vec<PathBuf>,
    /// Where to write the HTML page.
    #[arg(short = 'o', long = "output", value_name = "FILE.html")]
    pub output: PathBuf,
    /// Sweep results (JSON Lines) only: also write one CSV row per results line to this file.
    #[arg(long, value_name = "FILE.csv")]
    pub csv: Option<PathBuf>,
    /// Sweep results only: the metrics to draw (default: the sweep's, else those that vary).
    #[arg(long, value_delimiter = ',')]
    pub metrics: Vec<String>,
}

/// Reads one results file, naming the file in any error (exit 2).
pub fn load(path: &Path) -> Result<Results, Box<dyn std::error::Error>> {
    let text = sim_core::error::InputError::read(path)?;
    let results: Results = serde_json::from_str(&text)
        .map_err(|e| format!("{}: not valid results JSON (line {}, column {}): {e}", path.display(), e.line(), e.column()))?;
    Ok(results)
}

/// The label of an input: its file name, made unique by the full path when two collide.
fn labels(paths: &[PathBuf]) -> Vec<String> {
    let short: Vec<String> =
        paths.iter().map(|p| p.file_name().map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into_owned())).collect();
    short
        .iter()
        .zip(paths)
        .map(|(s, p)| if short.iter().filter(|x| *x == s).count() > 1 { p.display().to_string() } else { s.clone() })
        .collect()
}

pub fn run(args: Args) -> CmdResult {
    if let Some(outcome) = super::sweep::report(&args.results, &args.output, args.csv.as_deref(), &args.metrics)? {
        return Ok(outcome);
    }
    let mut inputs = Vec::with_capacity(args.results.len());
    for (path, label) in args.results.iter().zip(labels(&args.results)) {
        inputs.push((label, load(path)?));
    }
    reports::write_report(&args.output, &inputs)?;
    eprintln!("wrote {}", args.output.display());
    Ok(Outcome::Success)
}
