//! Turns `(label, Results)` inputs into the template's context: every number already
//! formatted (integers only), every chart already drawn, every list in a fixed order.

use std::collections::BTreeMap;

use serde::Serialize;
use sim_core::metrics::{Better, Metrics, Results, RunResult};

use crate::charts::bars::{self, Series};
use crate::charts::{Chart, Unit, cdf, platform, series_colour, series_dash};
use crate::findings::{self, Finding, cpu_total, iotlb_hit_permille};
use crate::fmt;

/// The whole page.
#[derive(Serialize)]
pub struct Page {
    pub title: String,
    pub subtitle: String,
    pub multi: bool,
    pub inputs: Vec<InputView>,
    pub table: Table,
    pub deltas: Vec<Delta>,
    pub cross_findings: Vec<Finding>,
    /// Most strategy tabs in one platform selector (CSS rules are generated up to this).
    pub max_tabs: usize,
}

#[derive(Serialize)]
pub struct InputView {
    pub idx: usize,
    pub anchor: String,
    pub label: String,
    pub scenario: String,
    pub topology: String,
    pub seed: u64,
    pub schema: u32,
    pub strategies: Vec<String>,
    pub n_iommus: usize,
    pub n_buses: usize,
    pub n_devices: usize,
    pub n_groups: usize,
    pub n_shared_groups: usize,
    pub n_ats: usize,
    pub iommus: Vec<IommuRow>,
    pub findings: Vec<Finding>,
    pub platform_tabs: Vec<Tab>,
    pub domain_matrix: DomainMatrix,
    pub charts: Vec<Chart>,
    pub fault_logs: Vec<FaultLog>,
    /// Every run ended with no domain alive: device colours show the last domain, not a
    /// final one.
    pub all_detached: bool,
}

#[derive(Serialize)]
pub struct IommuRow {
    pub id: String,
    pub kind: String,
    pub devices: usize,
    pub groups: usize,
}

#[derive(Serialize)]
pub struct Tab {
    pub id: String,
    pub strategy: String,
    pub svg: String,
}

#[derive(Serialize)]
pub struct DomainMatrix {
    pub strategies: Vec<String>,
    pub rows: Vec<DomainRow>,
}

#[derive(Serialize)]
pub struct DomainRow {
    pub device: String,
    pub group: u64,
    pub iommu: String,
    pub cells: Vec<DomainCell>,
}

#[derive(Serialize)]
pub struct DomainCell {
    pub text: String,
    pub colour: String,
}

#[derive(Serialize)]
pub struct FaultLog {
    pub strategy: String,
    pub total: u64,
    pub shown: usize,
    pub records: Vec<FaultRow>,
}

#[derive(Serialize)]
pub struct FaultRow {
    pub cycle: String,
    pub device: String,
    pub iova: String,
    pub reason: String,
}

/// The comparison table: a column per (input, strategy), a row per metric, in sections.
#[derive(Serialize)]
pub struct Table {
    pub input_headers: Vec<Span>,
    pub columns: Vec<Column>,
    pub sections: Vec<Section>,
}

#[derive(Serialize)]
pub struct Span {
    pub label: String,
    pub span: usize,
}

#[derive(Serialize)]
pub struct Column {
    pub strategy: String,
    pub input: usize,
    pub digest: String,
    pub first_of_input: bool,
}

#[derive(Serialize)]
pub struct Section {
    pub title: String,
    pub rows: Vec<Row>,
}

#[derive(Serialize)]
pub struct Row {
    pub name: String,
    pub doc: String,
    pub better: &'static str,
    pub arrow: &'static str,
    pub derived: bool,
    pub cells: Vec<Cell>,
}

#[derive(Serialize)]
pub struct Cell {
    pub text: String,
    pub exact: String,
    pub best: bool,
    pub first_of_input: bool,
}

/// Changes of one input against the first (baseline) input.
#[derive(Serialize)]
pub struct Delta {
    pub label: String,
    pub base: String,
    pub strategies: Vec<String>,
    pub rows: Vec<DeltaRow>,
}

#[derive(Serialize)]
pub struct DeltaRow {
    pub name: String,
    pub doc: String,
    pub cells: Vec<DeltaCell>,
}

#[derive(Serialize)]
pub struct DeltaCell {
    pub text: String,
    pub change: String,
    /// `better`, `worse`, `same` or `neutral` (for styling).
    pub tone: &'static str,
}

/// The table section a metric belongs to (by name, so metrics added later still land
/// somewhere sensible).
fn section_of(name: &str) -> usize {
    match name {
        "events" => 0,
        n if n.starts_with("cpu_cycles") => 3,
        n if n.starts_with("domains_") || n.contains("attach") || n.ends_with("_failures") || n == "detaches" => 1,
        n if n.starts_with("pagetable_") || n.contains("map") => 2,
        n if n.starts_with("invalidations") || n == "flushes" => 4,
        n if n.starts_with("dma_latency") => 6,
        n if n.contains("translation") && n != "stale_translations" || n.contains("tlb") || n.starts_with("walk") => 5,
        n if n.contains("fault") || n.contains("stale") || n.contains("log") => 7,
        _ => 8,
    }
}

const SECTIONS: [&str; 9] = [
    "Run",
    "Domains and attaches",
    "Page tables and mappings",
    "CPU cost (cycles)",
    "Invalidation",
    "Translation",
    "DMA latency (cycles)",
    "Faults and errors",
    "Other",
];

/// A row's value for one run: metric name, or one of the derived rows.
fn value(run: &RunResult, name: &str) -> Option<u64> {
    match name {
        "cpu_cycles_total" => Some(cpu_total(&run.metrics)),
        "iotlb_hit_rate" => iotlb_hit_permille(&run.metrics),
        n => run.metrics.get(n),
    }
}

fn show(name: &str, v: u64) -> (String, String) {
    if name == "iotlb_hit_rate" {
        (fmt::percent(v), fmt::percent(v))
    } else if name.contains("bytes") {
        (fmt::bytes(v), format!("{} bytes", fmt::thousands(v)))
    } else {
        (fmt::thousands(v), fmt::thousands(v))
    }
}

struct RowSpec {
    name: &'static str,
    doc: &'static str,
    better: Better,
    derived: bool,
}

fn row_specs() -> Vec<(usize, RowSpec)> {
    let mut specs: Vec<(usize, RowSpec)> = Metrics::INFO
        .iter()
        .map(|i| (section_of(i.name), RowSpec { name: i.name, doc: i.doc, better: i.better, derived: false }))
        .collect();
    specs.push((
        3,
        RowSpec {
            name: "cpu_cycles_total",
            doc: "Derived: attach + map + unmap + invalidate CPU cycles.",
            better: Better::Lower,
            derived: true,
        },
    ));
    specs.push((
        5,
        RowSpec {
            name: "iotlb_hit_rate",
            doc: "Derived: IOTLB hits / (hits + misses), in per-mille shown as a percentage.",
            better: Better::Higher,
            derived: true,
        },
    ));
    // Stable sort keeps metric order within a section.
    specs.sort_by_key(|(s, _)| *s);
    specs
}

fn table(inputs: &[(&str, &Results)]) -> Table {
    let multi = inputs.len() > 1;
    let mut columns = Vec::new();
    let mut input_headers = Vec::new();
    for (i, (label, r)) in inputs.iter().enumerate() {
        input_headers.push(Span { label: (*label).to_string(), span: r.runs.len() });
        for (k, run) in r.runs.iter().enumerate() {
            columns.push(Column {
                strategy: run.strategy.clone(),
                input: i,
                digest: run.digest.clone(),
                first_of_input: multi && k == 0 && i > 0,
            });
        }
    }
    let mut sections: Vec<Section> = Vec::new();
    for (sec, spec) in row_specs() {
        let mut cells = Vec::new();
        for (i, (_, r)) in inputs.iter().enumerate() {
            let values: Vec<Option<u64>> = r.runs.iter().map(|run| value(run, spec.name)).collect();
            // Only strategies that attached every group compete for "best" (findings.rs).
            let eligible = findings::best_eligible(&r.runs.iter().collect::<Vec<_>>());
            let known: Vec<u64> = values.iter().zip(&eligible).filter(|(_, e)| **e).filter_map(|(v, _)| *v).collect();
            let all_equal = known.windows(2).all(|w| w[0] == w[1]);
            let best = match spec.better {
                Better::Lower => known.iter().min().copied(),
                Better::Higher => known.iter().max().copied(),
                Better::Neither => None,
            };
            for (k, v) in values.iter().enumerate() {
                let (text, exact) = v.map(|v| show(spec.name, v)).unwrap_or_else(|| ("n/a".into(), "not applicable".into()));
                let best = eligible[k] && !all_equal && v.is_some() && *v == best;
                cells.push(Cell { text, exact, best, first_of_input: multi && k == 0 && i > 0 });
            }
        }
        let (better, arrow) = match spec.better {
            Better::Lower => ("lower is better", "↓"),
            Better::Higher => ("higher is better", "↑"),
            Better::Neither => ("informational", ""),
        };
        let row = Row { name: spec.name.to_string(), doc: spec.doc.trim().to_string(), better, arrow, derived: spec.derived, cells };
        match sections.last_mut() {
            Some(s) if s.title == SECTIONS[sec] => s.rows.push(row),
            _ => sections.push(Section { title: SECTIONS[sec].to_string(), rows: vec![row] }),
        }
    }
    Table { input_headers, columns, sections }
}

fn delta(base_label: &str, base: &Results, label: &str, new: &Results) -> Delta {
    let pairs: Vec<(&RunResult, &RunResult)> =
        new.runs.iter().filter_map(|n| base.runs.iter().find(|b| b.strategy == n.strategy).map(|b| (b, n))).collect();
    let mut rows = Vec::new();
    for (_, spec) in row_specs() {
        let vals: Vec<(Option<u64>, Option<u64>)> = pairs.iter().map(|(b, n)| (value(b, spec.name), value(n, spec.name))).collect();
        if vals.iter().all(|(a, b)| a == b) {
            continue;
        }
        let cells = vals
            .iter()
            .map(|&(a, b)| match (a, b) {
                (Some(a), Some(b)) if a == b => DeltaCell { text: show(spec.name, b).0, change: "=".into(), tone: "same" },
                (Some(a), Some(b)) => {
                    let change =
                        fmt::change_permille(a, b).map(fmt::signed_percent).unwrap_or_else(|| format!("was {}", show(spec.name, a).0));
                    let tone = match spec.better {
                        Better::Lower if b < a => "better",
                        Better::Higher if b > a => "better",
                        Better::Neither => "neutral",
                        _ => "worse",
                    };
                    DeltaCell { text: format!("{} → {}", show(spec.name, a).0, show(spec.name, b).0), change, tone }
                }
                (a, b) => DeltaCell {
                    text: format!(
                        "{} → {}",
                        a.map_or("n/a".into(), |v| show(spec.name, v).0),
                        b.map_or("n/a".into(), |v| show(spec.name, v).0)
                    ),
                    change: String::new(),
                    tone: "neutral",
                },
            })
            .collect();
        rows.push(DeltaRow { name: spec.name.to_string(), doc: spec.doc.trim().to_string(), cells });
    }
    Delta {
        label: label.to_string(),
        base: base_label.to_string(),
        strategies: pairs.iter().map(|(_, n)| n.strategy.clone()).collect(),
        rows,
    }
}

fn series(names: &[&str], colours: &[&'static str]) -> Vec<Series> {
    names.iter().zip(colours).map(|(n, c)| Series { name: (*n).to_string(), colour: c, dash: "" }).collect()
}

/// Strategy series coloured by position (the same colour for a strategy in every chart).
fn strategy_series(r: &Results) -> Vec<Series> {
    r.runs
        .iter()
        .enumerate()
        .map(|(i, run)| Series { name: run.strategy.clone(), colour: series_colour(i), dash: series_dash(i) })
        .collect()
}

fn charts(idx: usize, r: &Results) -> Vec<Chart> {
    let rows: Vec<String> = r.runs.iter().map(|x| x.strategy.clone()).collect();
    let id = |s: &str| format!("in{idx}-{s}");
    let mut out = Vec::new();

    let cpu: Vec<Vec<u64>> = r
        .runs
        .iter()
        .map(|x| vec![x.metrics.cpu_cycles_attach, x.metrics.cpu_cycles_map, x.metrics.cpu_cycles_unmap, x.metrics.cpu_cycles_invalidate])
        .collect();
    out.push(Chart {
        id: id("cpu"),
        title: "CPU cost by path".into(),
        caption: "Cycles the modelled kernel spends attaching, mapping, unmapping and invalidating, per strategy. Shorter is cheaper."
            .into(),
        svg: bars::stacked(
            "CPU cycles per strategy, stacked by path",
            &rows,
            &series(&["attach", "map", "unmap", "invalidate"], &["#4e79a7", "#59a14f", "#edc948", "#e15759"]),
            &cpu,
            Unit::Cycles,
        ),
    });

    let doms: Vec<Vec<Option<u64>>> = r
        .runs
        .iter()
        .map(|x| vec![Some(x.metrics.domains_allocated), Some(x.metrics.domains_peak), Some(x.metrics.domains_final)])
        .collect();
    out.push(Chart {
        id: id("domains"),
        title: "Domains".into(),
        caption: "Domains ever allocated, alive at the peak, and alive at the end. Fewer domains means fewer page tables to keep in sync."
            .into(),
        svg: bars::grouped(
            "Domains per strategy",
            &rows,
            &series(&["allocated", "peak", "final"], &["#4e79a7", "#76b7b2", "#bab0ac"]),
            &doms,
            Unit::Count,
        ),
    });

    let mem: Vec<Vec<Option<u64>>> =
        r.runs.iter().map(|x| vec![Some(x.metrics.pagetable_bytes_peak), Some(x.metrics.pagetable_bytes_final)]).collect();
    out.push(Chart {
        id: id("memory"),
        title: "Page-table memory".into(),
        caption: "Bytes of IOMMU page tables, all domains together: the peak and what is left at the end.".into(),
        svg: bars::grouped(
            "Page-table memory per strategy",
            &rows,
            &series(&["peak", "final"], &["#b07aa1", "#ff9da7"]),
            &mem,
            Unit::Bytes,
        ),
    });

    // IOTLB hit rate: a band per IOMMU instance, a bar per strategy.
    let mut iommu_ids: Vec<String> = r.platform.iommus.iter().map(|m| m.id.clone()).collect();
    for run in &r.runs {
        for m in &run.iommus {
            if !iommu_ids.contains(&m.id) {
                iommu_ids.push(m.id.clone());
            }
        }
    }
    let hit: Vec<Vec<Option<u64>>> = iommu_ids
        .iter()
        .map(|id| {
            r.runs
                .iter()
                .map(|run| {
                    run.iommus
                        .iter()
                        .find(|m| &m.id == id)
                        .and_then(|m| fmt::permille(m.iotlb_hits, m.iotlb_hits.saturating_add(m.iotlb_misses)))
                })
                .collect()
        })
        .collect();
    out.push(Chart {
        id: id("iotlb"),
        title: "IOTLB hit rate per IOMMU".into(),
        caption: {
            let mut c =
                "Hits over IOTLB lookups on each IOMMU instance (translations served by a device TLB never reach it). n/a: no lookups."
                    .to_string();
            let lookups: u64 =
                r.runs.iter().map(|x| x.metrics.iotlb_hits.saturating_add(x.metrics.iotlb_misses)).fold(0, u64::saturating_add);
            let hits: u64 = r.runs.iter().map(|x| x.metrics.iotlb_hits).fold(0, u64::saturating_add);
            if lookups > 0 && hits == 0 {
                c.push_str(
                    " Every lookup of this run missed, under every strategy: no translation reached an IOMMU for a page whose entry \
                     was still cached (per-request maps get fresh, unmapped-after-use buffers; streams move on to new pages; repeated \
                     pages were served by device TLBs first). That is a finding about the workload, not an empty chart.",
                );
            }
            c
        },
        svg: bars::grouped("IOTLB hit rate per IOMMU instance and strategy", &iommu_ids, &strategy_series(r), &hit, Unit::Permille),
    });

    // Latency CDF; strategies with identical distributions share one curve.
    // (strategies sharing the curve, index of the first for its colour, buckets)
    type Shared<'a> = (Vec<&'a str>, usize, &'a [(u64, u64)]);
    let mut curves: Vec<Shared<'_>> = Vec::new();
    for (i, run) in r.runs.iter().enumerate() {
        match curves.iter_mut().find(|c| c.2 == run.latency_buckets.as_slice()) {
            Some(c) => c.0.push(run.strategy.as_str()),
            None => curves.push((vec![run.strategy.as_str()], i, run.latency_buckets.as_slice())),
        }
    }
    let cdf_curves: Vec<cdf::Curve<'_>> = curves
        .iter()
        .map(|(names, i, b)| cdf::Curve {
            series: Series { name: fmt::join_names(names), colour: series_colour(*i), dash: series_dash(*i) },
            buckets: b,
        })
        .collect();
    let merged = curves.len() < r.runs.len();
    out.push(Chart {
        id: id("latency"),
        title: "DMA translation latency".into(),
        caption: format!(
            "Cumulative share of translations completed within a number of cycles (log scale); further left and higher is faster.{}",
            if merged { " Strategies with identical distributions share a curve." } else { "" }
        ),
        svg: cdf::chart("Cumulative distribution of per-translation latency", &cdf_curves),
    });

    let inv: Vec<Vec<Option<u64>>> = r
        .runs
        .iter()
        .map(|x| {
            let m = &x.metrics;
            vec![Some(m.invalidations_page), Some(m.invalidations_domain), Some(m.invalidations_global), Some(m.invalidations_devtlb)]
        })
        .collect();
    out.push(Chart {
        id: id("invalidations"),
        title: "Invalidation commands".into(),
        caption: "Page/range, domain-wide and global IOTLB invalidations (each IOMMU instance reached counts once) and device-TLB (ATS) invalidations.".into(),
        svg: bars::grouped(
            "Invalidation commands by granularity",
            &rows,
            &series(&["page", "domain", "global", "device TLB"], &["#59a14f", "#f28e2b", "#e15759", "#9c755f"]),
            &inv,
            Unit::Count,
        ),
    });

    // Fan-out: which IOMMU instances received the commands.
    let fan_series: Vec<Series> =
        iommu_ids.iter().enumerate().map(|(i, n)| Series { name: n.clone(), colour: series_colour(i + 3), dash: "" }).collect();
    let fan: Vec<Vec<u64>> = r
        .runs
        .iter()
        .map(|run| iommu_ids.iter().map(|id| run.iommus.iter().find(|m| &m.id == id).map_or(0, |m| m.invalidations)).collect())
        .collect();
    out.push(Chart {
        id: id("fanout"),
        title: "Invalidation fan-out".into(),
        caption:
            "Invalidation commands received by each IOMMU instance: a domain shared across instances must invalidate on every one of them."
                .into(),
        svg: bars::stacked("Invalidation commands per IOMMU instance", &rows, &fan_series, &fan, Unit::Count),
    });

    let faults: Vec<Vec<Option<u64>>> =
        r.runs.iter().map(|x| vec![Some(x.metrics.faults), Some(x.metrics.stale_translations), Some(x.metrics.attaches_failed)]).collect();
    out.push(Chart {
        id: id("faults"),
        title: "Faults and stale translations".into(),
        caption: "DMA faults, translations served from an IOTLB entry already unmapped (a correctness hazard), and failed group attaches."
            .into(),
        svg: bars::grouped(
            "Faults, stale translations and failed attaches",
            &rows,
            &series(&["faults", "stale translations", "failed attaches"], &["#e15759", "#b07aa1", "#9c755f"]),
            &faults,
            Unit::Count,
        ),
    });
    out
}

fn input_view(idx: usize, label: &str, r: &Results) -> InputView {
    let p = &r.platform;
    let iommus = p
        .iommus
        .iter()
        .map(|m| {
            let devs: Vec<_> = p.devices.iter().filter(|d| d.iommu == m.id).collect();
            let mut groups: Vec<u64> = devs.iter().map(|d| d.group).collect();
            groups.sort_unstable();
            groups.dedup();
            IommuRow { id: m.id.clone(), kind: m.kind.clone(), devices: devs.len(), groups: groups.len() }
        })
        .collect();
    let domains_of = |run: &RunResult| -> BTreeMap<String, Option<u64>> { run.devices.iter().map(|d| (d.id.clone(), d.domain)).collect() };
    let platform_tabs: Vec<Tab> = if r.runs.is_empty() {
        vec![Tab { id: format!("in{idx}-plat-0"), strategy: "platform".into(), svg: platform::diagram("Platform", p, &BTreeMap::new()) }]
    } else {
        r.runs
            .iter()
            .enumerate()
            .map(|(k, run)| Tab {
                id: format!("in{idx}-plat-{k}"),
                strategy: run.strategy.clone(),
                svg: platform::diagram(
                    &if run.metrics.domains_final == 0 {
                        format!("Platform with the domain each device was last attached to under {} (all freed by the end)", run.strategy)
                    } else {
                        format!("Platform with the domains each device ended in under {}", run.strategy)
                    },
                    p,
                    &domains_of(run),
                ),
            })
            .collect()
    };
    // Devices × strategies matrix of final domains, coloured like the diagrams.
    let mut dev_ids: Vec<(String, u64, String)> = p.devices.iter().map(|d| (d.id.clone(), d.group, d.iommu.clone())).collect();
    for run in &r.runs {
        for d in &run.devices {
            if !dev_ids.iter().any(|x| x.0 == d.id) {
                dev_ids.push((d.id.clone(), d.group, d.iommu.clone()));
            }
        }
    }
    let colour_maps: Vec<BTreeMap<u64, &str>> = r.runs.iter().map(|run| platform::domain_colours(&domains_of(run))).collect();
    let rows = dev_ids
        .into_iter()
        .map(|(device, group, iommu)| {
            let cells = r
                .runs
                .iter()
                .zip(&colour_maps)
                .map(|(run, colours)| match run.devices.iter().find(|d| d.id == device).map(|d| d.domain) {
                    Some(Some(s)) => {
                        let c = colours.get(&s).copied().unwrap_or("#cccccc");
                        DomainCell { text: s.to_string(), colour: format!("background: {}; border-color: {c}", crate::charts::tint(c, 40)) }
                    }
                    Some(None) => DomainCell { text: "none".into(), colour: String::new() },
                    None => DomainCell { text: "–".into(), colour: String::new() },
                })
                .collect();
            DomainRow { device, group, iommu, cells }
        })
        .collect();
    let fault_logs = r
        .runs
        .iter()
        .filter(|run| !run.fault_log.is_empty())
        .map(|run| FaultLog {
            strategy: run.strategy.clone(),
            total: run.metrics.faults,
            shown: run.fault_log.len(),
            records: run
                .fault_log
                .iter()
                .map(|f| FaultRow {
                    cycle: fmt::thousands(f.cycle),
                    device: f.device.clone(),
                    iova: format!("{:#x}", f.iova),
                    reason: f.reason.clone(),
                })
                .collect(),
        })
        .collect();
    InputView {
        idx,
        anchor: format!("in{idx}"),
        label: label.to_string(),
        scenario: r.scenario.clone(),
        topology: r.topology.clone(),
        seed: r.seed,
        schema: r.schema,
        strategies: r.runs.iter().map(|x| x.strategy.clone()).collect(),
        n_iommus: p.iommus.len(),
        n_buses: p.buses.len(),
        n_devices: p.devices.len(),
        n_groups: p.groups.len(),
        n_shared_groups: p.groups.iter().filter(|g| g.len() > 1).count(),
        n_ats: p.devices.iter().filter(|d| d.ats).count(),
        iommus,
        findings: findings::for_results(r),
        platform_tabs,
        domain_matrix: DomainMatrix { strategies: r.runs.iter().map(|x| x.strategy.clone()).collect(), rows },
        charts: charts(idx, r),
        fault_logs,
        all_detached: !r.runs.is_empty() && r.runs.iter().all(|x| x.metrics.domains_final == 0),
    }
}

/// Builds the page context.
pub fn page(inputs: &[(&str, &Results)]) -> Page {
    let multi = inputs.len() > 1;
    let mut views: Vec<InputView> = inputs.iter().enumerate().map(|(i, (l, r))| input_view(i, l, r)).collect();
    // A later input whose summary says exactly what the baseline's does gets one line instead.
    if let Some((first, rest)) = views.split_first_mut() {
        for v in rest.iter_mut().filter(|v| v.findings == first.findings) {
            v.findings = vec![Finding { text: format!("The same findings as {}.", first.label), tone: "info" }];
        }
    }
    let mut deltas = Vec::new();
    let mut cross = Vec::new();
    if let Some((base_label, base)) = inputs.first() {
        for (label, r) in inputs.iter().skip(1) {
            // Changes between runs of different scenarios would compare unrelated numbers:
            // such inputs are only shown side by side (compare_inputs says so).
            if findings::comparable(base, r) {
                deltas.push(delta(base_label, base, label, r));
            }
            cross.extend(findings::compare_inputs(base_label, base, label, r));
        }
    }
    let title = match inputs {
        [] => "iommu-sim report".to_string(),
        [(_, r)] => format!("iommu-sim report: {}", r.scenario),
        _ => format!("iommu-sim report: {} inputs compared", inputs.len()),
    };
    let subtitle = match inputs {
        [] => "No results were given.".to_string(),
        [(_, r)] => format!(
            "Scenario {} on topology {}, seed {}{}: {} compared.",
            r.scenario,
            r.topology,
            r.seed,
            kernels_phrase(r),
            plural_s(r.runs.len(), "strategy", "strategies")
        ),
        _ => format!(
            "{} compared side by side; the first is the baseline.",
            fmt::join_names(&inputs.iter().map(|x| x.0).collect::<Vec<_>>())
        ),
    };
    let max_tabs = views.iter().map(|v| v.platform_tabs.len()).max().unwrap_or(0);
    Page { title, subtitle, multi, table: table(inputs), inputs: views, deltas, cross_findings: cross, max_tabs }
}

/// ", Linux 6.17" (one kernel) or ", Linux 6.1 / 6.12 / 6.17" (`compare --kernels`; runs are
/// labelled `strategy@kernel`); empty for results written before the kernel axis.
fn kernels_phrase(r: &Results) -> String {
    let mut ks: Vec<&str> = Vec::new();
    for run in &r.runs {
        if !run.kernel.is_empty() && !ks.contains(&run.kernel.as_str()) {
            ks.push(&run.kernel);
        }
    }
    if ks.is_empty() { String::new() } else { format!(", Linux {}", ks.join(" / ")) }
}

fn plural_s(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
