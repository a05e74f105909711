//! The sweep report: curves of metrics against each axis (one line per strategy, the mean over
//! seeds with a min–max band), a table of points, and the CSV export. One self-contained page
//! like the comparison report (same stylesheet, inline SVG, no scripts), and the same input
//! gives the same bytes.
//!
//! Spread across seeds is shown as the **minimum to maximum** band around the **mean**, not a
//! confidence interval: sweeps typically run 3–20 seeds, where the range is the honest picture.

mod curves;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use sim_core::metrics::Metrics;
use sim_core::sweep::Record;
use sim_core::sweep::record::IOTLB_HIT_PERMILLE;

use crate::charts::esc;

/// Mean, minimum and maximum of one metric over the seeds of a (point, strategy).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spread {
    pub mean: f64,
    pub min: u64,
    pub max: u64,
    pub n: usize,
}

impl Spread {
    fn of(values: &[u64]) -> Spread {
        let sum: u128 = values.iter().map(|&v| u128::from(v)).sum();
        Spread {
            mean: sum as f64 / values.len().max(1) as f64,
            min: values.iter().copied().min().unwrap_or(0),
            max: values.iter().copied().max().unwrap_or(0),
            n: values.len(),
        }
    }
}

/// The results arranged by axis, point and strategy.
pub struct Table<'a> {
    pub sweep: String,
    /// Axis labels, in order.
    pub axes: Vec<String>,
    /// Distinct values of each axis, in axis order.
    pub values: Vec<Vec<String>>,
    pub strategies: Vec<String>,
    /// (point coordinates as value indexes, strategy index) → records (one per seed).
    pub cells: BTreeMap<(Vec<usize>, usize), Vec<&'a Record>>,
    pub seeds: usize,
}

/// Every metric name a report can draw: the `Metrics` fields and the derived hit rate.
pub fn metric_names() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = Metrics::INFO.iter().map(|i| i.name).collect();
    v.push(IOTLB_HIT_PERMILLE);
    v
}

impl<'a> Table<'a> {
    /// Arranges `records` (any order).
    pub fn new(records: &'a [Record]) -> Table<'a> {
        let mut sorted: Vec<&Record> = records.iter().collect();
        sorted.sort_by_key(|r| r.index);
        let axes: Vec<String> = sorted.first().map(|r| r.coords.iter().map(|c| c.axis.clone()).collect()).unwrap_or_default();
        let mut values: Vec<Vec<String>> = vec![Vec::new(); axes.len()];
        let mut strategies: Vec<String> = Vec::new();
        let mut seeds: Vec<u64> = Vec::new();
        for r in &sorted {
            for (i, c) in r.coords.iter().enumerate().take(axes.len()) {
                if !values[i].contains(&c.value) {
                    values[i].push(c.value.clone());
                }
            }
            if !strategies.contains(&r.strategy) {
                strategies.push(r.strategy.clone());
            }
            if !seeds.contains(&r.seed) {
                seeds.push(r.seed);
            }
        }
        let mut cells: BTreeMap<(Vec<usize>, usize), Vec<&Record>> = BTreeMap::new();
        for r in &sorted {
            let coords: Vec<usize> = r
                .coords
                .iter()
                .enumerate()
                .take(axes.len())
                .map(|(i, c)| values[i].iter().position(|v| *v == c.value).unwrap_or(0))
                .collect();
            let s = strategies.iter().position(|s| *s == r.strategy).unwrap_or(0);
            cells.entry((coords, s)).or_default().push(r);
        }
        Table { sweep: sorted.first().map(|r| r.sweep.clone()).unwrap_or_default(), axes, values, strategies, cells, seeds: seeds.len() }
    }

    /// The metrics whose value is not the same in every record.
    pub fn varying(&self) -> Vec<&'static str> {
        metric_names()
            .into_iter()
            .filter(|m| {
                let mut it = self.cells.values().flatten().map(|r| r.metric(m));
                let first = it.next();
                it.any(|v| Some(v) != first)
            })
            .collect()
    }

    /// Whether `metric` changes along axis `axis`: two runs differing only in that axis (same
    /// other coordinates, seed and strategy) give different values.
    pub fn varies_along(&self, axis: usize, metric: &str) -> bool {
        let mut seen: BTreeMap<(Vec<usize>, usize, u64), Option<u64>> = BTreeMap::new();
        for ((coords, s), rs) in &self.cells {
            let mut others = coords.clone();
            others[axis] = usize::MAX;
            for r in rs {
                let v = r.metric(metric);
                match seen.get(&(others.clone(), *s, r.seed)) {
                    Some(first) if *first != v => return true,
                    Some(_) => {}
                    None => {
                        seen.insert((others.clone(), *s, r.seed), v);
                    }
                }
            }
        }
        false
    }

    /// The spread of `metric` at `coords` under strategy `s`, if that cell has records.
    pub fn spread(&self, coords: &[usize], s: usize, metric: &str) -> Option<Spread> {
        let rs = self.cells.get(&(coords.to_vec(), s))?;
        let values: Vec<u64> = rs.iter().map(|r| r.metric(metric).unwrap_or(0)).collect();
        Some(Spread::of(&values))
    }
}

/// A mean with one decimal (or none when whole).
fn mean_text(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 { format!("{}", v.round() as u64) } else { format!("{v:.1}") }
}

/// Renders the sweep page. `metrics` empty: every metric that varies.
pub fn render(records: &[Record], metrics: &[String]) -> String {
    let table = Table::new(records);
    let chosen: Vec<String> = if metrics.is_empty() { table.varying().iter().map(|s| s.to_string()).collect() } else { metrics.to_vec() };
    let mut charts = Vec::new();
    let mut flat: Vec<(String, Vec<String>)> = Vec::new();
    for (a, axis) in table.axes.iter().enumerate() {
        let mut still = Vec::new();
        for m in &chosen {
            if metrics.is_empty() && !table.varies_along(a, m) {
                still.push(m.clone());
            } else {
                charts.push((axis.clone(), m.clone(), curves::chart(&table, a, m)));
            }
        }
        if !still.is_empty() {
            flat.push((axis.clone(), still));
        }
    }
    let mut h = String::with_capacity(64 * 1024);
    let title = format!("iommu-sim sweep: {}", table.sweep);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title><style>\n{}\n</style></head><body>\n",
        esc(&title),
        include_str!("../../templates/style.css.html")
    );
    let points: usize = table.values.iter().map(Vec::len).product();
    let _ = write!(
        h,
        "<header class=\"page-head\"><h1>{}</h1><p class=\"subtitle\">{} point(s) × {} seed(s) × {} strateg{} = {} run(s). Lines: mean over seeds; bands: minimum to maximum over seeds.</p>\
<nav class=\"toc\"><a href=\"#curves\">Curves</a><a href=\"#points\">Points</a></nav></header>\n<main>\n",
        esc(&title),
        points,
        table.seeds,
        table.strategies.len(),
        if table.strategies.len() == 1 { "y" } else { "ies" },
        records.len()
    );
    let _ = write!(h, "<section id=\"curves\"><h2>Curves</h2>");
    if charts.is_empty() {
        let _ = write!(h, "<p class=\"hint\">No axis, or no metric varies: nothing to draw.</p>");
    }
    for (axis, ms) in &flat {
        let _ = write!(h, "<p class=\"hint\">Not drawn against {}: unchanged along it ({}).</p>", esc(axis), esc(&ms.join(", ")));
    }
    let _ = write!(h, "<div class=\"charts\">");
    for (i, (axis, metric, (svg, caption))) in charts.iter().enumerate() {
        let _ = write!(
            h,
            "<figure id=\"chart-{i}\"><figcaption><h3>{} vs {}</h3><p>{}</p></figcaption>{svg}</figure>",
            esc(metric),
            esc(axis),
            esc(caption)
        );
    }
    let _ = write!(
        h,
        "</div></section>\n<section id=\"points\"><h2>Points</h2><p class=\"hint\">Mean over seeds, with minimum–maximum when they differ.</p><div class=\"table-wrap\"><table><thead><tr>"
    );
    for a in &table.axes {
        let _ = write!(h, "<th class=\"metric\">{}</th>", esc(a));
    }
    let _ = write!(h, "<th class=\"metric\">strategy</th><th>seeds</th>");
    for m in &chosen {
        let _ = write!(h, "<th>{}</th>", esc(m));
    }
    h.push_str("</tr></thead><tbody>\n");
    for ((coords, s), rs) in &table.cells {
        let _ = write!(h, "<tr>");
        for (a, &c) in coords.iter().enumerate() {
            let _ = write!(h, "<td class=\"mono\">{}</td>", esc(&table.values[a][c]));
        }
        let _ = write!(h, "<td>{}</td><td class=\"num\">{}</td>", esc(&table.strategies[*s]), rs.len());
        for m in &chosen {
            let sp = table.spread(coords, *s, m).unwrap_or(Spread { mean: 0.0, min: 0, max: 0, n: 0 });
            let range = if sp.min == sp.max { String::new() } else { format!(" ({}–{})", sp.min, sp.max) };
            let _ = write!(h, "<td class=\"num\">{}{}</td>", mean_text(sp.mean), range);
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody></table></div></section>\n</main></body></html>\n");
    h
}

/// CSV: a header, then one row per record in item order: index, key, one column per axis,
/// seed, strategy, digest, every metric and `iotlb_hit_permille`.
pub fn csv(records: &[Record]) -> String {
    let mut sorted: Vec<&Record> = records.iter().collect();
    sorted.sort_by_key(|r| r.index);
    let field = |s: &str| if s.contains([',', '"', '\n']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() };
    let mut out = String::new();
    let mut header = vec!["index".to_string(), "key".to_string()];
    if let Some(r) = sorted.first() {
        header.extend(r.coords.iter().map(|c| field(&c.axis)));
    }
    header.extend(["seed", "strategy", "digest"].map(String::from));
    header.extend(metric_names().iter().map(|m| m.to_string()));
    out.push_str(&header.join(","));
    out.push('\n');
    for r in sorted {
        let mut row = vec![r.index.to_string(), r.key.clone()];
        row.extend(r.coords.iter().map(|c| field(&c.value)));
        row.extend([r.seed.to_string(), field(&r.strategy), r.digest.clone()]);
        row.extend(metric_names().iter().map(|m| r.metric(m).unwrap_or(0).to_string()));
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests;
