//! The comparison table: a column per strategy, a row per metric, the best value of each row
//! marked with `*` (for metrics where lower or higher is better and the values differ).

use std::fmt::Write as _;

use sim_core::metrics::{Better, Metrics, Results};

/// Renders `results` as a plain-text table.
pub fn render(results: &Results) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "scenario {} on {} (seed {})", results.scenario, results.topology, results.seed);
    if results.runs.iter().any(|r| r.interrupted) {
        let _ = writeln!(out, "INTERRUPTED (Ctrl-C): partial results, covering only the events processed before the stop");
    }
    let names: Vec<&str> = results.runs.iter().map(|r| r.strategy.as_str()).collect();
    let metric_w = Metrics::INFO.iter().map(|i| i.name.len()).max().unwrap_or(10).max(6);
    let mut cells: Vec<Vec<String>> = Vec::new();
    cells.push(results.runs.iter().map(|r| r.digest.clone()).collect());
    for info in Metrics::INFO {
        let values: Vec<u64> = results.runs.iter().map(|r| r.metrics.get(info.name).unwrap_or(0)).collect();
        let best = match info.better {
            Better::Lower => values.iter().min().copied(),
            Better::Higher => values.iter().max().copied(),
            Better::Neither => None,
        };
        let all_equal = values.windows(2).all(|w| w[0] == w[1]);
        cells.push(values.iter().map(|&v| if !all_equal && best == Some(v) { format!("*{v}") } else { v.to_string() }).collect());
    }
    let widths: Vec<usize> =
        (0..names.len()).map(|c| cells.iter().map(|row| row[c].len()).max().unwrap_or(0).max(names[c].len())).collect();
    let _ = write!(out, "{:<metric_w$}", "metric");
    for (n, w) in names.iter().zip(&widths) {
        let _ = write!(out, "  {n:>w$}");
    }
    out.push('\n');
    let labels = std::iter::once("digest").chain(Metrics::INFO.iter().map(|i| i.name));
    for (label, row) in labels.zip(&cells) {
        let _ = write!(out, "{label:<metric_w$}");
        for (v, w) in row.iter().zip(&widths) {
            let _ = write!(out, "  {v:>w$}");
        }
        out.push('\n');
    }
    if results.runs.len() > 1 {
        out.push_str("(* best value of the row)\n");
    }
    out
}
