//! The bodies of the fuzz targets in `fuzz/` (cargo-fuzz, docs/fuzzing.md), kept here so that
//! `tests/fuzz_smoke.rs` runs them over the seed corpora in every `cargo test` without
//! cargo-fuzz or a nightly compiler. Each takes arbitrary bytes and must never panic, hang or
//! allocate without bound; where a format can be written back, the round trip must hold.

use std::path::Path;
use std::sync::OnceLock;

use crate::golden::Expected;
use crate::metrics::Results;
use crate::scenario::Scenario;
use crate::strategy::StrategyName;
use crate::topology::Platform;
use crate::trace::{TraceHeader, TraceReader, TraceWriter};

/// The bundled topologies (and `topo.ron`, the small one the test and hostile scenarios name),
/// by file name: a fuzzed scenario resolves against the one it names, else the first.
pub const TOPOLOGIES: [(&str, &str); 7] = [
    ("arm-server.ron", include_str!("../../topologies/arm-server.ron")),
    ("arm-soc.ron", include_str!("../../topologies/arm-soc.ron")),
    ("epyc.ron", include_str!("../../topologies/epyc.ron")),
    ("mixed-arm.ron", include_str!("../../topologies/mixed-arm.ron")),
    ("xeon-2s.ron", include_str!("../../topologies/xeon-2s.ron")),
    ("xeon-e5-pciebench.ron", include_str!("../../topologies/xeon-e5-pciebench.ron")),
    ("topo.ron", include_str!("../../tests/data/check/topo.ron")),
];

/// Work budget of a fuzzed scenario's run (per strategy, in `budget::estimate` units: at most
/// about 4 000 events), and its simulated-time cap (1 ms). A scenario whose first
/// `FUZZ_MAX_DURATION` cycles estimate above the budget runs the longest prefix (in simulated
/// time) that fits it, so a long bundled scenario is still run, just shorter; only one whose
/// work at time 0 alone is above the budget is skipped after loading (docs/fuzzing.md).
pub const FUZZ_MAX_EVENTS: u64 = 4_000;
pub const FUZZ_MAX_DURATION: u64 = 1_000_000;

/// Shortens `s.duration` to the longest prefix whose estimated work fits `max` (the estimate
/// grows with the duration); `false` if even a zero-length run does not fit.
fn fit_duration(s: &mut Scenario, max: u64) -> bool {
    let fits = |s: &Scenario| crate::budget::estimate(s).total() <= u128::from(max);
    if fits(s) {
        return true;
    }
    let (mut lo, mut hi) = (0, s.duration);
    s.duration = 0;
    if !fits(s) {
        return false;
    }
    // Invariant: a run of `lo` cycles fits, one of `hi` does not.
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        s.duration = mid;
        if fits(s) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    s.duration = lo;
    true
}

/// [`TOPOLOGIES`] parsed once per process: the scenario target clones the one it needs
/// instead of parsing a topology file per execution.
fn platforms() -> &'static [(&'static str, Platform)] {
    static PLATFORMS: OnceLock<Vec<(&'static str, Platform)>> = OnceLock::new();
    PLATFORMS.get_or_init(|| {
        TOPOLOGIES.iter().map(|(n, text)| (*n, Platform::parse(Path::new(n), text).expect("a bundled topology parses"))).collect()
    })
}

/// Topology loader: text → platform → both listings (streamed to a sink: what is checked is
/// that every line renders, not where it goes).
pub fn topology(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(p) = Platform::parse(Path::new("fuzz.ron"), text) {
        crate::topology::report::write_text(&p, &mut std::io::sink()).expect("a sink takes everything");
        crate::topology::report::write_json(&p, std::io::sink()).expect("a sink takes everything");
    }
    // The proposed kernel's grouping (topology/groups_proposed.rs) on the same text: an error
    // or a platform, never a panic.
    let _ = Platform::parse_for_kernel(Path::new("fuzz.ron"), text, crate::topology::quirks::Kernel::PROPOSED);
}

/// Scenario loader, then a short capped run of every strategy, one of them traced (the trace
/// reads back with as many events as were written).
pub fn scenario(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(parsed) = crate::error::parse_ron::<crate::scenario::schema::Scenario>(Path::new("fuzz.ron"), text) else { return };
    let file = Path::new(&parsed.topology).file_name().and_then(|f| f.to_str()).unwrap_or("");
    let all = platforms();
    let platform = all.iter().find(|(n, _)| *n == file).unwrap_or(&all[0]).1.clone();
    let Ok(mut s) = Scenario::from_parsed(Path::new("fuzz.ron"), text, parsed, platform) else { return };
    s.duration = s.duration.min(FUZZ_MAX_DURATION);
    if !fit_duration(&mut s, FUZZ_MAX_EVENTS) {
        return;
    }
    for name in StrategyName::ALL {
        if name == StrategyName::PerGroup {
            let mut w = TraceWriter::new(Vec::new(), &TraceHeader::for_run(&s, name, s.seed)).expect("in memory");
            let run = crate::sim::run(&s, name, s.seed, Some(&mut w));
            assert_eq!(run.strategy, name.as_str());
            let (n, bytes) = w.finish_into().expect("in memory");
            let mut r = TraceReader::new(bytes.as_slice()).expect("own trace");
            let mut read = 0;
            while r.next_event().expect("own trace").is_some() {
                read += 1;
            }
            assert_eq!(read, n);
        } else {
            let run = crate::sim::run(&s, name, s.seed, None);
            assert_eq!(run.strategy, name.as_str());
        }
    }
}

/// Expected-file parser; whatever parses renders to text that parses to the same thing.
pub fn expected(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(e) = Expected::parse(Path::new("fuzz.expected"), text) {
        let rendered = e.render();
        let again = Expected::parse(Path::new("fuzz.expected"), &rendered).expect("a rendered file parses");
        assert_eq!(again, e, "parse → render → parse gives the same file");
        assert_eq!(again.render(), rendered, "render → parse → render is stable");
    }
}

/// Trace reader: arbitrary bytes are a trace or an error, never a panic or a huge allocation.
pub fn trace(data: &[u8]) {
    if let Ok(mut r) = TraceReader::new(data) {
        let _ = r.header().clone();
        while let Ok(Some(_)) = r.next_event() {}
    }
}

/// Results JSON (`run --json`, the input of `report`): what parses serialises and parses back
/// equal.
pub fn results(data: &[u8]) {
    if let Ok(r) = serde_json::from_slice::<Results>(data) {
        let text = serde_json::to_string(&r).expect("serialises");
        let back: Results = serde_json::from_str(&text).expect("own output parses");
        assert_eq!(back, r);
    }
}
