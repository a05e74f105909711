use sim_core::metrics::Metrics;
use sim_core::sweep::Record;
use sim_core::sweep::record::Coord;

fn record(index: u64, size: &str, mode: &str, seed: u64, strategy: &str, domains: u64, hits: u64) -> Record {
    Record {
        key: format!("{index:032x}"),
        sweep: "t".into(),
        grid: "0".into(),
        index,
        of: 16,
        point: index / 4,
        coords: vec![Coord { axis: "size".into(), value: size.into() }, Coord { axis: "mode".into(), value: mode.into() }],
        seed,
        strategy: strategy.into(),
        digest: "0".into(),
        metrics: Metrics { domains_peak: domains, iotlb_hits: hits, iotlb_misses: 1000 - hits, ..Metrics::default() },
    }
}

fn sample() -> Vec<Record> {
    let mut v = Vec::new();
    let mut i = 0;
    for (size, mode) in [("0x1000", "Strict"), ("0x1000", "Lazy"), ("0x100_0000", "Strict"), ("0x100_0000", "Lazy")] {
        for seed in [1, 2] {
            for (s, strategy) in ["per-group", "vfio-type1"].iter().enumerate() {
                let big = size.len() > 6;
                v.push(record(i, size, mode, seed, strategy, 4 - s as u64 * 2, if big { 100 + seed * 10 } else { 900 }));
                i += 1;
            }
        }
    }
    v
}

#[test]
fn page_has_a_chart_per_axis_and_varying_metric_and_is_deterministic() {
    let records = sample();
    let html = super::render(&records, &[]);
    let mut reversed = records.clone();
    reversed.reverse();
    assert_eq!(html, super::render(&reversed, &[]), "input order must not matter");
    // Varying: domains_peak (only across strategies: drawn nowhere), iotlb_hits, iotlb_misses
    // and iotlb_hit_permille (along `size` only).
    assert_eq!(html.matches("<svg class=\"chart sweep\"").count(), 3, "{html}");
    assert!(html.contains("Not drawn against mode: unchanged along it (domains_peak, iotlb_hits"), "{html}");
    assert!(html.contains("(log scale)"), "0x1000..0x100_0000 spans decades");
    assert!(html.contains("minimum to maximum"));
    assert!(!html.contains("<script") && !html.contains("http"), "self-contained");
    let one = super::render(&records, &["domains_peak".to_string()]);
    assert_eq!(one.matches("<svg class=\"chart sweep\"").count(), 2);
}

#[test]
fn csv_has_a_row_per_record_and_an_axis_column_each() {
    let csv = super::csv(&sample());
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 1 + 16);
    assert!(lines[0].starts_with("index,key,size,mode,seed,strategy,digest,events,"));
    assert!(lines[0].ends_with(",iotlb_hit_permille"));
    assert!(lines[1].ends_with(",900"), "{}", lines[1]);
}
