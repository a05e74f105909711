//! Achieved vs offered throughput: a band per generator that moves data, one bar for what it
//! was offered, one per strategy, and one per no-translation baseline (identity domain, IOMMU
//! off), so the cost of translation reads directly as the gap to the baselines.

use sim_core::metrics::Results;

use super::bars::{self, Series};
use super::{Chart, Unit, series_colour, series_dash};

/// The chart for `r`, if any generator moves data. `id` is the chart's anchor.
pub fn chart(id: String, r: &Results) -> Option<Chart> {
    let first = r.runs.first()?;
    let gens: Vec<usize> = (0..first.generators.len()).filter(|&i| first.generators[i].kind != "vm").collect();
    if gens.is_empty() {
        return None;
    }
    let runs: Vec<_> = r.runs.iter().chain(&r.baselines).collect();
    let mut series = vec![Series { name: "offered".into(), colour: "#bab0ac", dash: "" }];
    for (i, run) in runs.iter().enumerate() {
        let baseline = i >= r.runs.len();
        let colour = if baseline { ["#59a14f", "#9c755f"][(i - r.runs.len()) % 2] } else { series_colour(i) };
        series.push(Series { name: run.strategy.clone(), colour, dash: if baseline { "" } else { series_dash(i) } });
    }
    let groups: Vec<String> = gens.iter().map(|&i| format!("{} ({})", first.generators[i].id, first.generators[i].kind)).collect();
    let values: Vec<Vec<Option<u64>>> = gens
        .iter()
        .map(|&i| {
            let offered = first.generators[i].offered_mbps;
            std::iter::once((offered > 0).then_some(offered))
                .chain(runs.iter().map(|run| run.generators.get(i).map(|g| g.achieved_mbps)))
                .collect()
        })
        .collect();
    Some(Chart {
        id,
        title: "Throughput: achieved vs offered".into(),
        caption: "Payload Gb/s each generator achieved over its active time under each strategy, beside what it was offered \
                  (none for a DMA engine, which runs as fast as it can) and the same scenario with an identity (passthrough) \
                  domain and with the IOMMU off. The gap to the baselines is what translation costs."
            .into(),
        svg: bars::grouped("Achieved and offered throughput per generator", &groups, &series, &values, Unit::Mbps),
    })
}

#[cfg(test)]
mod tests {
    use sim_core::metrics::{GeneratorResult, Results, RunResult};

    fn run(strategy: &str, achieved: u64) -> RunResult {
        let g =
            GeneratorResult { id: "nic".into(), kind: "nic".into(), offered_mbps: 100_000, achieved_mbps: achieved, ..Default::default() };
        let vm = GeneratorResult { id: "vm".into(), kind: "vm".into(), ..Default::default() };
        RunResult { strategy: strategy.into(), generators: vec![g, vm], ..Default::default() }
    }

    #[test]
    fn bars_for_offered_each_strategy_and_each_baseline() {
        let r = Results {
            runs: vec![run("per-group", 24_549), run("vfio-type1", 30_000)],
            baselines: vec![run("identity", 99_924), run("iommu-off", 99_925)],
            ..Default::default()
        };
        let c = super::chart("t".into(), &r).expect("a chart");
        for needle in ["offered", "per-group", "vfio-type1", "identity", "iommu-off", "nic (nic)", "24.549 Gb/s", "99.925 Gb/s"] {
            assert!(c.svg.contains(needle), "{needle} missing");
        }
        assert!(!c.svg.contains("vm (vm)"), "a VM moves no data of its own");
        // No chart without a data-moving generator.
        let none = Results { runs: vec![RunResult::default()], ..Default::default() };
        assert!(super::chart("t".into(), &none).is_none());
    }
}
