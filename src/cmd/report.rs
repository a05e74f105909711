//! `iommu-sim report RESULTS.json ... -o FILE.html`: an HTML performance report from saved
//! results (`run --json` / `compare --json` output; `-` reads stdin). Several files are shown
//! side by side, the first being the baseline; each is labelled by its file name. Results of
//! different scenarios are shown side by side without changes computed between them.
//!
//! Input is validated before anything is drawn: a JSON document that is not iommu-sim results
//! (`{}`, `[]`, another schema version, a run without `strategy` or `metrics`) is an error
//! naming the file and the field (exit 2), never an empty page.

use std::path::{Path, PathBuf};

use serde_json::Value;
use sim_core::metrics::Results;
use sim_core::metrics::results::SCHEMA;

use super::{CmdResult, io};
use crate::Outcome;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Results files (JSON from `run --json` or `compare --json`; `-` = stdin); the first is
    /// the baseline.
    #[arg(required = true)]
    pub results: Vec<PathBuf>,
    /// Where to write the HTML page (`-` = stdout).
    #[arg(short = 'o', long = "output", value_name = "FILE.html")]
    pub output: PathBuf,
    /// Sweep results (JSON Lines) only: also write one CSV row per results line to this file.
    #[arg(long, value_name = "FILE.csv")]
    pub csv: Option<PathBuf>,
    /// Sweep results only: the metrics to draw (default: the sweep's, else those that vary).
    #[arg(long, value_delimiter = ',')]
    pub metrics: Vec<String>,
}

/// Why a JSON value is not results this version reads, or `None` if it is.
fn invalid(v: &Value) -> Option<String> {
    let Some(obj) = v.as_object() else {
        return Some(format!("expected a JSON object (the output of `run --json` or `compare --json`), found {}", kind(v)));
    };
    match obj.get("schema") {
        None => return Some("missing field `schema` (is this the output of `run --json` or `compare --json`?)".into()),
        Some(s) if s.as_u64() == Some(u64::from(SCHEMA)) => {}
        Some(s) if s.as_u64().is_some() => {
            return Some(format!("results schema {s}, but this iommu-sim reads schema {SCHEMA}: re-run the scenario with this version"));
        }
        Some(s) => return Some(format!("`schema` must be an integer, found {}", kind(s))),
    }
    for field in ["scenario", "topology"] {
        match obj.get(field) {
            Some(Value::String(_)) => {}
            Some(x) => return Some(format!("`{field}` must be a string, found {}", kind(x))),
            None => return Some(format!("missing field `{field}`")),
        }
    }
    let Some(runs) = obj.get("runs").and_then(Value::as_array) else {
        return Some("missing field `runs` (a list of runs)".into());
    };
    for (i, run) in runs.iter().enumerate() {
        for (field, ok) in [
            ("strategy", run.get("strategy").is_some_and(Value::is_string)),
            ("digest", run.get("digest").is_some_and(Value::is_string)),
            ("metrics", run.get("metrics").is_some_and(Value::is_object)),
        ] {
            if !ok {
                return Some(format!("runs[{i}]: missing or mistyped field `{field}`"));
            }
        }
    }
    None
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Reads and validates one results file, naming the file in any error (exit 2).
pub fn load(path: &Path) -> Result<Results, Box<dyn std::error::Error>> {
    load_text(path, &io::read_text(path)?)
}

/// [`load`] of text already read (stdin).
pub fn load_text(path: &Path, text: &str) -> Result<Results, Box<dyn std::error::Error>> {
    let name = io::label(path);
    let value: Value =
        serde_json::from_str(text).map_err(|e| format!("{name}: not valid JSON (line {}, column {}): {e}", e.line(), e.column()))?;
    if let Some(why) = invalid(&value) {
        return Err(format!("{name}: not iommu-sim results: {why}").into());
    }
    let results: Results = serde_json::from_value(value).map_err(|e| format!("{name}: not valid results JSON: {e}"))?;
    Ok(results)
}

/// The label of an input: its file name, made unique by the full path when two collide.
fn labels(paths: &[PathBuf]) -> Vec<String> {
    let short: Vec<String> = paths
        .iter()
        .map(|p| {
            if io::is_std(p) {
                io::label(p)
            } else {
                p.file_name().map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into_owned())
            }
        })
        .collect();
    short
        .iter()
        .zip(paths)
        .map(|(s, p)| if short.iter().filter(|x| *x == s).count() > 1 { p.display().to_string() } else { s.clone() })
        .collect()
}

pub fn run(args: Args) -> CmdResult {
    if args.results.iter().filter(|p| io::is_std(p)).count() > 1 {
        return Err("report: `-` (stdin) can be given only once".into());
    }
    // stdin is read once: it may be sweep results (JSON Lines) or ordinary results.
    let stdin = if args.results.iter().any(|p| io::is_std(p)) { Some(io::read_text(Path::new("-"))?) } else { None };
    if let Some(outcome) = super::sweep::report(&args.results, stdin.as_deref(), &args.output, args.csv.as_deref(), &args.metrics)? {
        return Ok(outcome);
    }
    let mut inputs = Vec::with_capacity(args.results.len());
    for (path, label) in args.results.iter().zip(labels(&args.results)) {
        let results = match &stdin {
            Some(text) if io::is_std(path) => load_text(path, text)?,
            _ => load(path)?,
        };
        inputs.push((label, results));
    }
    let html = reports::try_render(&inputs)?;
    io::write_text(&args.output, &html)?;
    Ok(Outcome::Success)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_what_is_not_results() {
        let bad = [
            ("{\"hello\":1}", "missing field `schema`"),
            ("[]", "expected a JSON object"),
            ("{\"schema\":99,\"scenario\":\"s\",\"topology\":\"t\",\"runs\":[]}", "results schema 99, but this iommu-sim reads schema 1"),
            ("{\"schema\":1,\"scenario\":\"s\",\"topology\":\"t\"}", "missing field `runs`"),
            (
                "{\"schema\":1,\"scenario\":\"s\",\"topology\":\"t\",\"runs\":[{\"strategy\":\"x\",\"digest\":\"0\"}]}",
                "runs[0]: missing or mistyped field `metrics`",
            ),
            ("{\"schema\":\"1\"}", "`schema` must be an integer"),
        ];
        for (text, want) in bad {
            let v: Value = serde_json::from_str(text).unwrap();
            let why = invalid(&v).unwrap_or_default();
            assert!(why.contains(want), "{text}: {why}");
        }
        let good = serde_json::to_value(Results { schema: SCHEMA, ..Default::default() }).unwrap();
        assert_eq!(invalid(&good), None);
    }
}
