//! The comparison table: a row per metric with its unit, a column per strategy, the best
//! value of each row marked with `*` (for metrics where lower or higher is better and the
//! values differ, among the strategies that attached every group).
//!
//! By default values are compact (`27.4M`, `1.3 MiB`, `99.5 %`) and the strategies are split
//! into as many tables as it takes to fit [`WIDTH`] columns; `--wide` prints one table of
//! exact integers, however wide.

use std::fmt::Write as _;

use reports::findings::{best_eligible, iotlb_hit_permille};
use reports::fmt;
use sim_core::metrics::{Better, Metrics, Results};

/// The terminal width the default layout fits.
pub const WIDTH: usize = 100;

/// The unit of a metric, from its name (contracts.md lists the same).
pub fn unit(name: &str) -> &'static str {
    if name.contains("bytes") {
        "bytes"
    } else if name.contains("cycles") || name.starts_with("dma_latency") {
        "cycles"
    } else if name.ends_with("_rate") {
        "%"
    } else {
        "count"
    }
}

struct Row {
    name: &'static str,
    better: Better,
    values: Vec<Option<u64>>,
}

fn rows(results: &Results) -> Vec<Row> {
    let mut out = Vec::new();
    for info in Metrics::INFO {
        out.push(Row { name: info.name, better: info.better, values: results.runs.iter().map(|r| r.metrics.get(info.name)).collect() });
        if info.name == "iotlb_misses" {
            let values = results.runs.iter().map(|r| iotlb_hit_permille(&r.metrics)).collect();
            out.push(Row { name: "iotlb_hit_rate", better: Better::Higher, values });
        }
    }
    out
}

fn show(name: &str, v: Option<u64>, wide: bool) -> String {
    let Some(v) = v else { return "n/a".into() };
    match unit(name) {
        "%" => fmt::percent(v).replace('\u{a0}', ""),
        "bytes" if !wide => fmt::bytes(v),
        _ if !wide && v >= 100_000 => fmt::compact(v),
        _ => v.to_string(),
    }
}

/// Renders `results` as plain-text tables (`wide`: one table of exact values).
pub fn render(results: &Results, wide: bool) -> String {
    // Runs of several kernels (`compare --kernels`): columns `strategy@kernel`.
    let labelled = results.labelled_by_kernel();
    let results = &labelled;
    let mut out = String::new();
    let _ = writeln!(out, "scenario {} on {} (seed {})", results.scenario, results.topology, results.seed);
    if results.runs.iter().any(|r| r.interrupted) {
        let _ = writeln!(out, "INTERRUPTED (Ctrl-C): partial results, covering only the events processed before the stop");
    }
    let names: Vec<&str> = results.runs.iter().map(|r| r.strategy.as_str()).collect();
    let eligible = best_eligible(&results.runs.iter().collect::<Vec<_>>());
    let rows = rows(results);
    let mut labels: Vec<&str> = Vec::new();
    let mut cells: Vec<Vec<String>> = Vec::new();
    if wide {
        labels.push("digest");
        cells.push(results.runs.iter().map(|r| r.digest.clone()).collect());
    }
    for row in &rows {
        let competing: Vec<u64> = row.values.iter().zip(&eligible).filter(|(_, e)| **e).filter_map(|(v, _)| *v).collect();
        let best = match row.better {
            Better::Lower => competing.iter().min().copied(),
            Better::Higher => competing.iter().max().copied(),
            Better::Neither => None,
        };
        let all_equal = competing.windows(2).all(|w| w[0] == w[1]);
        labels.push(row.name);
        cells.push(
            row.values
                .iter()
                .zip(&eligible)
                .map(|(&v, &e)| {
                    let s = show(row.name, v, wide);
                    if e && !all_equal && v.is_some() && best == v { format!("*{s}") } else { s }
                })
                .collect(),
        );
    }
    let metric_w = labels.iter().map(|l| l.len()).max().unwrap_or(6).max(6);
    let unit_w = 6;
    let widths: Vec<usize> =
        (0..names.len()).map(|c| cells.iter().map(|row| row[c].chars().count()).max().unwrap_or(0).max(names[c].len())).collect();
    // Strategies packed into tables that fit WIDTH (at least one strategy per table).
    let chunks = pack(metric_w + 2 + unit_w, &widths, wide);
    for (k, chunk) in chunks.iter().enumerate() {
        if k > 0 {
            out.push('\n');
        }
        left(&mut out, "metric", metric_w);
        out.push_str("  ");
        left(&mut out, "unit", unit_w);
        for c in chunk.clone() {
            out.push_str("  ");
            right(&mut out, names[c], widths[c]);
        }
        out.push('\n');
        for (label, row) in labels.iter().zip(&cells) {
            let u = if *label == "digest" { "" } else { unit(label) };
            left(&mut out, label, metric_w);
            out.push_str("  ");
            left(&mut out, u, unit_w);
            for c in chunk.clone() {
                out.push_str("  ");
                right(&mut out, &row[c], widths[c]);
            }
            out.push('\n');
        }
    }
    if !wide {
        out.push_str("event digests:\n");
        for r in &results.runs {
            let _ = writeln!(out, "  {:<w$}  {}", r.strategy, r.digest, w = names.iter().map(|n| n.len()).max().unwrap_or(0));
        }
    }
    if let Some(n) = results.runs.iter().map(|r| r.events_after_duration).max().filter(|n| *n > 0) {
        let _ = writeln!(out, "(! {n} operation(s) were due after the scenario's duration and were not run: see events_after_duration)");
    }
    if results.runs.len() > 1 {
        let left_out: Vec<&str> = results.runs.iter().zip(&eligible).filter(|(_, e)| !**e).map(|(r, _)| r.strategy.as_str()).collect();
        if left_out.is_empty() {
            out.push_str("(* best value of the row)\n");
        } else {
            let _ = writeln!(
                out,
                "(* best value of the row among the strategies that attach every group;\n   {} failed attaches and cannot be best)",
                fmt::join_names(&left_out)
            );
        }
        if !wide {
            out.push_str("(k/M/G = 10^3/10^6/10^9, KiB/MiB = 2^10/2^20 bytes; --wide for exact values)\n");
        }
    }
    throughput(results, &mut out, wide);
    out
}

/// Appends `s` left-aligned in `w` columns (counted in chars, as `{s:<w$}` pads), without the
/// formatting machinery: a summary table is ~60 lines of padded cells, and `write!` padding
/// was half of the instructions of rendering it (issue 15: a short run's fixed cost).
fn left(out: &mut String, s: &str, w: usize) {
    out.push_str(s);
    spaces(out, w.saturating_sub(s.chars().count()));
}

/// Appends `s` right-aligned in `w` columns, as `{s:>w$}` does.
fn right(out: &mut String, s: &str, w: usize) {
    spaces(out, w.saturating_sub(s.chars().count()));
    out.push_str(s);
}

fn spaces(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

/// Columns `0..widths.len()` packed into consecutive ranges whose tables fit [`WIDTH`] after a
/// `fixed`-wide label part (at least one column per table); one range when `wide`.
fn pack(fixed: usize, widths: &[usize], wide: bool) -> Vec<std::ops::Range<usize>> {
    let mut chunks = Vec::new();
    let (mut start, mut used) = (0, fixed);
    for (c, w) in widths.iter().enumerate() {
        if !wide && c > start && used + 2 + w > WIDTH {
            chunks.push(start..c);
            start = c;
            used = fixed;
        }
        used += 2 + w;
    }
    chunks.push(start..widths.len());
    chunks
}

/// Gb/s with three decimals from an integer Mb/s.
fn gbps(mbps: u64) -> String {
    format!("{}.{:03}", mbps / 1000, mbps % 1000)
}

/// Achieved throughput per generator and per busy device, each strategy beside the
/// no-translation baselines (identity domain, IOMMU off) and what was offered.
fn throughput(results: &Results, out: &mut String, wide: bool) {
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
    let refs = if results.baselines.is_empty() { "no baselines" } else { "baselines: identity domain, IOMMU off" };
    let _ = writeln!(out, "\nthroughput, Gb/s achieved over active time ({refs})");
    // Split like the metrics table so that each part fits WIDTH columns (unless --wide).
    for (k, chunk) in pack(label_w + 2 + 8, &widths, wide).into_iter().enumerate() {
        if k > 0 {
            out.push('\n');
        }
        left(out, "", label_w);
        out.push_str("  ");
        right(out, "offered", 8);
        for c in chunk.clone() {
            out.push_str("  ");
            right(out, names[c], widths[c]);
        }
        out.push('\n');
        for (label, offered, cells) in &rows {
            left(out, label, label_w);
            out.push_str("  ");
            right(out, offered, 8);
            for c in chunk.clone() {
                out.push_str("  ");
                right(out, &cells[c], widths[c]);
            }
            out.push('\n');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::metrics::RunResult;

    #[test]
    fn fits_100_columns_with_units_unless_wide() {
        let names = ["per-group", "vfio-type1", "vfio-emediumtype", "iommufd-auto", "hard-fail", "compat-index", "shared-across-instances"];
        let runs = names
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let mut r = RunResult { strategy: (*n).into(), digest: "0123456789abcdef".into(), ..Default::default() };
                r.metrics.cpu_cycles_map = 27_391_500 + i as u64;
                r.metrics.pagetable_bytes_peak = 1_372_160;
                r.metrics.iotlb_hits = 3;
                r.metrics.iotlb_misses = 1;
                r
            })
            .collect();
        let results = Results { runs, ..Default::default() };
        let text = render(&results, false);
        assert!(text.lines().all(|l| l.chars().count() <= WIDTH), "{text}");
        assert!(text.lines().any(|l| l.starts_with("cpu_cycles_map ") && l.split_whitespace().nth(1) == Some("cycles")), "{text}");
        assert!(text.contains("1.3 MiB") && text.contains("27.4M") && text.contains("75.0%"), "{text}");
        let wide = render(&results, true);
        assert!(wide.lines().any(|l| l.chars().count() > WIDTH) && wide.contains("27391500"), "{wide}");
    }

    #[test]
    fn throughput_rows_align_whatever_their_labels_chars() {
        use sim_core::metrics::DeviceResult;
        let dev = DeviceResult { id: "0000:01:00.0".into(), dma_requests: 1, throughput_mbps: 27_489, ..Default::default() };
        let run = RunResult { strategy: "vfio-type1".into(), devices: vec![dev], ..Default::default() };
        let text = render(&Results { runs: vec![run], ..Default::default() }, false);
        let table: Vec<&str> = text.lines().skip_while(|l| !l.starts_with("throughput,")).skip(1).collect();
        // "  link busy ‰" has a 3-byte character: padded by characters, as every other label.
        assert!(table.iter().any(|l| l.contains('‰')), "{text}");
        assert!(table.iter().all(|l| l.chars().count() == table[0].chars().count()), "{text}");
    }
}
