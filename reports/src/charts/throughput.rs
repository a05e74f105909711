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
