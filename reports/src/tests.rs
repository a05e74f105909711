//! Page-level tests on results built in Rust (the CLI tests in `tests/report_*.rs` cover
//! real simulator output and the browser).

use sim_core::metrics::results::{PlatformBus, PlatformDevice, PlatformIommu, PlatformSummary};
use sim_core::metrics::{DeviceResult, FaultRecord, IommuResult, Results, RunResult};

use super::*;

fn platform() -> PlatformSummary {
    PlatformSummary {
        iommus: vec![
            PlatformIommu { id: "dmar0".into(), kind: "intel-vtd".into() },
            PlatformIommu { id: "smmu0".into(), kind: "arm-smmu-v3".into() },
        ],
        buses: vec![
            PlatformBus { id: "pci0000:00".into(), kind: "RootComplex".into(), parent: None, iommu: Some("dmar0".into()), acs: false },
            PlatformBus {
                id: "0000:00:01.0".into(),
                kind: "RootPort".into(),
                parent: Some("pci0000:00".into()),
                iommu: Some("dmar0".into()),
                acs: true,
            },
            PlatformBus { id: "soc".into(), kind: "PlatformBus".into(), parent: None, iommu: Some("smmu0".into()), acs: false },
        ],
        devices: vec![
            PlatformDevice { id: "0000:01:00.0".into(), parent: "0000:00:01.0".into(), iommu: "dmar0".into(), group: 0, ats: true },
            PlatformDevice { id: "0000:01:00.1".into(), parent: "0000:00:01.0".into(), iommu: "dmar0".into(), group: 0, ats: false },
            PlatformDevice { id: "gpu".into(), parent: "soc".into(), iommu: "smmu0".into(), group: 1, ats: false },
        ],
        groups: vec![vec!["0000:01:00.0".into(), "0000:01:00.1".into()], vec!["gpu".into()]],
    }
}

fn run(strategy: &str, domains: u64, failed: u64, scale: u64) -> RunResult {
    let mut r = RunResult { strategy: strategy.into(), digest: format!("{:016x}", domains * 7919 + scale), ..Default::default() };
    let m = &mut r.metrics;
    m.domains_allocated = domains;
    m.domains_peak = domains;
    m.domains_final = domains;
    m.attaches_ok = 2 - failed;
    m.attaches_failed = failed;
    m.hard_failures = failed;
    m.trial_attaches = 2 - domains.min(2);
    m.pagetable_bytes_peak = 16384 * domains;
    m.cpu_cycles_attach = 15000 * domains;
    m.cpu_cycles_map = 4200 * domains * scale;
    m.cpu_cycles_unmap = 3100 * domains;
    m.cpu_cycles_invalidate = 4700 * scale;
    m.invalidations_domain = 2 * domains;
    m.invalidations_devtlb = 1;
    m.translations = 20000;
    m.devtlb_hits = 16000;
    m.iotlb_hits = 3990;
    m.iotlb_misses = 10;
    m.faults = 2 + failed * 1000;
    m.stale_translations = if strategy == "vfio-type1" { 5 } else { 0 };
    m.dma_latency_p50 = 1;
    m.dma_latency_p99 = 3 * scale;
    r.iommus = vec![
        IommuResult {
            id: "dmar0".into(),
            kind: "intel-vtd".into(),
            iotlb_hits: 3990,
            iotlb_misses: 10,
            invalidations: 2,
            ..Default::default()
        },
        IommuResult { id: "smmu0".into(), kind: "arm-smmu-v3".into(), invalidations: domains, ..Default::default() },
    ];
    r.devices = vec![
        DeviceResult { id: "0000:01:00.0".into(), iommu: "dmar0".into(), group: 0, domain: Some(0), ..Default::default() },
        DeviceResult { id: "0000:01:00.1".into(), iommu: "dmar0".into(), group: 0, domain: Some(0), ..Default::default() },
        DeviceResult {
            id: "gpu".into(),
            iommu: "smmu0".into(),
            group: 1,
            domain: if failed > 0 { None } else { Some(domains - 1) },
            ..Default::default()
        },
    ];
    r.latency_buckets = vec![(1, 16000), (3, 3990 * scale), (223, 8), (720, 2)];
    r.fault_log = vec![FaultRecord { cycle: 500000, device: "gpu".into(), iova: 0x8000_0000, reason: "not mapped".into() }];
    r
}

pub(crate) fn sample() -> Results {
    Results {
        schema: sim_core::metrics::SCHEMA,
        scenario: "tiny-vm".into(),
        topology: "tiny".into(),
        seed: 42,
        runs: vec![run("per-group", 2, 0, 1), run("vfio-type1", 1, 0, 1), run("hard-fail", 1, 1, 1), run("compat-index", 1, 0, 2)],
        platform: platform(),
    }
}

/// The page's text outside SVG/HTML tags is not needed here: these checks look at the markup.
fn assert_no_external_reference(html: &str) {
    let lower = html.to_ascii_lowercase();
    for bad in ["http://", "https://", "@import", "<script", "<link", "<iframe", "<img"] {
        assert!(!lower.contains(bad), "page contains {bad:?}");
    }
    for attr in ["src=", "href="] {
        for (i, _) in lower.match_indices(attr) {
            let rest = &lower[i + attr.len()..];
            let value = rest.trim_start_matches(['"', '\'']);
            assert!(value.starts_with('#'), "{attr} must point inside the page: {}", &rest[..rest.len().min(60)]);
        }
    }
    for (i, _) in lower.match_indices("url(") {
        let rest = &lower[i + 4..];
        assert!(rest.trim_start_matches(['"', '\'']).starts_with('#'), "url( must be local: {}", &rest[..rest.len().min(60)]);
    }
}

#[test]
fn renders_every_part_for_one_input() {
    let html = try_render(&[("tiny", sample())]).expect("renders");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<title>iommu-sim report: tiny-vm</title>"));
    // Eight charts plus one platform diagram per strategy.
    assert_eq!(html.matches("<svg class=\"chart").count(), 8 + 4);
    assert_eq!(html.matches("<svg class=\"chart platform").count(), 4);
    assert!(html.contains("class=\"chart cdf\""));
    // Table: a column per strategy, metric docs as tooltips, the best value marked.
    assert!(html.contains("<abbr title=\"Domains ever allocated. (lower is better)\">domains_allocated</abbr>"), "{html}");
    assert!(html.contains("<span class=\"star\" aria-label=\"best\">★</span>"));
    // Findings in plain words.
    assert!(html.contains("hard-fail failed 1 of 2 group attaches"), "{html}");
    assert!(html.contains("vfio-type1 and compat-index need 1 domain where per-group needs 2 (\u{2212}50.0\u{a0}%)"), "{html}");
    assert!(html.contains("gpu ends with no domain"));
    // Platform selector is CSS-only.
    assert!(html.contains("type=\"radio\" name=\"in0-plat\""));
    assert!(html.contains(".tabs > input:nth-of-type(4):checked ~ .panel:nth-of-type(4)"));
    assert_no_external_reference(&html);
}

#[test]
fn identical_results_give_identical_bytes() {
    let a = render(&[("x", sample())]);
    let b = render(&[("x", sample())]);
    assert_eq!(a, b);
    let m1 = render(&[("a", sample()), ("b", sample())]);
    let m2 = render(&[("a".to_string(), sample()), ("b".to_string(), sample())]);
    assert_eq!(m1, m2);
}

#[test]
fn several_inputs_side_by_side_with_deltas() {
    let base = sample();
    let mut other = sample();
    other.seed = 43;
    other.runs[0].metrics.cpu_cycles_map *= 2;
    other.runs[0].digest = "ffffffffffffffff".into();
    other.runs.pop();
    let html = try_render(&[("model v1", base), ("model v2", other)]).expect("renders");
    assert!(html.contains("<th colspan=\"4\" class=\"input-head\">model v1</th>"), "{html}");
    assert!(html.contains("<th colspan=\"3\" class=\"input-head sep\">model v2</th>"));
    assert!(html.contains("id=\"changes\""));
    assert!(html.contains("model v2 vs model v1: metrics differ for 1 of 3 strategies (per-group)"), "{html}");
    assert!(html.contains("Only in model v1: compat-index."));
    assert!(html.contains("8,400 → 16,800<span class=\"chg\">+100.0\u{a0}%</span>"), "{html}");
    assert!(html.contains("id=\"in1-platform\""));
    assert_eq!(html.matches("<svg class=\"chart").count(), 8 + 4 + 8 + 3);
    assert_no_external_reference(&html);
}

#[test]
fn labels_and_names_are_escaped() {
    let mut r = sample();
    r.scenario = "<script>alert(1)</script>".into();
    r.runs[0].strategy = "\"><img src=x>".into();
    r.platform.devices[2].id = "<b>gpu</b>".into();
    let html = render(&[("<i>label</i> & \"q\"", r)]);
    assert!(!html.contains("<script>alert"));
    assert!(!html.contains("<img"));
    assert!(!html.contains("<b>gpu"));
    assert!(!html.contains("<i>label"));
    assert!(html.contains("&lt;script&gt;"));
}

#[test]
fn degenerate_inputs_render() {
    let empty: &[(&str, Results)] = &[];
    assert!(try_render(empty).expect("no inputs").contains("No results were given."));
    let html = try_render(&[("empty", Results::default())]).expect("empty results");
    assert!(html.contains("These results hold no runs."));
    assert_no_external_reference(&html);
    let mut one = sample();
    one.runs.truncate(1);
    one.runs[0].latency_buckets.clear();
    one.runs[0].iommus.clear();
    try_render(&[("one", one)]).expect("one run");
}

#[test]
fn write_report_names_the_path_on_failure() {
    let err = write_report(Path::new("/nonexistent-dir/x/report.html"), &[("x", sample())]).unwrap_err();
    assert!(err.to_string().contains("/nonexistent-dir/x/report.html"));
}

/// Issue 14 item 7: wording and legibility details a new user met in the default report.
#[test]
fn small_wording_and_legibility_details() {
    let mut r = sample();
    r.platform.devices.truncate(1);
    r.platform.groups.truncate(1);
    for run in &mut r.runs {
        run.metrics.domains_final = 0;
    }
    let html = try_render(&[("tiny", r.clone())]).expect("renders");
    assert!(html.contains("1 device in 1 IOMMU group."), "singular device and group");
    assert!(!html.contains("1 devices"));
    // domains_final is 0: colours are the last domain, and the page says so.
    assert!(html.contains("was last attached to (every strategy had detached every device"), "last, not final, domain");
    assert!(html.contains("Last domain of each device"));
    assert!(!html.contains("from saved results"), "the footer does not claim where the results came from");
    // The platform diagram never shrinks below 4/5 scale (12 px labels stay ≥ 9.6 px on a phone).
    let svg_start = html.find("<svg class=\"chart platform\"").expect("platform diagram");
    let tag = &html[svg_start..svg_start + html[svg_start..].find('>').unwrap()];
    let width: i64 = tag.split("width=\"").nth(1).unwrap().split('"').next().unwrap().parse().unwrap();
    assert!(tag.contains(&format!("min-width: {}px", width * 4 / 5)), "{tag}");
    // A hit rate of 0 everywhere is explained, not left as an empty-looking chart.
    for run in &mut r.runs {
        run.metrics.iotlb_hits = 0;
    }
    let html = try_render(&[("tiny", r)]).expect("renders");
    assert!(html.contains("Every lookup of this run missed"), "0 % hit rate explained");
    // Cycle axes carry their unit on the last tick.
    assert!(html.contains(" cycles</text>"), "a cycles axis names its unit");
}
