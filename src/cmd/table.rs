//! The comparison table: a column per strategy, a row per metric, the best value of each row
//! marked with `*` (for metrics where lower or higher is better and the values differ).

use std::fmt::Write as _;

use sim_core::metrics::{Better, Metrics, Results};

/// Renders `results` as a plain-text table.
pub fn render(results: &Results) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "scenario {} on {} (seed {})", results.scenario, results.topology, results.seed);
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
    throughput(results, &mut out);
    out
}

/// Gb/s with three decimals from an integer Mb/s.
fn gbps(mbps: u64) -> String {
    format!("{}.{:03}", mbps / 1000, mbps % 1000)
}

/// Achieved throughput per generator and per busy device, each strategy beside the
/// no-translation baselines (identity domain, IOMMU off) and what was offered.
fn throughput(results: &Results, out: &mut String) {
    let runs: Vec<_> = results.runs.iter().chain(&results.baselines).collect();
    let Some(first) = runs.first() else { return };
    let gens: Vec<usize> = (0..first.generators.len()).filter(|&i| first.generators[i].kind != "vm").collect();
    let devs: Vec<usize> = (0..first.devices.len()).filter(|&i| runs.iter().any(|r| r.devices[i].dma_requests > 0)).collect();
    if gens.is_empty() && devs.is_empty() {
        return;
    }
    let mut rows: Vec<(String, String, Vec<String>)> = Vec::new();
    for &i in &gens {
        let g = &first.generators[i];
        let offered = if g.offered_mbps == 0 { "max".to_string() } else { gbps(g.offered_mbps) };
        rows.push((format!("{} ({})", g.id, g.kind), offered, runs.iter().map(|r| gbps(r.generators[i].achieved_mbps)).collect()));
        if runs.iter().any(|r| r.generators[i].dropped > 0) {
            rows.push(("  dropped".into(), String::new(), runs.iter().map(|r| r.generators[i].dropped.to_string()).collect()));
        }
        rows.push(("  per second".into(), String::new(), runs.iter().map(|r| r.generators[i].achieved_per_sec.to_string()).collect()));
    }
    for &i in &devs {
        rows.push((
            format!("device {}", first.devices[i].id),
            String::new(),
            runs.iter().map(|r| gbps(r.devices[i].throughput_mbps)).collect(),
        ));
        rows.push(("  link busy ‰".into(), String::new(), runs.iter().map(|r| r.devices[i].link_util_permille.to_string()).collect()));
        rows.push(("  stalled requests".into(), String::new(), runs.iter().map(|r| r.devices[i].stalled_requests.to_string()).collect()));
    }
    let names: Vec<&str> = runs.iter().map(|r| r.strategy.as_str()).collect();
    let label_w = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0).max(10);
    let widths: Vec<usize> = (0..names.len()).map(|c| rows.iter().map(|r| r.2[c].len()).max().unwrap_or(0).max(names[c].len())).collect();
    let _ = writeln!(out, "\nthroughput, Gb/s achieved over active time (baselines: identity domain, IOMMU off)");
    let _ = write!(out, "{:<label_w$}  {:>8}", "", "offered");
    for (n, w) in names.iter().zip(&widths) {
        let _ = write!(out, "  {n:>w$}");
    }
    out.push('\n');
    for (label, offered, cells) in &rows {
        let pad = label_w + label.len() - label.chars().count();
        let _ = write!(out, "{label:<pad$}  {offered:>8}");
        for (v, w) in cells.iter().zip(&widths) {
            let _ = write!(out, "  {v:>w$}");
        }
        out.push('\n');
    }
}
